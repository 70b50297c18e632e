/* PlRunPlots: the four live plots of one run: spectrum of z_t at the shown step, chosen
 * rank per step, measurement residual, gradient norm before/after projection. Marks
 * parameter changes at the first step that used the new value.
 * Signal "step-activated" (int step): a click on a series plot (for the scrubber). */
#pragma once
#include <gtk/gtk.h>
#include "pl_run_controller.h"
#include "pl_series_plot.h"
#include "pl_spectrum_plot.h"

G_BEGIN_DECLS

#define PL_TYPE_RUN_PLOTS (pl_run_plots_get_type())
G_DECLARE_FINAL_TYPE(PlRunPlots, pl_run_plots, PL, RUN_PLOTS, GtkBox)

void pl_run_plots_reset(PlRunPlots *self, int steps);
/* Append steps (in order); markers are added where omega, gamma, tau or PLoRG changed. */
void pl_run_plots_append(PlRunPlots *self, const PlStepPoint *points, guint n);
void pl_run_plots_set_spectrum(PlRunPlots *self, const PlSpectrum *sp);
void pl_run_plots_set_cursor(PlRunPlots *self, double step);
void pl_run_plots_set_font_scale(PlRunPlots *self, double scale);
int pl_run_plots_get_marker_count(PlRunPlots *self);

PlSpectrumPlot *pl_run_plots_get_spectrum(PlRunPlots *self);
PlSeriesPlot *pl_run_plots_get_rank_plot(PlRunPlots *self);
PlSeriesPlot *pl_run_plots_get_residual_plot(PlRunPlots *self);
PlSeriesPlot *pl_run_plots_get_grad_plot(PlRunPlots *self);

G_END_DECLS
