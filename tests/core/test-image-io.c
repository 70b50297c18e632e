/* pl_image_io: decoding of every PNG colour type the loader claims, JPEG, text chunks, the
 * atomic save, and refusal of bad files. Every fixture is written here, into a fresh
 * temporary folder, with libpng / libjpeg directly. */
#include <glib.h>
#include <glib/gstdio.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "pl_image.h"

static char *tmpdir;

static char *fixture(const char *name)
{
  return g_build_filename(tmpdir, name, NULL);
}

/* ---- fixture writers ------------------------------------------------------------- */

typedef void (*RowFn)(png_bytep row, int y, int w);

static void write_png(const char *path, int w, int h, int color_type, int depth, int interlace,
                      const png_color *palette, int npal, const png_byte *trns, int ntrns, RowFn fill)
{
  FILE *fp = g_fopen(path, "wb");
  g_assert_nonnull(fp);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png)))
    g_error("libpng failed to write %s", path);
  png_init_io(png, fp);
  png_set_compression_level(png, 1);
  png_set_IHDR(png, info, w, h, depth, color_type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (palette != NULL)
    png_set_PLTE(png, info, palette, npal);
  if (trns != NULL)
    png_set_tRNS(png, info, trns, ntrns, NULL);
  png_write_info(png, info);
  png_bytep row = g_malloc0(png_get_rowbytes(png, info));
  const int passes = interlace == PNG_INTERLACE_ADAM7 ? png_set_interlace_handling(png) : 1;
  for (int pass = 0; pass < passes; pass++)
    for (int y = 0; y < h; y++) {
      fill(row, y, w);
      png_write_row(png, row);
    }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  g_free(row);
  fclose(fp);
}

static void write_jpeg(const char *path, int w, int h, int comps, guint8 value)
{
  struct jpeg_compress_struct ci;
  struct jpeg_error_mgr err;
  ci.err = jpeg_std_error(&err);
  jpeg_create_compress(&ci);
  FILE *fp = g_fopen(path, "wb");
  g_assert_nonnull(fp);
  jpeg_stdio_dest(&ci, fp);
  ci.image_width = w;
  ci.image_height = h;
  ci.input_components = comps;
  ci.in_color_space = comps == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&ci);
  jpeg_set_quality(&ci, 95, TRUE);
  jpeg_start_compress(&ci, TRUE);
  g_autofree JSAMPLE *row = g_malloc((size_t)w * comps);
  for (int x = 0; x < w * comps; x++)
    row[x] = (JSAMPLE)(comps == 3 ? value + (x % 3) * 40 : value);
  while (ci.next_scanline < ci.image_height) {
    JSAMPROW rows[1] = { row };
    jpeg_write_scanlines(&ci, rows, 1);
  }
  jpeg_finish_compress(&ci);
  jpeg_destroy_compress(&ci);
  fclose(fp);
}

static void write_bytes(const char *path, const void *data, gsize len)
{
  g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

static void truncate_copy(const char *src, const char *dst, double share)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(src, &data, &len, NULL));
  write_bytes(dst, data, (gsize)(len * share));
}

/* ---- helpers ------------------------------------------------------------------------ */

static float px(const PlImage *img, int c, int y, int x)
{
  return pl_image_plane(img, c)[(size_t)y * img->w + x];
}

static void assert_load_fails(const char *path, int code)
{
  g_autoptr(GError) error = NULL;
  PlImage *img = pl_image_load(path, &error);
  g_assert_null(img);
  g_assert_error(error, PL_IMAGE_ERROR, code);
  g_assert_nonnull(error->message);
  g_test_message("%s", error->message);
}

/* ---- PNG decoding ----------------------------------------------------------------- */

static void rgb16_row(png_bytep row, int y, int w)
{
  for (int x = 0; x < w; x++) {
    guint16 v[3] = { (guint16)(x * 4096 + y), 0x1234, 0xFFFF };
    for (int k = 0; k < 3; k++) {
      row[6 * x + 2 * k] = v[k] >> 8;
      row[6 * x + 2 * k + 1] = v[k] & 0xFF;
    }
  }
}

static void pal_row(png_bytep row, int y, int w)
{
  for (int x = 0; x < w; x++)
    row[x] = (png_byte)((x + y) % 3);
}

static void grey1_row(png_bytep row, int y, int w)
{
  memset(row, 0, (size_t)(w + 7) / 8);
  for (int x = 0; x < w; x++)
    if ((x + y) % 2)
      row[x / 8] |= (png_byte)(0x80 >> (x % 8));
}

static void grey_alpha_row(png_bytep row, int y, int w)
{
  for (int x = 0; x < w; x++) {
    row[2 * x] = (png_byte)(50 * y);  /* grey */
    row[2 * x + 1] = (png_byte)(x == 0 ? 255 : x == 1 ? 0 : 51);  /* alpha 1, 0, 0.2 */
  }
}

static void rgba_row(png_bytep row, int y, int w)
{
  for (int x = 0; x < w; x++) {
    png_byte v[4] = { 255, 0, (png_byte)(10 * y), (png_byte)(x * 85) };
    memcpy(row + 4 * x, v, 4);
  }
}

static void zero_row(png_bytep row, int y, int w)
{
  (void)y;
  memset(row, 0, (size_t)(w + 7) / 8);
}

static void test_png_16bit(void)
{
  g_autofree char *path = fixture("rgb16.png");
  write_png(path, 4, 3, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, rgb16_row);
  g_autoptr(GError) error = NULL;
  g_autoptr(PlImage) img = pl_image_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(img->c, ==, 3);
  g_assert_cmpint(img->h, ==, 3);
  g_assert_cmpint(img->w, ==, 4);
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 4; x++) {
      /* 16-bit precision survives: not rounded through 8 bits */
      g_assert_cmpfloat_with_epsilon(px(img, 0, y, x), (x * 4096 + y) / 65535.0, 1e-7);
      g_assert_cmpfloat_with_epsilon(px(img, 1, y, x), 0x1234 / 65535.0, 1e-7);
      g_assert_cmpfloat(px(img, 2, y, x), ==, 1.0f);
    }
}

static void test_png_palette_grey_alpha(void)
{
  const png_color pal[3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } };
  const png_byte trns[3] = { 255, 255, 0 };  /* entry 2 fully transparent: white */
  g_autofree char *ppath = fixture("palette.png");
  write_png(ppath, 5, 4, PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, pal, 3, trns, 3, pal_row);
  g_autoptr(PlImage) p = pl_image_load(ppath, NULL);
  g_assert_nonnull(p);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 5; x++) {
      int i = (x + y) % 3;
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat(px(p, c, y, x), ==, i == 2 ? 1.0f : (c == i ? 1.0f : 0.0f));
    }

  g_autofree char *gpath = fixture("grey1.png");
  write_png(gpath, 11, 3, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, grey1_row);
  g_autoptr(PlImage) g = pl_image_load(gpath, NULL);
  g_assert_nonnull(g);
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 11; x++)
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat(px(g, c, y, x), ==, (x + y) % 2 ? 1.0f : 0.0f);

  /* alpha composited on white: a v + (1 - a) */
  g_autofree char *apath = fixture("greyalpha.png");
  write_png(apath, 3, 4, PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, grey_alpha_row);
  g_autoptr(PlImage) a = pl_image_load(apath, NULL);
  g_assert_nonnull(a);
  for (int y = 0; y < 4; y++) {
    const double v = 50 * y / 255.0;
    g_assert_cmpfloat_with_epsilon(px(a, 1, y, 0), v, 1e-6);
    g_assert_cmpfloat_with_epsilon(px(a, 1, y, 1), 1.0, 1e-6);
    g_assert_cmpfloat_with_epsilon(px(a, 1, y, 2), 0.2 * v + 0.8, 1e-6);
  }

  g_autofree char *rpath = fixture("rgba.png");
  write_png(rpath, 4, 3, PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, rgba_row);
  g_autoptr(PlImage) r = pl_image_load(rpath, NULL);
  g_assert_nonnull(r);
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 4; x++) {
      const double al = x * 85 / 255.0;
      g_assert_cmpfloat_with_epsilon(px(r, 0, y, x), 1.0, 1e-6);
      g_assert_cmpfloat_with_epsilon(px(r, 1, y, x), 1.0 - al, 1e-6);
      g_assert_cmpfloat_with_epsilon(px(r, 2, y, x), al * 10 * y / 255.0 + 1.0 - al, 1e-6);
    }
}

static void test_png_interlaced(void)
{
  g_autofree char *path = fixture("interlaced.png");
  write_png(path, 13, 9, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_ADAM7, NULL, 0, NULL, 0, grey1_row);
  g_autoptr(PlImage) img = pl_image_load(path, NULL);
  g_assert_nonnull(img);
  for (int y = 0; y < 9; y++)
    for (int x = 0; x < 13; x++)
      g_assert_cmpfloat(px(img, 2, y, x), ==, (x + y) % 2 ? 1.0f : 0.0f);
}

static void test_one_pixel(void)
{
  g_autoptr(PlImage) img = pl_image_new(3, 1, 1);
  img->data[0] = 0.2f;
  img->data[1] = 0.6f;
  img->data[2] = 1.0f;
  g_autofree char *path = fixture("one.png");
  g_assert_true(pl_image_save_png(img, path, NULL, NULL, NULL));
  g_autoptr(PlImage) back = pl_image_load(path, NULL);
  g_assert_nonnull(back);
  g_assert_cmpint(back->h, ==, 1);
  g_assert_cmpint(back->w, ==, 1);
  g_assert_cmpfloat(back->data[0], ==, 51 / 255.0f);
  g_assert_cmpfloat(back->data[1], ==, 153 / 255.0f);
  g_assert_cmpfloat(back->data[2], ==, 1.0f);
}

/* ---- saving and text chunks ---------------------------------------------------------- */

static void test_save_round_trip(void)
{
  g_autoptr(PlImage) img = pl_image_new(3, 7, 9);
  for (size_t i = 0; i < pl_image_len(img); i++)
    img->data[i] = (float)((i * 37) % 256) / 255.0f;
  img->data[0] = -0.5f;  /* clamped */
  img->data[1] = 3.0f;
  g_autofree char *path = fixture("round.png");
  const char *keys[] = { "Software", "plorg:task", "plorg:unicode", NULL };
  const char *vals[] = { "PLoRG Studio", "box; seed=3", "tau \xcf\x84 = 0.99", NULL };
  /* overwrite an existing file: the rename replaces it */
  write_bytes(path, "old", 3);
  g_autoptr(GError) error = NULL;
  g_assert_true(pl_image_save_png(img, path, keys, vals, &error));
  g_assert_no_error(error);

  g_autoptr(PlImage) back = pl_image_load(path, &error);
  g_assert_no_error(error);
  for (size_t i = 2; i < pl_image_len(img); i++)
    g_assert_cmpfloat_with_epsilon(back->data[i], img->data[i], 0.5 / 255 + 1e-7);
  g_assert_cmpfloat(back->data[0], ==, 0.0f);
  g_assert_cmpfloat(back->data[1], ==, 1.0f);

  g_autoptr(GHashTable) text = pl_image_read_png_text(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_hash_table_size(text), ==, 3);
  for (int i = 0; keys[i] != NULL; i++)
    g_assert_cmpstr(g_hash_table_lookup(text, keys[i]), ==, vals[i]);

  /* atomic save: nothing but the fixtures is left in the folder */
  g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    g_assert_false(g_str_has_prefix(name, "."));

  /* grey */
  g_autoptr(PlImage) grey = pl_image_new(1, 2, 3);
  for (int i = 0; i < 6; i++)
    grey->data[i] = i / 5.0f;
  g_autofree char *gpath = fixture("grey.png");
  g_assert_true(pl_image_save_png(grey, gpath, NULL, NULL, NULL));
  g_autoptr(PlImage) gb = pl_image_load(gpath, NULL);
  g_assert_cmpint(gb->c, ==, 3);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 6; i++)
      g_assert_cmpfloat(pl_image_plane(gb, c)[i], ==, (i * 51) / 255.0f);
  g_autoptr(GHashTable) none = pl_image_read_png_text(gpath, NULL);
  g_assert_cmpuint(g_hash_table_size(none), ==, 0);
}

static void test_save_errors(void)
{
  g_autoptr(PlImage) img = pl_image_new(3, 2, 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename(tmpdir, "no-such-folder", "x.png", NULL);
  g_assert_false(pl_image_save_png(img, missing, NULL, NULL, &error));
  g_assert_error(error, PL_IMAGE_ERROR, PL_IMAGE_ERROR_IO);
  g_clear_error(&error);

  g_autofree char *path = fixture("badkey.png");
  const char *keys[] = { "", NULL };
  const char *vals[] = { "v", NULL };
  g_assert_false(pl_image_save_png(img, path, keys, vals, &error));
  g_assert_error(error, PL_IMAGE_ERROR, PL_IMAGE_ERROR_INVALID);
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

/* ---- bad files ------------------------------------------------------------------------ */

static void test_bad_files(void)
{
  g_autofree char *nothing = fixture("does-not-exist.png");
  assert_load_fails(nothing, PL_IMAGE_ERROR_IO);

  assert_load_fails(tmpdir, PL_IMAGE_ERROR_IO);  /* a folder */

  g_autofree char *empty = fixture("empty.png");
  write_bytes(empty, "", 0);
  assert_load_fails(empty, PL_IMAGE_ERROR_FORMAT);

  g_autofree char *text = fixture("text.png");
  const char *words = "This is not a picture, only some words.\n";
  write_bytes(text, words, strlen(words));
  assert_load_fails(text, PL_IMAGE_ERROR_FORMAT);
  g_autoptr(GError) error = NULL;
  g_assert_null(pl_image_read_png_text(text, &error));
  g_assert_error(error, PL_IMAGE_ERROR, PL_IMAGE_ERROR_FORMAT);

  /* truncated PNGs: inside the pixel data, inside the header, inside the signature */
  g_autoptr(PlImage) img = pl_image_new(3, 40, 40);
  for (size_t i = 0; i < pl_image_len(img); i++)
    img->data[i] = (float)((i * 7919) % 1000) / 1000.0f;  /* incompressible-ish */
  g_autofree char *good = fixture("good.png");
  g_assert_true(pl_image_save_png(img, good, NULL, NULL, NULL));
  const double shares[] = { 0.6, 0.2, 0.04 };
  for (size_t i = 0; i < G_N_ELEMENTS(shares); i++) {
    g_autofree char *cut = fixture("cut.png");
    truncate_copy(good, cut, shares[i]);
    assert_load_fails(cut, PL_IMAGE_ERROR_FORMAT);
  }
  g_autofree char *sig = fixture("sig.png");
  write_bytes(sig, "\x89PNG", 4);
  assert_load_fails(sig, PL_IMAGE_ERROR_FORMAT);
}

/* PNG's CRC-32 (polynomial 0xEDB88320), bit by bit, for hand-made chunks */
static guint32 crc32_png(const guint8 *p, size_t n)
{
  guint32 c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

static void put_be32(guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xFF;
  p[2] = (v >> 8) & 0xFF;
  p[3] = v & 0xFF;
}

static void test_too_large(void)
{
  /* a real 10000 x 10000 1-bit file (about 12 kB), written row by row */
  g_autofree char *path = fixture("huge.png");
  write_png(path, 10000, 10000, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, zero_row);
  assert_load_fails(path, PL_IMAGE_ERROR_TOO_LARGE);

  /* a hand-made IHDR claiming 8193 x 5 (one past the limit) over 2 x 2 pixel data */
  g_autoptr(PlImage) small = pl_image_new(3, 2, 2);
  g_autofree char *base = fixture("base.png");
  g_assert_true(pl_image_save_png(small, base, NULL, NULL, NULL));
  g_autofree guint8 *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(base, (char **)&data, &len, NULL));
  g_assert_cmpmem(data + 12, 4, "IHDR", 4);
  put_be32(data + 16, PL_IMAGE_MAX_SIDE + 1);
  put_be32(data + 20, 5);
  put_be32(data + 29, crc32_png(data + 12, 17));
  g_autofree char *crafted = fixture("crafted.png");
  write_bytes(crafted, data, len);
  assert_load_fails(crafted, PL_IMAGE_ERROR_TOO_LARGE);

  /* JPEG: patch the frame header (SOF0) of a small file to 10000 x 10000 */
  g_autofree char *jbase = fixture("base.jpg");
  write_jpeg(jbase, 16, 16, 3, 100);
  g_autofree guint8 *jd = NULL;
  g_assert_true(g_file_get_contents(jbase, (char **)&jd, &len, NULL));
  gsize sof = 0;
  for (gsize i = 2; i + 9 < len; i++)
    if (jd[i] == 0xFF && jd[i + 1] == 0xC0) {
      sof = i;
      break;
    }
  g_assert_cmpuint(sof, >, 0);
  jd[sof + 5] = 10000 >> 8;  /* height */
  jd[sof + 6] = 10000 & 0xFF;
  jd[sof + 7] = 10000 >> 8;  /* width */
  jd[sof + 8] = 10000 & 0xFF;
  g_autofree char *jhuge = fixture("huge.jpg");
  write_bytes(jhuge, jd, len);
  assert_load_fails(jhuge, PL_IMAGE_ERROR_TOO_LARGE);
}

/* ---- JPEG ------------------------------------------------------------------------------ */

static void test_jpeg(void)
{
  /* a flat colour survives JPEG's quantisation within a few levels */
  g_autofree char *path = fixture("flat.jpg");
  write_jpeg(path, 24, 16, 3, 60);
  g_autoptr(GError) error = NULL;
  g_autoptr(PlImage) img = pl_image_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(img->h, ==, 16);
  g_assert_cmpint(img->w, ==, 24);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 16 * 24; i++)
      g_assert_cmpfloat_with_epsilon(pl_image_plane(img, c)[i], (60 + 40 * c) / 255.0, 3.0 / 255);

  g_autofree char *gpath = fixture("grey.jpg");
  write_jpeg(gpath, 9, 7, 1, 200);
  g_autoptr(PlImage) g = pl_image_load(gpath, &error);
  g_assert_no_error(error);
  for (int i = 0; i < 63; i++) {
    g_assert_cmpfloat_with_epsilon(g->data[i], 200 / 255.0, 3.0 / 255);
    g_assert_cmpfloat(g->data[i], ==, g->data[63 + i]);
    g_assert_cmpfloat(g->data[i], ==, g->data[126 + i]);
  }

  /* truncated: libjpeg itself would pad with grey and only warn */
  g_autofree char *big = fixture("big.jpg");
  write_jpeg(big, 64, 64, 3, 90);
  const double shares[] = { 0.7, 0.3, 0.01 };
  for (size_t i = 0; i < G_N_ELEMENTS(shares); i++) {
    g_autofree char *cut = fixture("cut.jpg");
    truncate_copy(big, cut, shares[i]);
    assert_load_fails(cut, PL_IMAGE_ERROR_FORMAT);
  }
  g_assert_null(pl_image_read_png_text(big, &error));
  g_assert_error(error, PL_IMAGE_ERROR, PL_IMAGE_ERROR_FORMAT);
}

static void remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *p = g_build_filename(path, name, NULL);
    g_unlink(p);
  }
  g_rmdir(path);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("plorg-image-io-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_test_add_func("/image-io/png-16bit", test_png_16bit);
  g_test_add_func("/image-io/png-palette-grey-alpha", test_png_palette_grey_alpha);
  g_test_add_func("/image-io/png-interlaced", test_png_interlaced);
  g_test_add_func("/image-io/one-pixel", test_one_pixel);
  g_test_add_func("/image-io/save-round-trip", test_save_round_trip);
  g_test_add_func("/image-io/save-errors", test_save_errors);
  g_test_add_func("/image-io/bad-files", test_bad_files);
  g_test_add_func("/image-io/too-large", test_too_large);
  g_test_add_func("/image-io/jpeg", test_jpeg);
  int rc = g_test_run();
  remove_tree(tmpdir);
  g_free(tmpdir);
  return rc;
}
