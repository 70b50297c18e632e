/* Figure export: PNG (header, size, text chunks, nearest-neighbour pixels), SVG (well-formed
 * XML carrying the labels), PDF (header, trailer, one page, title in the metadata), strips
 * and numbered PNG sequences. */
#include "pl_figure.h"
#include "pl_series_plot.h"
#include "widget_test_util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static const char *const labels[] = { "ground truth", "measurement", "PSLD", "PLoRG-PSLD" };
static const char *const keys[] = { "solver", "tau", "omega", NULL };
static const char *const values[] = { "psld", "0.99", "0.1", NULL };

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->dir = g_dir_make_tmp("plorg-figure-XXXXXX", NULL);
  g_assert_nonnull(f->dir);
}

static void
remove_tree(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR))
      remove_tree(p);
    else
      g_remove(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(dir);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  remove_tree(f->dir);
  g_free(f->dir);
}

/* A 2x2 image with four distinct colours, one per quadrant (a different set per panel). */
static PlImage *
quad_image(int panel)
{
  PlImage *img = pl_image_new(3, 2, 2);
  for (int q = 0; q < 4; q++)
    for (int c = 0; c < 3; c++)
      img->data[c * 4 + q] = ((q + panel + c) % 4) / 3.0f;
  return img;
}

static PlFigure *
make_figure(void)
{
  PlFigure *fig = pl_figure_new("Box inpainting, large step");
  for (int i = 0; i < 4; i++) {
    g_autoptr(PlImage) img = quad_image(i);
    pl_figure_add_panel(fig, img, labels[i], i >= 2 ? "PSNR 24.3 dB  SSIM 0.81" : NULL);
  }
  pl_figure_set_footnote(fig, "omega 0.1, gamma 0.1, tau 0.99, 1000 DDIM steps, seed 7");
  pl_figure_set_panel_size(fig, 64);
  return fig;
}

static guint32
be32(const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void
test_png(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(PlFigure) fig = make_figure();
  g_autofree char *path = g_build_filename(f->dir, "fig.png", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(pl_figure_save(fig, path, PL_FIGURE_FORMAT_AUTO, keys, values, &error));
  g_assert_no_error(error);
  int fw, fh;
  pl_figure_get_size(fig, &fw, &fh);
  g_assert_cmpint(fw, >, 4 * 64);
  g_assert_cmpint(fh, >, 64);

  /* Walk the chunks: signature, IHDR with the figure's size, our tEXt pairs, IEND. */
  g_autofree guint8 *bytes = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, (char **)&bytes, &len, NULL));
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_assert_cmpuint(len, >, 8 + 25);
  g_assert_cmpmem(bytes, 8, sig, 8);
  g_assert_cmpmem(bytes + 12, 4, "IHDR", 4);
  g_assert_cmpuint(be32(bytes + 16), ==, (guint32)fw);
  g_assert_cmpuint(be32(bytes + 20), ==, (guint32)fh);
  gboolean found_tau = FALSE, found_end = FALSE;
  for (gsize off = 8; off + 12 <= len;) {
    guint32 clen = be32(bytes + off);
    g_assert_cmpuint(off + 12 + clen, <=, len);
    const guint8 *type = bytes + off + 4, *cdata = bytes + off + 8;
    if (memcmp(type, "tEXt", 4) == 0 && clen == 8 && memcmp(cdata, "tau\0" "0.99", 8) == 0)
      found_tau = TRUE;
    if (memcmp(type, "IEND", 4) == 0)
      found_end = TRUE;
    off += 12 + clen;
  }
  g_assert_true(found_tau);
  g_assert_true(found_end);

  g_autoptr(GHashTable) text = pl_image_read_png_text(path, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(g_hash_table_lookup(text, "solver"), ==, "psld");
  g_assert_cmpstr(g_hash_table_lookup(text, "omega"), ==, "0.1");

  /* Nearest-neighbour upscaling: every colour of a panel shows as a 32-pixel block.
   * Find the first panel's top-left quadrant colour and measure its run along a row. */
  cairo_surface_t *s = cairo_image_surface_create_from_png(path);
  g_assert_cmpint(cairo_surface_status(s), ==, CAIRO_STATUS_SUCCESS);
  widget_test_maybe_save(s, "figure.png");
  g_autoptr(PlImage) q0 = quad_image(0);
  int want[3];
  for (int c = 0; c < 3; c++)
    want[c] = (int)lround(q0->data[c * 4 + 1] * 255);   /* top-right quadrant of panel 0 */
  int best_run = 0;
  for (int y = 0; y < fh && best_run == 0; y++) {
    int run = 0;
    for (int x = 0; x < fw; x++) {
      int r, g, b;
      widget_test_pixel(s, x, y, &r, &g, &b);
      gboolean match = abs(r - want[0]) <= 1 && abs(g - want[1]) <= 1 && abs(b - want[2]) <= 1;
      run = match ? run + 1 : 0;
      best_run = MAX(best_run, run);
    }
  }
  g_assert_cmpint(best_run, ==, 32);
  cairo_surface_destroy(s);
}

typedef struct {
  int elements;
  int images;
  int min_image_width;
} SvgStats;

/* Counts elements (checking that the document is well-formed) and embedded images. */
static void
count_start(GMarkupParseContext *ctx, const char *name, const char **an, const char **av,
            gpointer data, GError **error)
{
  SvgStats *st = data;
  (void)ctx;
  (void)error;
  st->elements++;
  if (strcmp(name, "image") != 0)
    return;
  st->images++;
  for (int i = 0; an[i]; i++)
    if (strcmp(an[i], "width") == 0)
      st->min_image_width = MIN(st->min_image_width, atoi(av[i]));
}

static void
test_svg(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(PlFigure) fig = make_figure();
  g_autofree char *path = g_build_filename(f->dir, "fig.svg", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(pl_figure_save(fig, path, PL_FIGURE_FORMAT_AUTO, keys, values, &error));
  g_assert_no_error(error);
  g_autofree char *svg = NULL;
  gsize len;
  g_assert_true(g_file_get_contents(path, &svg, &len, NULL));

  GMarkupParser parser = { count_start, NULL, NULL, NULL, NULL };
  SvgStats st = { 0, 0, G_MAXINT };
  GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, G_MARKUP_IGNORE_QUALIFIED, &st, NULL);
  g_assert_true(g_markup_parse_context_parse(ctx, svg, (gssize)len, &error));
  g_assert_no_error(error);
  g_assert_true(g_markup_parse_context_end_parse(ctx, &error));
  g_assert_no_error(error);
  g_markup_parse_context_free(ctx);
  g_assert_cmpint(st.elements, >, 10);
  /* Viewers ignore Cairo's nearest filter: the 2x2 panels must be embedded already
   * enlarged to the 64-unit panel size, so their pixels stay sharp anywhere. */
  g_assert_cmpint(st.images, ==, 4);
  g_assert_cmpint(st.min_image_width, >=, 64);

  g_assert_nonnull(strstr(svg, "<svg"));
  g_assert_nonnull(strstr(svg, "<title>Box inpainting, large step</title>"));
  for (int i = 0; i < 4; i++)
    g_assert_nonnull(strstr(svg, labels[i]));
  g_assert_nonnull(strstr(svg, "PSNR 24.3 dB"));
  g_assert_nonnull(strstr(svg, "tau=0.99"));
}

static int
count_pages(const char *pdf, gsize len)
{
  /* "/Type /Page" objects, not the "/Type /Pages" tree node. */
  int pages = 0;
  const char *key = "/Type /Page";
  gsize kl = strlen(key);
  for (gsize i = 0; i + kl < len; i++)
    if (memcmp(pdf + i, key, kl) == 0 && pdf[i + kl] != 's')
      pages++;
  return pages;
}

static gboolean
contains_bytes(const char *hay, gsize len, const char *needle)
{
  gsize nl = strlen(needle);
  for (gsize i = 0; i + nl <= len; i++)
    if (memcmp(hay + i, needle, nl) == 0)
      return TRUE;
  return FALSE;
}

static void
test_pdf(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(PlFigure) fig = make_figure();
  g_autofree char *path = g_build_filename(f->dir, "fig.pdf", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(pl_figure_save(fig, path, PL_FIGURE_FORMAT_AUTO, keys, values, &error));
  g_assert_no_error(error);
  g_autofree char *pdf = NULL;
  gsize len;
  g_assert_true(g_file_get_contents(path, &pdf, &len, NULL));
  g_assert_cmpuint(len, >, 100);
  g_assert_cmpmem(pdf, 5, "%PDF-", 5);
  /* The trailer: %%EOF at the end, give or take a newline. */
  g_assert_true(contains_bytes(pdf + len - 8, 8, "%%EOF"));
  g_assert_cmpint(count_pages(pdf, len), ==, 1);
  /* The page text is in compressed streams with subset fonts, so the labels cannot be
   * found in the bytes; the document information (title, keywords) is plain text. */
  g_assert_true(contains_bytes(pdf, len, "Box inpainting, large step"));
  g_assert_true(contains_bytes(pdf, len, "tau=0.99"));
}

static void
test_strip_and_sequence(Fixture *f, gconstpointer data)
{
  (void)data;
  PlImage *imgs[3];
  int steps[3] = { 100, 500, 999 };
  for (int i = 0; i < 3; i++)
    imgs[i] = quad_image(i);
  g_autoptr(GError) error = NULL;
  for (int fmt = PL_FIGURE_FORMAT_PNG; fmt <= PL_FIGURE_FORMAT_PDF; fmt++) {
    g_autofree char *name = g_strdup_printf("strip.%s", pl_figure_format_extension(fmt));
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_assert_true(pl_figure_save_strip((const PlImage *const *)imgs, steps, 3, "x0_hat", 96,
                                       path, fmt, keys, values, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    if (fmt == PL_FIGURE_FORMAT_SVG) {
      g_autofree char *svg = NULL;
      g_assert_true(g_file_get_contents(path, &svg, NULL, NULL));
      g_assert_nonnull(strstr(svg, "step 500"));
    }
    if (fmt == PL_FIGURE_FORMAT_PNG) {
      cairo_surface_t *s = cairo_image_surface_create_from_png(path);
      g_assert_cmpint(cairo_image_surface_get_width(s), >, 3 * 96);
      widget_test_maybe_save(s, "strip.png");
      cairo_surface_destroy(s);
    }
  }

  g_autofree char *seq = g_build_filename(f->dir, "frames", NULL);
  g_assert_true(pl_figure_save_sequence((const PlImage *const *)imgs, steps, 3, seq, "x0",
                                        128, keys, values, &error));
  g_assert_no_error(error);
  for (int i = 0; i < 3; i++) {
    g_autofree char *name = g_strdup_printf("x0-%04d.png", i);
    g_autofree char *path = g_build_filename(seq, name, NULL);
    g_autoptr(GHashTable) text = pl_image_read_png_text(path, &error);
    g_assert_no_error(error);
    g_autofree char *want = g_strdup_printf("%d", steps[i]);
    g_assert_cmpstr(g_hash_table_lookup(text, "step"), ==, want);
    g_assert_cmpstr(g_hash_table_lookup(text, "tau"), ==, "0.99");
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    g_assert_cmpint(cairo_image_surface_get_width(s), ==, 128);
    g_assert_cmpint(cairo_image_surface_get_height(s), ==, 128);
    if (i == 1)
      widget_test_maybe_save(s, "frame.png");
    cairo_surface_destroy(s);
  }
  g_autofree char *extra = g_build_filename(seq, "x0-0003.png", NULL);
  g_assert_false(g_file_test(extra, G_FILE_TEST_EXISTS));
  for (int i = 0; i < 3; i++)
    pl_image_free(imgs[i]);
}

static void
draw_plot(cairo_t *cr, int w, int h, gpointer data)
{
  pl_series_plot_draw(data, cr, w, h);
}

static void
test_drawing_panel(Fixture *f, gconstpointer data)
{
  (void)data;
  PlSeriesPlot *plot = PL_SERIES_PLOT(g_object_ref_sink(pl_series_plot_new()));
  int a = pl_series_plot_add_series(plot, "PSLD", NULL, PL_LINE_SOLID);
  int b = pl_series_plot_add_series(plot, "PLoRG-PSLD", NULL, PL_LINE_DASHED);
  for (int i = 0; i < 100; i++) {
    pl_series_plot_append(plot, a, i, exp(-i / 30.0));
    pl_series_plot_append(plot, b, i, exp(-i / 20.0));
  }
  g_autoptr(PlFigure) fig = make_figure();
  pl_figure_add_plot(fig, GTK_WIDGET(plot), 2.0, "residual", NULL);
  pl_figure_add_drawing(fig, draw_plot, g_object_ref(plot), g_object_unref, 1.0, "again", NULL);
  g_assert_cmpint(pl_figure_get_n_panels(fig), ==, 6);
  pl_figure_set_columns(fig, 3);
  pl_figure_set_panel_size(fig, 160);
  g_object_unref(plot);   /* the figure holds its own references */
  g_autoptr(GError) error = NULL;
  for (int fmt = PL_FIGURE_FORMAT_PNG; fmt <= PL_FIGURE_FORMAT_PDF; fmt++) {
    g_autofree char *name = g_strdup_printf("plots.%s", pl_figure_format_extension(fmt));
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_assert_true(pl_figure_save(fig, path, fmt, NULL, NULL, &error));
    g_assert_no_error(error);
    if (fmt == PL_FIGURE_FORMAT_PNG) {
      cairo_surface_t *s = cairo_image_surface_create_from_png(path);
      widget_test_maybe_save(s, "figure-plots.png");
      cairo_surface_destroy(s);
    }
  }
}

static void
test_errors(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(PlFigure) fig = make_figure();
  g_autofree char *path = g_build_filename(f->dir, "missing-folder", "fig.svg", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_false(pl_figure_save(fig, path, PL_FIGURE_FORMAT_SVG, NULL, NULL, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  g_autofree char *png = g_build_filename(f->dir, "missing-folder", "fig.png", NULL);
  g_assert_false(pl_figure_save(fig, png, PL_FIGURE_FORMAT_PNG, NULL, NULL, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);

  g_assert_cmpint(pl_figure_format_from_path("a/b.PDF"), ==, PL_FIGURE_FORMAT_PDF);
  g_assert_cmpint(pl_figure_format_from_path("x.svg"), ==, PL_FIGURE_FORMAT_SVG);
  g_assert_cmpint(pl_figure_format_from_path("x.png"), ==, PL_FIGURE_FORMAT_PNG);
  g_assert_cmpint(pl_figure_format_from_path("x.gif"), ==, PL_FIGURE_FORMAT_AUTO);
  g_assert_cmpint(pl_figure_format_from_path("noext"), ==, PL_FIGURE_FORMAT_AUTO);

  /* An empty figure and a panel without an image still render. */
  g_autoptr(PlFigure) empty = pl_figure_new(NULL);
  pl_figure_add_panel(empty, NULL, "no image", NULL);
  g_autofree char *p2 = g_build_filename(f->dir, "empty.png", NULL);
  g_assert_true(pl_figure_save(empty, p2, PL_FIGURE_FORMAT_PNG, NULL, NULL, &error));
  g_assert_no_error(error);
}

int
main(int argc, char **argv)
{
  if (!widget_test_init(&argc, &argv))
    return 0;
#define ADD(path, fn) g_test_add("/figure/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD("png", test_png);
  ADD("svg", test_svg);
  ADD("pdf", test_pdf);
  ADD("strip-and-sequence", test_strip_and_sequence);
  ADD("drawing-panel", test_drawing_panel);
  ADD("errors", test_errors);
#undef ADD
  return g_test_run();
}
