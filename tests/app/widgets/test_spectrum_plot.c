/* PlSpectrumPlot: cumulative energy shares from closed forms; a flat spectrum draws at the
 * middle of the log axis; rank markers sit at their index. */
#include "pl_spectrum_plot.h"
#include "widget_test_util.h"

#include <math.h>

#define W 400
#define H 300

static cairo_surface_t *
render(PlSpectrumPlot *plot, const char *shot)
{
  cairo_surface_t *s = widget_test_white_surface(W, H);
  cairo_t *cr = cairo_create(s);
  pl_spectrum_plot_draw(plot, cr, W, H);
  g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy(cr);
  widget_test_maybe_save(s, shot);
  return s;
}

/* Palette colour 0 (#0072B2), allowing antialiasing. */
static gboolean
is_blue(cairo_surface_t *s, int x, int y)
{
  int r, g, b;
  widget_test_pixel(s, x, y, &r, &g, &b);
  return b > 130 && r < 80 && g < 160 && b - r > 80;
}

static void
test_shares(void)
{
  /* Geometric spectra s_k = q^(k-1): share(k) = (1 - q^(2k)) / (1 - q^(2K)). */
  enum { C = 3, K = 12 };
  const double q[C] = { 0.5, 0.8, 0.95 };
  double sv[C * K];
  for (int c = 0; c < C; c++)
    for (int k = 0; k < K; k++)
      sv[c * K + k] = pow(q[c], k);
  int ranks[C] = { 2, 5, 9 };
  PlSpectrumPlot *plot = PL_SPECTRUM_PLOT(g_object_ref_sink(pl_spectrum_plot_new()));
  pl_spectrum_plot_set_title(plot, "latent spectrum");
  pl_spectrum_plot_set_step(plot, 120);
  pl_spectrum_plot_set_data(plot, C, K, sv, ranks, 0.9);
  for (int c = 0; c < C; c++)
    for (int k = 1; k <= K; k++) {
      double want = (1 - pow(q[c], 2 * k)) / (1 - pow(q[c], 2 * K));
      g_assert_cmpfloat(fabs(pl_spectrum_plot_get_share(plot, c, k) - want), <, 1e-12);
    }
  g_assert_true(isnan(pl_spectrum_plot_get_share(plot, 0, 0)));
  g_assert_true(isnan(pl_spectrum_plot_get_share(plot, 3, 1)));
  g_assert_true(isnan(pl_spectrum_plot_get_share(plot, 0, K + 1)));
  cairo_surface_destroy(render(plot, "spectrum-geometric.png"));

  /* Large type (presentation mode) still lays out. */
  pl_spectrum_plot_set_font_scale(plot, 2.0);
  graphene_rect_t a;
  g_assert_true(pl_spectrum_plot_get_plot_area(plot, W * 2, H * 2, &a));
  cairo_surface_destroy(render(plot, "spectrum-large.png"));
  g_object_unref(plot);
}

static void
test_flat_line_and_rank(void)
{
  enum { K = 10 };
  double sv[K];
  for (int k = 0; k < K; k++)
    sv[k] = 3.0;
  int rank = 4;
  PlSpectrumPlot *plot = PL_SPECTRUM_PLOT(g_object_ref_sink(pl_spectrum_plot_new()));
  pl_spectrum_plot_set_show_energy(plot, FALSE);
  pl_spectrum_plot_set_data(plot, 1, K, sv, &rank, 0.99);
  cairo_surface_t *s = render(plot, "spectrum-flat.png");

  graphene_rect_t a;
  g_assert_true(pl_spectrum_plot_get_plot_area(plot, W, H, &a));
  /* One value only: the log axis is centred on it. */
  double mid = a.origin.y + a.size.height / 2;
  double px, py;
  g_assert_true(pl_spectrum_plot_data_to_pixel(plot, W, H, 2.5, 3.0, &px, &py));
  g_assert_cmpfloat(fabs(py - mid), <, 1e-6);
  for (double k = 1.5; k < K; k += 1.0) {
    pl_spectrum_plot_data_to_pixel(plot, W, H, k, 3.0, &px, NULL);
    int y = (int)floor(mid);
    g_assert_true(is_blue(s, (int)px, y) || is_blue(s, (int)px, y + 1) || is_blue(s, (int)px, y - 1));
    g_assert_false(is_blue(s, (int)px, y - 8));
  }

  /* The rank marker: a dashed blue column at k = 4, well away from the line. */
  double xr;
  pl_spectrum_plot_data_to_pixel(plot, W, H, rank, 3.0, &xr, NULL);
  int blues = 0;
  for (int y = (int)a.origin.y + 2; y < (int)mid - 10; y++)
    blues += is_blue(s, (int)round(xr), y) || is_blue(s, (int)round(xr) - 1, y);
  g_assert_cmpint(blues, >, 8);
  cairo_surface_destroy(s);

  /* Without ranks (PLoRG off) that column is empty above the line. */
  pl_spectrum_plot_set_data(plot, 1, K, sv, NULL, 0.99);
  s = render(plot, "spectrum-no-rank.png");
  blues = 0;
  for (int y = (int)a.origin.y + 2; y < (int)mid - 10; y++)
    blues += is_blue(s, (int)round(xr), y) || is_blue(s, (int)round(xr) - 1, y);
  g_assert_cmpint(blues, ==, 0);
  cairo_surface_destroy(s);
  g_object_unref(plot);
}

static void
test_degenerate(void)
{
  PlSpectrumPlot *plot = PL_SPECTRUM_PLOT(g_object_ref_sink(pl_spectrum_plot_new()));
  cairo_surface_destroy(render(plot, "spectrum-empty.png"));   /* no data */
  g_assert_false(pl_spectrum_plot_get_plot_area(plot, W, H, NULL));
  double sv[4] = { 0, 0, NAN, INFINITY };
  pl_spectrum_plot_set_data(plot, 2, 2, sv, NULL, 2.0);   /* nothing positive, bad tau */
  g_assert_true(isnan(pl_spectrum_plot_get_share(plot, 0, 1)));
  cairo_surface_destroy(render(plot, "spectrum-degenerate.png"));
  pl_spectrum_plot_set_data(plot, 0, 0, NULL, NULL, 0);
  g_assert_false(pl_spectrum_plot_get_plot_area(plot, W, H, NULL));
  g_object_unref(plot);
}

int
main(int argc, char **argv)
{
  if (!widget_test_init(&argc, &argv))
    return 0;
  g_test_add_func("/spectrum-plot/shares", test_shares);
  g_test_add_func("/spectrum-plot/flat-line-and-rank", test_flat_line_and_rank);
  g_test_add_func("/spectrum-plot/degenerate", test_degenerate);
  return g_test_run();
}
