/* PlLiveView: the single-run centre of the window: measurement, decoded x0_hat and z_t,
 * progress with ETA, per-step timings, metrics, the live plots and the timeline scrubber
 * (drag back through the stored steps of a paused or finished run). */
#pragma once
#include <gtk/gtk.h>
#include "pl_run_controller.h"
#include "pl_run_plots.h"
#include "pl_image_view.h"
#include "pl_stall_meter.h"
#include "pl_lpips_metric.h"

G_BEGIN_DECLS

#define PL_TYPE_LIVE_VIEW (pl_live_view_get_type())
G_DECLARE_FINAL_TYPE(PlLiveView, pl_live_view, PL, LIVE_VIEW, GtkBox)

/* Follow this run (NULL: none). Resets plots and views. */
void pl_live_view_set_controller(PlLiveView *self, PlRunController *ctl);
PlRunController *pl_live_view_get_controller(PlLiveView *self);
void pl_live_view_set_ground_truth(PlLiveView *self, const PlImage *img);
void pl_live_view_set_measurement(PlLiveView *self, const PlImage *img);
void pl_live_view_set_stall_meter(PlLiveView *self, PlStallMeter *meter);
/* LPIPS against the ground truth when a network is loaded (else the view says n/a). */
void pl_live_view_set_lpips(PlLiveView *self, PlLpipsMetric *lpips);
const char *pl_live_view_get_metrics_text(PlLiveView *self);
void pl_live_view_set_font_scale(PlLiveView *self, double scale);
/* Re-read the run state (after pause/resume) to enable or disable the scrubber. */
void pl_live_view_refresh_state(PlLiveView *self);

/* Scrub to the i-th kept step (clamped); FALSE when the run cannot be scrubbed now. */
gboolean pl_live_view_scrub_to(PlLiveView *self, int index);
/* The kept-history index and step shown (-1: following the live run). */
int pl_live_view_get_scrub_index(PlLiveView *self);
int pl_live_view_get_scrub_step(PlLiveView *self);
gboolean pl_live_view_is_decoding(PlLiveView *self);

PlImageView *pl_live_view_get_x0_view(PlLiveView *self);
PlRunPlots *pl_live_view_get_plots(PlLiveView *self);
/* The x0_hat image shown (preview, scrubbed decode or result), [0,1], or NULL. */
const PlImage *pl_live_view_get_x0_image(PlLiveView *self);

G_END_DECLS
