/* PlSeriesPlot: lines land where the axes say (constant series at the expected row, on
 * linear and log axes), gaps, dashes, the cursor, markers, cheap appends. */
#include "pl_series_plot.h"
#include "widget_test_util.h"

#include <math.h>

#define W 420
#define H 300

static const GdkRGBA red = { 1, 0, 0, 1 };
static const GdkRGBA green = { 0, 0.8f, 0, 1 };

static gboolean
is_red(cairo_surface_t *s, int x, int y)
{
  int r, g, b;
  widget_test_pixel(s, x, y, &r, &g, &b);
  return r > 180 && g < 110 && b < 110;
}

static gboolean
is_green(cairo_surface_t *s, int x, int y)
{
  int r, g, b;
  widget_test_pixel(s, x, y, &r, &g, &b);
  return g > 150 && r < 110 && b < 110;
}

static PlSeriesPlot *
new_plot(void)
{
  PlSeriesPlot *plot = PL_SERIES_PLOT(g_object_ref_sink(pl_series_plot_new()));
  pl_series_plot_set_title(plot, "residual");
  pl_series_plot_set_axis_labels(plot, "step", "value");
  return plot;
}

static cairo_surface_t *
render(PlSeriesPlot *plot, const char *shot)
{
  cairo_surface_t *s = widget_test_white_surface(W, H);
  cairo_t *cr = cairo_create(s);
  pl_series_plot_draw(plot, cr, W, H);
  g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy(cr);
  widget_test_maybe_save(s, shot);
  return s;
}

/* The row of a value on the plot's y axis, from the area alone: linear in v (or log v). */
static double
expected_row(const graphene_rect_t *a, double v, double lo, double hi)
{
  return a->origin.y + a->size.height * (1 - (v - lo) / (hi - lo));
}

static void
test_constant_linear(void)
{
  PlSeriesPlot *plot = new_plot();
  pl_series_plot_set_x_range(plot, 0, 100);
  pl_series_plot_set_y_range(plot, 0, 10);
  int id = pl_series_plot_add_series(plot, "A", &red, PL_LINE_SOLID);
  g_assert_cmpint(id, ==, 0);
  for (int i = 0; i <= 100; i++)
    pl_series_plot_append(plot, id, i, 7.5);
  cairo_surface_t *s = render(plot, "series-linear.png");

  graphene_rect_t a;
  g_assert_true(pl_series_plot_get_plot_area(plot, W, H, &a));
  g_assert_cmpfloat(a.size.width, >, W / 2);
  g_assert_cmpfloat(a.size.height, >, H / 3);
  int y = (int)floor(expected_row(&a, 7.5, 0, 10));
  double py;
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 50, 7.5, NULL, &py));
  g_assert_cmpfloat(fabs(py - expected_row(&a, 7.5, 0, 10)), <, 1e-9);

  /* Red along the whole row (1.5 px line: the row at or next to the exact y). */
  int hits = 0;
  for (int x = (int)a.origin.x + 3; x < (int)(a.origin.x + a.size.width) - 3; x++) {
    gboolean on = is_red(s, x, y) || is_red(s, x, y + 1) || is_red(s, x, y - 1);
    hits += on;
    g_assert_false(is_red(s, x, y - 5));
    g_assert_false(is_red(s, x, y + 5));
  }
  g_assert_cmpint(hits, ==, (int)(a.origin.x + a.size.width) - 3 - ((int)a.origin.x + 3));
  cairo_surface_destroy(s);
  g_object_unref(plot);
}

static void
test_constant_log(void)
{
  PlSeriesPlot *plot = new_plot();
  pl_series_plot_set_log_y(plot, TRUE);
  pl_series_plot_set_x_range(plot, 0, 50);
  pl_series_plot_set_y_range(plot, 1e-2, 1e3);
  int id = pl_series_plot_add_series(plot, "A", &red, PL_LINE_SOLID);
  for (int i = 0; i <= 50; i++)
    pl_series_plot_append(plot, id, i, 10.0);
  /* Non-positive values cannot be shown on a log axis: they leave a gap, no error. */
  pl_series_plot_append(plot, id, 51, 0.0);
  cairo_surface_t *s = render(plot, "series-log.png");

  graphene_rect_t a;
  g_assert_true(pl_series_plot_get_plot_area(plot, W, H, &a));
  /* log10: -2 .. 3, the value 10 at 3/5 of the height from the bottom. */
  int y = (int)floor(expected_row(&a, 1.0, -2, 3));
  int x = (int)(a.origin.x + a.size.width / 2);
  g_assert_true(is_red(s, x, y) || is_red(s, x, y + 1) || is_red(s, x, y - 1));
  g_assert_false(is_red(s, x, y - 6));
  cairo_surface_destroy(s);
  g_object_unref(plot);
}

static void
test_gap_and_dash(void)
{
  PlSeriesPlot *plot = new_plot();
  pl_series_plot_set_x_range(plot, 0, 100);
  pl_series_plot_set_y_range(plot, 0, 4);
  int a_id = pl_series_plot_add_series(plot, "run A", &red, PL_LINE_SOLID);
  int b_id = pl_series_plot_add_series(plot, "run B", &green, PL_LINE_DASHED);
  for (int i = 0; i <= 100; i++) {
    pl_series_plot_append(plot, a_id, i, (i >= 40 && i < 60) ? NAN : 1.0);
    pl_series_plot_append(plot, b_id, i, 3.0);
  }
  cairo_surface_t *s = render(plot, "series-gap-dash.png");
  graphene_rect_t a;
  g_assert_true(pl_series_plot_get_plot_area(plot, W, H, &a));

  double x45, x55, x20, ya, yb;
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 45, 1.0, &x45, &ya));
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 55, 3.0, &x55, &yb));
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 20, 1.0, &x20, NULL));
  for (int dy = -2; dy <= 2; dy++) {
    g_assert_false(is_red(s, (int)x45, (int)ya + dy));   /* NaN: gap */
    g_assert_false(is_red(s, (int)x55, (int)ya + dy));
  }
  gboolean seen = FALSE;
  for (int dy = -1; dy <= 1; dy++)
    seen |= is_red(s, (int)x20, (int)ya + dy);
  g_assert_true(seen);

  /* Dashed: along its row, some columns are green and some are not. */
  int on = 0, total = 0;
  for (int x = (int)a.origin.x + 5; x < (int)(a.origin.x + a.size.width) - 5; x++, total++) {
    gboolean g = FALSE;
    for (int dy = -1; dy <= 1; dy++)
      g |= is_green(s, x, (int)yb + dy);
    on += g;
  }
  g_assert_cmpint(on, >, total / 4);
  g_assert_cmpint(on, <, total * 9 / 10);
  cairo_surface_destroy(s);
  g_object_unref(plot);
}

static void
test_cursor_and_marker(void)
{
  PlSeriesPlot *plot = new_plot();
  pl_series_plot_set_x_range(plot, 0, 100);
  pl_series_plot_set_y_range(plot, 0, 1);
  int id = pl_series_plot_add_series(plot, "A", &red, PL_LINE_SOLID);
  pl_series_plot_append(plot, id, 0, 0.1);
  pl_series_plot_append(plot, id, 100, 0.1);
  pl_series_plot_set_cursor_step(plot, 37);
  g_assert_cmpfloat(pl_series_plot_get_cursor_step(plot), ==, 37);
  pl_series_plot_add_marker(plot, 73, "tau 0.99→0.9", &green);
  cairo_surface_t *s = render(plot, "series-cursor-marker.png");

  double xc, xm, y;
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 37, 0.5, &xc, &y));
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 73, 0.5, &xm, NULL));
  /* The cursor is drawn in the (dark) ink at its column. */
  int r, g, b;
  widget_test_pixel(s, (int)round(xc), (int)y, &r, &g, &b);
  g_assert_cmpint(r + g + b, <, 3 * 110);
  /* The dotted marker: green pixels in its column. */
  int greens = 0;
  graphene_rect_t a;
  pl_series_plot_get_plot_area(plot, W, H, &a);
  for (int yy = (int)a.origin.y + 40; yy < (int)(a.origin.y + a.size.height) - 2; yy++)
    greens += is_green(s, (int)round(xm), yy) || is_green(s, (int)round(xm) - 1, yy);
  g_assert_cmpint(greens, >, 10);
  cairo_surface_destroy(s);

  pl_series_plot_set_cursor_step(plot, -5);
  g_assert_cmpfloat(pl_series_plot_get_cursor_step(plot), ==, -1);
  g_object_unref(plot);
}

static void
test_autoscale_and_values(void)
{
  PlSeriesPlot *plot = new_plot();
  int id = pl_series_plot_add_series(plot, "rank", NULL, PL_LINE_SOLID);
  for (int i = 0; i < 20; i++)
    pl_series_plot_append(plot, id, i, i % 5);
  /* The same step again replaces the value (a step reported twice). */
  pl_series_plot_append(plot, id, 19, 42);
  double v;
  g_assert_true(pl_series_plot_get_value(plot, id, 3, &v));
  g_assert_cmpfloat(v, ==, 3);
  g_assert_true(pl_series_plot_get_value(plot, id, 19, &v));
  g_assert_cmpfloat(v, ==, 42);
  g_assert_false(pl_series_plot_get_value(plot, id, 20, &v));

  /* Automatic ranges include all the data inside the plot area. */
  graphene_rect_t a;
  double px, py;
  g_assert_true(pl_series_plot_get_plot_area(plot, W, H, &a));
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 19, 42, &px, &py));
  g_assert_true(graphene_rect_contains_point(&a, &GRAPHENE_POINT_INIT(px, py)));
  g_assert_true(pl_series_plot_data_to_pixel(plot, W, H, 0, 0, &px, &py));
  g_assert_true(graphene_rect_contains_point(&a, &GRAPHENE_POINT_INIT(px, py)));

  /* Out-of-order points are sorted before use. */
  double steps[] = { 5, 1, 3 }, vals[] = { 50, 10, 30 };
  pl_series_plot_set_points(plot, id, steps, vals, 3);
  g_assert_true(pl_series_plot_get_value(plot, id, 3, &v));
  g_assert_cmpfloat(v, ==, 30);
  cairo_surface_destroy(render(plot, "series-auto.png"));

  pl_series_plot_remove_all(plot);
  g_assert_cmpint(pl_series_plot_get_n_series(plot), ==, 0);
  cairo_surface_destroy(render(plot, "series-empty.png"));
  g_object_unref(plot);
}

static void
test_many_appends(void)
{
  PlSeriesPlot *plot = new_plot();
  int ids[4];
  for (int k = 0; k < 4; k++)
    ids[k] = pl_series_plot_add_series(plot, "s", NULL, (PlLineStyle)k);
  gint64 t0 = g_get_monotonic_time();
  for (int i = 0; i < 50000; i++)
    for (int k = 0; k < 4; k++)
      pl_series_plot_append(plot, ids[k], i, sin(i * 0.01 * (k + 1)));
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  g_test_message("200000 appends: %.3f s", secs);
  g_assert_cmpfloat(secs, <, 5.0);   /* O(1) each; generous for sanitizer builds */
  double v;
  g_assert_true(pl_series_plot_get_value(plot, ids[2], 49999, &v));
  g_assert_cmpfloat(fabs(v - sin(49999 * 0.03)), <, 1e-12);
  cairo_surface_destroy(render(plot, "series-many.png"));
  g_object_unref(plot);
}

int
main(int argc, char **argv)
{
  if (!widget_test_init(&argc, &argv))
    return 0;
  g_test_add_func("/series-plot/constant-linear", test_constant_linear);
  g_test_add_func("/series-plot/constant-log", test_constant_log);
  g_test_add_func("/series-plot/gap-and-dash", test_gap_and_dash);
  g_test_add_func("/series-plot/cursor-and-marker", test_cursor_and_marker);
  g_test_add_func("/series-plot/autoscale-and-values", test_autoscale_and_values);
  g_test_add_func("/series-plot/many-appends", test_many_appends);
  return g_test_run();
}
