/* PNG (libpng) and JPEG (libjpeg) decoding to [0,1] RGB, PNG text chunks, atomic PNG save.
 *
 * Both libraries report fatal errors by calling a handler that must not return; ours
 * longjmp back to the decode function. Everything that must be released after such a jump
 * lives in a context struct owned by the caller of that function, never in its locals
 * (locals changed after setjmp are indeterminate after longjmp). */
#include "pl_image.h"
#include "pl_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <jpeglib.h>
#include <jerror.h>  /* after jpeglib.h: message codes */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static gboolean fail(GError **error, PlImageError code, const char *path, const char *msg)
{
  g_autofree char *name = g_filename_display_name(path);
  g_set_error(error, PL_IMAGE_ERROR, code, "%s: %s", name, msg);
  return FALSE;
}

static gboolean too_large(GError **error, const char *path, unsigned long w, unsigned long h)
{
  g_autofree char *msg = g_strdup_printf("image is %lu x %lu, larger than the %d pixel limit",
                                         w, h, PL_IMAGE_MAX_SIDE);
  return fail(error, PL_IMAGE_ERROR_TOO_LARGE, path, msg);
}

/* ---- PNG reading ---------------------------------------------------------------- */

typedef struct {
  jmp_buf jmp;
  char msg[200];
  png_structp png;
  png_infop info;
  FILE *fp;
  PlImage *img;
  png_bytep raw;        /* whole image (interlaced files) or one row */
  png_bytepp rows;
} PngRead;

static void png_error_cb(png_structp png, png_const_charp msg)
{
  PngRead *ctx = png_get_error_ptr(png);
  g_strlcpy(ctx->msg, msg, sizeof ctx->msg);
  longjmp(ctx->jmp, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg)
{
  (void)png;
  (void)msg;  /* benign (e.g. unknown sRGB profile): keep decoding */
}

/* One decoded row (8 or 16 bit RGB or RGBA) -> float planes, alpha composited on white. */
static void png_convert_row(const png_byte *row, int w, int chans, int depth, PlImage *img, int y)
{
  const size_t np = (size_t)img->h * img->w;
  float *dst = img->data + (size_t)y * img->w;
  for (int x = 0; x < w; x++) {
    float v[4];
    for (int k = 0; k < chans; k++) {
      const size_t i = (size_t)x * chans + k;
      v[k] = depth == 16 ? ((row[2 * i] << 8) | row[2 * i + 1]) / 65535.0f : row[i] / 255.0f;
    }
    const float a = chans == 4 ? v[3] : 1.0f;
    for (int k = 0; k < 3; k++)
      dst[k * np + x] = a * v[k] + (1.0f - a);
  }
}

/* Runs between setjmp and the end of decoding; FALSE with ctx->msg or a set error. */
static gboolean png_decode(PngRead *ctx, const char *path, GError **error)
{
  if (setjmp(ctx->jmp)) {
    g_autofree char *msg = g_strdup_printf("truncated or corrupt PNG (libpng: %s)", ctx->msg);
    return fail(error, PL_IMAGE_ERROR_FORMAT, path, msg);
  }
  png_init_io(ctx->png, ctx->fp);
  png_set_sig_bytes(ctx->png, 8);
  png_read_info(ctx->png, ctx->info);
  const png_uint_32 w = png_get_image_width(ctx->png, ctx->info);
  const png_uint_32 h = png_get_image_height(ctx->png, ctx->info);
  if (w > PL_IMAGE_MAX_SIDE || h > PL_IMAGE_MAX_SIDE)
    return too_large(error, path, w, h);  /* before any pixel buffer exists */
  const int type = png_get_color_type(ctx->png, ctx->info);
  png_set_expand(ctx->png);  /* palette -> RGB, grey < 8 bit -> 8 bit, tRNS -> alpha */
  if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
    png_set_gray_to_rgb(ctx->png);
  const int passes = png_set_interlace_handling(ctx->png);
  png_read_update_info(ctx->png, ctx->info);
  const int chans = png_get_channels(ctx->png, ctx->info);
  const int depth = png_get_bit_depth(ctx->png, ctx->info);
  const size_t rowbytes = png_get_rowbytes(ctx->png, ctx->info);
  if ((chans != 3 && chans != 4) || (depth != 8 && depth != 16))
    return fail(error, PL_IMAGE_ERROR_FORMAT, path, "unsupported PNG pixel layout");
  ctx->img = pl_image_new(3, (int)h, (int)w);
  ctx->raw = g_try_malloc(passes > 1 ? rowbytes * h : rowbytes);
  if (ctx->img == NULL || ctx->raw == NULL)
    return fail(error, PL_IMAGE_ERROR_TOO_LARGE, path, "not enough memory for the image");
  if (passes > 1) {
    ctx->rows = g_new(png_bytep, h);
    for (png_uint_32 y = 0; y < h; y++)
      ctx->rows[y] = ctx->raw + y * rowbytes;
    png_read_image(ctx->png, ctx->rows);
    for (png_uint_32 y = 0; y < h; y++)
      png_convert_row(ctx->rows[y], (int)w, chans, depth, ctx->img, (int)y);
  } else {
    for (png_uint_32 y = 0; y < h; y++) {
      png_read_row(ctx->png, ctx->raw, NULL);
      png_convert_row(ctx->raw, (int)w, chans, depth, ctx->img, (int)y);
    }
  }
  png_read_end(ctx->png, NULL);
  return TRUE;
}

static PlImage *load_png(FILE *fp, const char *path, GError **error)
{
  PngRead ctx = { .fp = fp };
  ctx.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_error_cb, png_warning_cb);
  ctx.info = ctx.png != NULL ? png_create_info_struct(ctx.png) : NULL;
  if (ctx.info != NULL) {
    /* Pixels are all we decode here: skip text chunks unread (pl_image_read_png_text has
     * its own bounds), and cap what any other chunk may make libpng allocate. */
    static const png_byte text_chunks[] = "tEXt\0zTXt\0iTXt";
    png_set_keep_unknown_chunks(ctx.png, PNG_HANDLE_CHUNK_NEVER, text_chunks, 3);
    png_set_chunk_malloc_max(ctx.png, PL_PNG_TEXT_MAX_BYTES);
    png_set_chunk_cache_max(ctx.png, 128);
  }
  gboolean ok = ctx.info != NULL ? png_decode(&ctx, path, error)
                                 : fail(error, PL_IMAGE_ERROR_IO, path, "cannot initialise libpng");
  png_destroy_read_struct(ctx.png != NULL ? &ctx.png : NULL, ctx.info != NULL ? &ctx.info : NULL, NULL);
  g_free(ctx.rows);
  g_free(ctx.raw);
  if (!ok) {
    pl_image_free(ctx.img);
    return NULL;
  }
  return ctx.img;
}

/* ---- JPEG reading --------------------------------------------------------------- */

typedef struct {
  struct jpeg_error_mgr mgr;  /* first, so the library's pointer is ours */
  jmp_buf jmp;
  char msg[JMSG_LENGTH_MAX];
} JpegErr;

typedef struct {
  struct jpeg_decompress_struct cinfo;
  JpegErr err;
  PlImage *img;
  JSAMPLE *row;
} JpegRead;

static void jpeg_error_exit_cb(j_common_ptr cinfo)
{
  JpegErr *err = (JpegErr *)cinfo->err;
  err->mgr.format_message(cinfo, err->msg);
  longjmp(err->jmp, 1);
}

static void jpeg_emit_message_cb(j_common_ptr cinfo, int level)
{
  /* libjpeg only warns about a truncated file and pads it with grey: refuse it instead */
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF)
    jpeg_error_exit_cb(cinfo);
}

static gboolean jpeg_decode(JpegRead *ctx, FILE *fp, const char *path, GError **error)
{
  struct jpeg_decompress_struct *ci = &ctx->cinfo;
  if (setjmp(ctx->err.jmp)) {
    g_autofree char *msg = g_strdup_printf("truncated or corrupt JPEG (libjpeg: %s)", ctx->err.msg);
    return fail(error, PL_IMAGE_ERROR_FORMAT, path, msg);
  }
  jpeg_create_decompress(ci);
  jpeg_stdio_src(ci, fp);
  jpeg_read_header(ci, TRUE);
  if (ci->image_width > PL_IMAGE_MAX_SIDE || ci->image_height > PL_IMAGE_MAX_SIDE)
    return too_large(error, path, ci->image_width, ci->image_height);
  const gboolean cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
  ci->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(ci);
  const int w = (int)ci->output_width, h = (int)ci->output_height, nc = ci->output_components;
  ctx->img = pl_image_new(3, h, w);
  ctx->row = g_try_malloc((size_t)w * nc);
  if (ctx->img == NULL || ctx->row == NULL)
    return fail(error, PL_IMAGE_ERROR_TOO_LARGE, path, "not enough memory for the image");
  const size_t np = (size_t)w * h;
  while (ci->output_scanline < ci->output_height) {
    const int y = (int)ci->output_scanline;
    JSAMPROW rows[1] = { ctx->row };
    jpeg_read_scanlines(ci, rows, 1);
    float *dst = ctx->img->data + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      const JSAMPLE *p = ctx->row + (size_t)x * nc;
      for (int k = 0; k < 3; k++)  /* Adobe CMYK is stored inverted: R = C' K' */
        dst[k * np + x] = cmyk ? (p[k] / 255.0f) * (p[3] / 255.0f) : p[k] / 255.0f;
    }
  }
  jpeg_finish_decompress(ci);
  return TRUE;
}

static PlImage *load_jpeg(FILE *fp, const char *path, GError **error)
{
  JpegRead ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.cinfo.err = jpeg_std_error(&ctx.err.mgr);
  ctx.err.mgr.error_exit = jpeg_error_exit_cb;
  ctx.err.mgr.emit_message = jpeg_emit_message_cb;
  gboolean ok = jpeg_decode(&ctx, fp, path, error);
  jpeg_destroy_decompress(&ctx.cinfo);
  g_free(ctx.row);
  if (!ok) {
    pl_image_free(ctx.img);
    return NULL;
  }
  return ctx.img;
}

/* ---- Entry points ---------------------------------------------------------------- */

/* Regular files only (a FIFO would block, a folder fails later with a misleading message). */
static FILE *open_read(const char *path, gint64 *size, GError **error)
{
  GError *e = NULL;
  FILE *fp = pl_file_open_regular(path, size, &e);
  if (fp == NULL) {
    g_set_error_literal(error, PL_IMAGE_ERROR, PL_IMAGE_ERROR_IO, e->message);
    g_error_free(e);
  }
  return fp;
}

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

PlImage *pl_image_load(const char *path, GError **error)
{
  FILE *fp = open_read(path, NULL, error);
  if (fp == NULL)
    return NULL;
  guint8 head[8];
  size_t got = fread(head, 1, sizeof head, fp);
  PlImage *img = NULL;
  if (got == 0 && ferror(fp)) {  /* e.g. a folder: fopen succeeds, reading does not */
    int e = errno;
    fail(error, PL_IMAGE_ERROR_IO, path, g_strerror(e));
  } else if (got == 0)
    fail(error, PL_IMAGE_ERROR_FORMAT, path, "file is empty");
  else if (got < 8 && memcmp(head, png_signature, got) == 0)
    fail(error, PL_IMAGE_ERROR_FORMAT, path, "truncated PNG signature");
  else if (got == 8 && memcmp(head, png_signature, 8) == 0)
    img = load_png(fp, path, error);
  else if (got >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) {
    rewind(fp);
    img = load_jpeg(fp, path, error);
  } else
    fail(error, PL_IMAGE_ERROR_FORMAT, path, "not a PNG or JPEG file");
  fclose(fp);
  return img;
}

static guint32 be32(const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* tEXt values are Latin-1; pass valid UTF-8 (what we write) through unchanged. */
static char *text_to_utf8(const char *s, gsize len)
{
  if (g_utf8_validate(s, (gssize)len, NULL))
    return g_strndup(s, len);
  char *u = g_convert(s, (gssize)len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  return u != NULL ? u : g_strndup("", 0);
}

/* Walks the chunk list directly: text chunks after the image data are found too, and no
 * pixel is decoded. */
GHashTable *pl_image_read_png_text(const char *path, GError **error)
{
  gint64 file_size = 0;
  FILE *fp = open_read(path, &file_size, error);
  if (fp == NULL)
    return NULL;
  GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  guint8 head[8];
  const char *problem = NULL;
  if (fread(head, 1, 8, fp) != 8 || memcmp(head, png_signature, 8) != 0)
    problem = "not a PNG file";
  while (problem == NULL) {
    if (fread(head, 1, 8, fp) != 8) {
      problem = "truncated PNG (no IEND chunk)";
      break;
    }
    const guint32 len = be32(head);
    if (len > 0x7fffffffu) {
      problem = "corrupt PNG chunk length";
      break;
    }
    /* A length field is a claim, not a size: never allocate past the file's end or the cap. */
    const long here = ftell(fp);
    if (here < 0 || (gint64)len + 4 > file_size - here) {
      problem = "truncated PNG (a chunk runs past the end of the file)";
      break;
    }
    if (memcmp(head + 4, "IEND", 4) == 0)
      break;
    if (memcmp(head + 4, "tEXt", 4) != 0) {
      if (fseek(fp, (long)len + 4, SEEK_CUR) != 0)
        problem = "truncated PNG";
      continue;
    }
    if (len > PL_PNG_TEXT_MAX_BYTES) {
      problem = "PNG text chunk larger than the 16 MiB limit";
      break;
    }
    char *data = g_try_malloc((gsize)len + 1);
    if (data == NULL || fread(data, 1, len, fp) != len || fseek(fp, 4, SEEK_CUR) != 0) {
      g_free(data);
      problem = "truncated PNG text chunk";
      break;
    }
    data[len] = '\0';
    const gsize klen = strnlen(data, len);
    if (klen > 0 && klen < len)
      g_hash_table_replace(table, text_to_utf8(data, klen),
                           text_to_utf8(data + klen + 1, len - klen - 1));
    g_free(data);
  }
  fclose(fp);
  if (problem != NULL) {
    fail(error, PL_IMAGE_ERROR_FORMAT, path, problem);
    g_hash_table_unref(table);
    return NULL;
  }
  return table;
}

/* ---- PNG writing ------------------------------------------------------------------ */

typedef struct {
  jmp_buf jmp;
  char msg[200];
  png_structp png;
  png_infop info;
  FILE *fp;
  png_bytep row;
  png_textp text;
} PngWrite;

static void png_write_error_cb(png_structp png, png_const_charp msg)
{
  PngWrite *ctx = png_get_error_ptr(png);
  g_strlcpy(ctx->msg, msg, sizeof ctx->msg);
  longjmp(ctx->jmp, 1);
}

static gboolean png_encode(PngWrite *ctx, const PlImage *img, int ntext, const char *path,
                           GError **error)
{
  if (setjmp(ctx->jmp))
    return fail(error, PL_IMAGE_ERROR_IO, path, ctx->msg[0] ? ctx->msg : "PNG encoding failed");
  png_init_io(ctx->png, ctx->fp);
  png_set_IHDR(ctx->png, ctx->info, (png_uint_32)img->w, (png_uint_32)img->h, 8,
               img->c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (ntext > 0)
    png_set_text(ctx->png, ctx->info, ctx->text, ntext);
  png_write_info(ctx->png, ctx->info);
  const size_t np = (size_t)img->h * img->w;
  for (int y = 0; y < img->h; y++) {
    for (int x = 0; x < img->w; x++)
      for (int k = 0; k < img->c; k++) {
        const float v = img->data[k * np + (size_t)y * img->w + x];
        /* clamp to [0,1]; NaN becomes 0 */
        ctx->row[(size_t)x * img->c + k] = !(v > 0.0f) ? 0 : v >= 1.0f ? 255 : (png_byte)(v * 255.0f + 0.5f);
      }
    png_write_row(ctx->png, ctx->row);
  }
  png_write_end(ctx->png, ctx->info);
  return TRUE;
}

gboolean pl_image_save_png(const PlImage *img, const char *path,
                           const char *const *keys, const char *const *values,
                           GError **error)
{
  if (img == NULL || path == NULL || (img->c != 1 && img->c != 3) || img->h < 1 || img->w < 1) {
    g_set_error(error, PL_IMAGE_ERROR, PL_IMAGE_ERROR_INVALID, "Cannot save: need a 1 or 3 channel image and a path");
    return FALSE;
  }
  int ntext = 0;
  for (; keys != NULL && values != NULL && keys[ntext] != NULL && values[ntext] != NULL; ntext++) {
    const size_t kl = strlen(keys[ntext]);
    if (kl < 1 || kl > 79)  /* the PNG limit on keywords */
      return fail(error, PL_IMAGE_ERROR_INVALID, path, "PNG text keys must have 1 to 79 bytes");
  }
  /* write next to the target, then rename: readers never see a half-written file */
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *tmpname = g_strdup_printf(".%s.XXXXXX", base);
  g_autofree char *tmp = g_build_filename(dir, tmpname, NULL);
  int fd = g_mkstemp_full(tmp, O_WRONLY, 0666);
  if (fd < 0) {
    int e = errno;
    return fail(error, PL_IMAGE_ERROR_IO, path, g_strerror(e));
  }
  PngWrite ctx = { .fp = fdopen(fd, "wb") };
  gboolean ok = FALSE;
  if (ctx.fp == NULL) {
    int e = errno;
    close(fd);
    fail(error, PL_IMAGE_ERROR_IO, path, g_strerror(e));
  } else {
    ctx.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, png_write_error_cb, NULL);
    ctx.info = ctx.png != NULL ? png_create_info_struct(ctx.png) : NULL;
    ctx.row = g_new(png_byte, (size_t)img->w * img->c);
    ctx.text = g_new0(png_text, MAX(ntext, 1));
    for (int i = 0; i < ntext; i++) {
      ctx.text[i].compression = PNG_TEXT_COMPRESSION_NONE;
      ctx.text[i].key = (png_charp)keys[i];
      ctx.text[i].text = (png_charp)values[i];
      ctx.text[i].text_length = strlen(values[i]);
    }
    if (ctx.info != NULL)
      ok = png_encode(&ctx, img, ntext, path, error);
    else
      fail(error, PL_IMAGE_ERROR_IO, path, "cannot initialise libpng");
    png_destroy_write_struct(ctx.png != NULL ? &ctx.png : NULL, ctx.info != NULL ? &ctx.info : NULL);
    g_free(ctx.row);
    g_free(ctx.text);
    if (ok && (fflush(ctx.fp) != 0 || fsync(fileno(ctx.fp)) != 0)) {
      int e = errno;
      ok = fail(error, PL_IMAGE_ERROR_IO, path, g_strerror(e));
    }
    if (fclose(ctx.fp) != 0 && ok) {
      int e = errno;
      ok = fail(error, PL_IMAGE_ERROR_IO, path, g_strerror(e));
    }
  }
  if (ok && g_rename(tmp, path) != 0) {
    int e = errno;
    ok = fail(error, PL_IMAGE_ERROR_IO, path, g_strerror(e));
  }
  if (!ok)
    g_unlink(tmp);
  return ok;
}
