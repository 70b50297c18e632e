/* PlRunController: the main-thread face of one PlRun.
 *
 * The engine reports every step on its worker thread. The controller's observer copies
 * the numbers it needs there, converts preview images to RGBA8 there too, and keeps ONE
 * pending update under a mutex; a single idle callback is scheduled when none is pending,
 * so a slow main loop sees one merged update instead of a queue (coalescing). The scalar
 * series keep every step; images and the spectrum keep only the newest.
 *
 * Signals (main thread): "step" (last step index, whether a new preview arrived) and
 * "finished" (final PlRunState as int).
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_run.h"

G_BEGIN_DECLS

#define PL_MAX_CHANNELS 8

/* One step's numbers (sample 0), kept for the plots. */
typedef struct {
  int index, t;
  double elapsed_s, ms_total, ms_unet, ms_decoder, ms_encoder, ms_guided, ms_projection, ms_operator;
  double residual, loss_meas, loss_glue;
  double grad_norm, grad_norm_projected;
  double omega, gamma, tau;
  gboolean plorg;
  int channels;
  int rank[PL_MAX_CHANNELS];
} PlStepPoint;

/* Singular values of z_t at one step (sample 0). */
typedef struct {
  int step, channels, kmax;
  double tau;
  int rank[PL_MAX_CHANNELS];
  double *sv;                /* channels * kmax, descending per channel */
} PlSpectrum;

/* RGBA8 preview (stride 4*w) with the step it belongs to. */
typedef struct {
  int step, w, h;
  GBytes *rgba;
  gint64 report_us;          /* monotonic time the step's report reached the observer */
} PlPreview;

/* Spectrum of sample 0 of a report (copied); clear frees it. */
void pl_spectrum_from_report(PlSpectrum *sp, const PlStepReport *r);
void pl_spectrum_clear(PlSpectrum *sp);

/* A preview as a new 3 x h x w [0,1] image (for figures). */
PlImage *pl_preview_to_image(const PlPreview *p);

#define PL_TYPE_RUN_CONTROLLER (pl_run_controller_get_type())
G_DECLARE_FINAL_TYPE(PlRunController, pl_run_controller, PL, RUN_CONTROLLER, GObject)

PlRunController *pl_run_controller_new(PlRun *run, const char *label);

PlRun *pl_run_controller_get_run(PlRunController *self);
const char *pl_run_controller_get_label(PlRunController *self);
int pl_run_controller_get_steps(PlRunController *self);

void pl_run_controller_start(PlRunController *self);
void pl_run_controller_pause(PlRunController *self);
void pl_run_controller_resume(PlRunController *self);
void pl_run_controller_step_once(PlRunController *self);
void pl_run_controller_cancel(PlRunController *self);
/* Cancel and join the worker: for shutdown only (blocks for at most one step). */
void pl_run_controller_shutdown(PlRunController *self);
void pl_run_controller_set_param(PlRunController *self, const char *name, double value);
/* Decoded previews every n steps (n >= 1); may change while running. */
void pl_run_controller_set_preview_every(PlRunController *self, int n);

/* State as last seen on the main thread (running until "finished" arrives). */
PlRunState pl_run_controller_get_state(PlRunController *self);
gboolean pl_run_controller_is_active(PlRunController *self);   /* running or paused */
gboolean pl_run_controller_is_paused(PlRunController *self);
const GError *pl_run_controller_get_error(PlRunController *self);

/* Every step seen so far, in order (PlStepPoint). */
GArray *pl_run_controller_get_points(PlRunController *self);
const PlStepPoint *pl_run_controller_get_last_point(PlRunController *self);
const PlSpectrum *pl_run_controller_get_spectrum(PlRunController *self);
const PlPreview *pl_run_controller_get_x0_preview(PlRunController *self);
const PlPreview *pl_run_controller_get_zt_preview(PlRunController *self);
/* Estimated seconds left, from the mean step time so far (-1 when unknown). */
double pl_run_controller_get_eta(PlRunController *self);
/* How many idle updates delivered how many steps (coalescing statistics). */
void pl_run_controller_get_flush_stats(PlRunController *self, guint *flushes, guint *steps);

G_END_DECLS
