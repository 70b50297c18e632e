/* Private drawing helpers shared by the plot widgets and the figure export: text through
 * one Pango context whose metrics do not depend on the target surface (so the plot area
 * computed for a test or overlay equals the one drawn), nice axis ticks, the hover
 * readout box. */
#pragma once
#include <gtk/gtk.h>
#include "pl_plot_style.h"
#include "pl_image.h"

G_BEGIN_DECLS

typedef struct {
  PangoContext *context;
  PangoLayout *layout;
  PangoFontDescription *font;
  double size;
} PlPlotText;

void pl_plot_text_init(PlPlotText *t, const PlPlotInk *ink);
void pl_plot_text_clear(PlPlotText *t);
/* Pango markup at scale * the ink's font size; measures into w, h (either may be NULL). */
void pl_plot_text_measure(PlPlotText *t, const char *markup, double scale, double *w, double *h);
/* Draws with the current source; (ax, ay) is the anchor within the text box, 0..1. */
void pl_plot_text_draw(PlPlotText *t, cairo_t *cr, const char *markup, double scale,
                       double x, double y, double ax, double ay);
/* Wrapped to `width`, lines centred (center) or left-aligned; top-left at (x, y). */
double pl_plot_text_wrapped_height(PlPlotText *t, const char *markup, double scale, double width);
void pl_plot_text_draw_wrapped(PlPlotText *t, cairo_t *cr, const char *markup, double scale,
                               double x, double y, double width, gboolean center);

#define PL_PLOT_MAX_TICKS 24
typedef struct {
  int n;
  double value[PL_PLOT_MAX_TICKS];   /* data units (log10 of the value on log axes) */
  char label[PL_PLOT_MAX_TICKS][32]; /* Pango markup */
} PlPlotTicks;

/* Widen [*lo, *hi] to include a little margin (unless fixed) and choose ticks on it. */
void pl_plot_ticks_linear(double lo, double hi, int max_ticks, PlPlotTicks *out);
/* Integer ticks only (indices, steps). */
void pl_plot_ticks_integer(double lo, double hi, int max_ticks, PlPlotTicks *out);
/* lo, hi in log10 units. */
void pl_plot_ticks_log(double lo, double hi, int max_ticks, PlPlotTicks *out);
/* A "nice" step (1, 2 or 5 times a power of ten) near span / max_ticks. */
double pl_plot_nice_step(double span, int max_ticks);

/* Readout box: lines of markup with optional colour swatches, placed near (x, y) but
 * kept inside bounds. colors may be NULL, entries may be NULL (no swatch). */
void pl_plot_draw_readout(cairo_t *cr, PlPlotText *t, const PlPlotInk *ink,
                          const char *const *lines, const GdkRGBA *const *colors, int n,
                          double x, double y, const graphene_rect_t *bounds);

/* Axis frame, ticks and tick labels around area; y ticks on the left, optional right. */
void pl_plot_draw_axes(cairo_t *cr, PlPlotText *t, const PlPlotInk *ink,
                       const graphene_rect_t *area, double x0, double x1,
                       const PlPlotTicks *xt, double y0, double y1, const PlPlotTicks *yt);

char *pl_plot_format_value(double v);   /* compact "%.4g"-like text for readouts */

/* Cairo image surfaces (ARGB32, premultiplied) from RGBA8 bytes or a [0,1] PlImage;
 * NULL on bad sizes. */
cairo_surface_t *pl_surface_from_rgba8(const guint8 *rgba, int width, int height, int stride);
cairo_surface_t *pl_surface_from_image(const PlImage *img);

static inline void pl_plot_set_rgba(cairo_t *cr, const GdkRGBA *c, double alpha_scale)
{
  cairo_set_source_rgba(cr, c->red, c->green, c->blue, c->alpha * alpha_scale);
}

G_END_DECLS
