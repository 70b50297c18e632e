/* PlSpectrumPlot: the singular values of each latent channel at the current step, on a
 * log y axis (index 1..kmax on x), one line per channel with a legend. Per channel the
 * chosen PLoRG rank is marked by a vertical dashed line in the channel's colour. The
 * cumulative energy share sum_{j<=k} s_j^2 / sum_j s_j^2 is drawn per channel against a
 * right-hand 0..1 axis ("show-energy"), with a horizontal line at tau; the index where
 * each channel's share first reaches tau (the per-channel rule) is dotted on that line.
 * Hovering shows index, value and cumulative share of every channel.
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_plot_style.h"

G_BEGIN_DECLS

#define PL_TYPE_SPECTRUM_PLOT (pl_spectrum_plot_get_type())
G_DECLARE_FINAL_TYPE(PlSpectrumPlot, pl_spectrum_plot, PL, SPECTRUM_PLOT, GtkWidget)

GtkWidget *pl_spectrum_plot_new(void);

/* sv: channels x kmax, row c = channel c, descending (as PlSampleStats.singular_values);
 * ranks: channels entries or NULL (no PLoRG; 0 entries are not drawn either);
 * tau <= 0 or > 1: no tau line. Copied. channels 0 clears the plot. */
void pl_spectrum_plot_set_data(PlSpectrumPlot *plot, int channels, int kmax,
                               const double *sv, const int *ranks, double tau);
void pl_spectrum_plot_clear(PlSpectrumPlot *plot);

/* Cumulative share of channel c up to index k (1-based, 1..kmax); NaN if out of range. */
double pl_spectrum_plot_get_share(PlSpectrumPlot *plot, int channel, int k);

/* Properties: "title" string, "show-energy" boolean (TRUE), "font-scale" double (1.0),
 * "step" int (-1 = none; shown in the title, e.g. "step 120"). */
void pl_spectrum_plot_set_title(PlSpectrumPlot *plot, const char *title);
void pl_spectrum_plot_set_show_energy(PlSpectrumPlot *plot, gboolean show);
void pl_spectrum_plot_set_step(PlSpectrumPlot *plot, int step);
void pl_spectrum_plot_set_font_scale(PlSpectrumPlot *plot, double scale);

/* Draw for export: dark ink on a transparent background, no hover readout. */
void pl_spectrum_plot_draw(PlSpectrumPlot *plot, cairo_t *cr, int width, int height);

/* Plot area and mapping (index k is 1-based), for tests and overlays. */
gboolean pl_spectrum_plot_get_plot_area(PlSpectrumPlot *plot, int width, int height,
                                        graphene_rect_t *area);
gboolean pl_spectrum_plot_data_to_pixel(PlSpectrumPlot *plot, int width, int height,
                                        double k, double value, double *px, double *py);

G_END_DECLS
