/* PlSeriesPlot: per-step line plot of several named series (rank per step, residual,
 * gradient norms before/after projection, ...), possibly from several runs overlaid.
 *
 * Each series has a name, a colour and a line style (e.g. run A solid, run B dashed).
 * Points are (step, value); appending one point is amortised O(1) and only queues a
 * redraw, which GTK coalesces to at most one per frame. Non-finite values leave a gap;
 * with log-y, values <= 0 leave a gap too.
 *
 * Also drawn: vertical markers with short labels at steps where a parameter changed
 * ("tau 0.99→0.9"), and a cursor line at the current step ("cursor-step", -1 = none) for
 * the timeline scrubber. Hovering shows the values of all series at the nearest step;
 * a primary click or drag emits "step-activated" (int step) so the scrubber can follow.
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_plot_style.h"

G_BEGIN_DECLS

#define PL_TYPE_SERIES_PLOT (pl_series_plot_get_type())
G_DECLARE_FINAL_TYPE(PlSeriesPlot, pl_series_plot, PL, SERIES_PLOT, GtkWidget)

GtkWidget *pl_series_plot_new(void);

/* Adds a series and returns its id (0, 1, 2, ... in order of addition). color NULL =
 * palette colour of the id. */
int pl_series_plot_add_series(PlSeriesPlot *plot, const char *name, const GdkRGBA *color,
                              PlLineStyle style);
int pl_series_plot_get_n_series(PlSeriesPlot *plot);
void pl_series_plot_append(PlSeriesPlot *plot, int series, double step, double value);
/* Replace a series' points (n pairs; steps may be NULL for 0, 1, ..., n-1). */
void pl_series_plot_set_points(PlSeriesPlot *plot, int series, const double *steps,
                               const double *values, int n);
void pl_series_plot_clear_points(PlSeriesPlot *plot, int series);  /* keeps the series */
void pl_series_plot_set_series_visible(PlSeriesPlot *plot, int series, gboolean visible);
/* Value at exactly `step` (FALSE if the series has no point there). */
gboolean pl_series_plot_get_value(PlSeriesPlot *plot, int series, double step, double *value);
void pl_series_plot_remove_all(PlSeriesPlot *plot);  /* series and markers */

/* Marker at a step; color NULL = the theme ink. */
void pl_series_plot_add_marker(PlSeriesPlot *plot, double step, const char *label,
                               const GdkRGBA *color);
void pl_series_plot_clear_markers(PlSeriesPlot *plot);

/* Axis ranges: fixed when min < max, automatic (from the data) otherwise. Fix x to
 * 0..steps-1 at run start so the plot does not rescale while it grows. */
void pl_series_plot_set_x_range(PlSeriesPlot *plot, double min, double max);
void pl_series_plot_set_y_range(PlSeriesPlot *plot, double min, double max);

/* Properties: "title", "x-label" ("step"), "y-label" strings; "log-y" boolean;
 * "cursor-step" double (-1 = none); "font-scale" double (1.0); "show-legend" boolean. */
void pl_series_plot_set_title(PlSeriesPlot *plot, const char *title);
void pl_series_plot_set_axis_labels(PlSeriesPlot *plot, const char *x_label, const char *y_label);
void pl_series_plot_set_log_y(PlSeriesPlot *plot, gboolean log_y);
gboolean pl_series_plot_get_log_y(PlSeriesPlot *plot);
void pl_series_plot_set_cursor_step(PlSeriesPlot *plot, double step);
double pl_series_plot_get_cursor_step(PlSeriesPlot *plot);
void pl_series_plot_set_font_scale(PlSeriesPlot *plot, double scale);

/* Draw for export (SVG/PDF/PNG figures): dark ink on a transparent background (paint
 * white first for a page), no hover readout, the widget's data and settings. */
void pl_series_plot_draw(PlSeriesPlot *plot, cairo_t *cr, int width, int height);

/* The plot area (inside the axes) for a plot drawn at width x height, and the mapping
 * of a data point into it: for tests and overlays. FALSE when nothing to plot. */
gboolean pl_series_plot_get_plot_area(PlSeriesPlot *plot, int width, int height,
                                      graphene_rect_t *area);
gboolean pl_series_plot_data_to_pixel(PlSeriesPlot *plot, int width, int height,
                                      double step, double value, double *px, double *py);

G_END_DECLS
