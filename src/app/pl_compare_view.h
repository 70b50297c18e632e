/* PlCompareView: two or more runs on the same initial noise and measurement, side by
 * side (ground truth | measurement | run A | run B ...), a before/after split of the
 * first two outputs, their curves overlaid, and PSNR/SSIM against the ground truth.
 * Signal "all-finished": every run has ended. */
#pragma once
#include <gtk/gtk.h>
#include "pl_run_controller.h"
#include "pl_figure.h"
#include "pl_lpips_metric.h"

G_BEGIN_DECLS

#define PL_TYPE_COMPARE_VIEW (pl_compare_view_get_type())
G_DECLARE_FINAL_TYPE(PlCompareView, pl_compare_view, PL, COMPARE_VIEW, GtkBox)

/* Drop all runs (cancelling those still going) and show these inputs. */
void pl_compare_view_reset(PlCompareView *self, const PlImage *ground_truth,
                           const PlImage *measurement, const char *title);
void pl_compare_view_add_run(PlCompareView *self, PlRunController *ctl);
guint pl_compare_view_get_n_runs(PlCompareView *self);
PlRunController *pl_compare_view_get_controller(PlCompareView *self, guint i);
gboolean pl_compare_view_is_active(PlCompareView *self);      /* any run going */
gboolean pl_compare_view_all_finished(PlCompareView *self);
/* Metrics line shown under run i ("" while running). */
const char *pl_compare_view_get_metrics(PlCompareView *self, guint i);
void pl_compare_view_set_font_scale(PlCompareView *self, double scale);
/* LPIPS of each result against the ground truth when a network is loaded. */
void pl_compare_view_set_lpips(PlCompareView *self, PlLpipsMetric *lpips);

/* The figure "ground truth | measurement | run ... | residual curves", labelled, with
 * metrics; plain data, safe to save from a worker thread. */
PlFigure *pl_compare_view_build_figure(PlCompareView *self);

G_END_DECLS
