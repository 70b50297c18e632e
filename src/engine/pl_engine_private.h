/* Engine internals shared by the sampler, solver and run files. Not installed. */
#pragma once
#include <glib.h>
#include "pl_run.h"
#include "pl_rng.h"
#include "pl_schedule.h"

G_BEGIN_DECLS

static inline double pl_ms_since(gint64 t0_us) { return (double)(g_get_monotonic_time() - t0_us) / 1000.0; }

gboolean pl_run_params_validate(const PlRunParams *p, int T, GError **error);

PlStepReport *pl_step_report_new(int batch, int channels, int kmax);
PlStepReport *pl_step_report_copy_no_images(const PlStepReport *r);
void pl_step_report_drop_images(PlStepReport *r);

/* Noise streams: every random draw is a function of (seed, purpose, step, sample) alone,
 * so a batch of 2 shares sample 0 with a batch of 1 and a branch from step s draws the
 * same noise as its parent. The initial z_T is purpose PL_RNG_INITIAL_NOISE, index sample.
 * PREDICTION is PSLD's noiser on A(D(z0_hat)) (pl_solver_psld.c). */
typedef enum {
  PL_NOISE_STEP = PL_RNG_STEP_NOISE,
  PL_NOISE_RESAMPLE = PL_RNG_RESAMPLE_NOISE,
  PL_NOISE_PREDICTION = PL_RNG_PREDICTION_NOISE,
} PlNoisePurpose;
void pl_noise_initial(guint64 seed, int sample, float *out, size_t n);
void pl_noise_fill(guint64 seed, PlNoisePurpose purpose, int step, int sample, float *out, size_t n);

/* Forward declaration for the sampler's noise draws (below). */
typedef struct PlSampler PlSampler;

/* Map a shim status to a GError: NONFINITE -> DIVERGED, anything else -> MODEL. */
gboolean pl_shim_check(PlShimStatus st, const char *what, GError **error);

/* Everything a solver step needs; one per run, used on the run's thread only. */
struct PlSampler {
  PlModel *model;
  PlShimModel *shim;
  PlOperator *op;
  const PlSchedule *sched;
  int *ts;                       /* DDIM timesteps, descending (p->timesteps rule) */
  int steps;
  int batch, C, H, W, kmax, n;   /* latent C x H x W, image 3 x n x n */
  size_t zlen, xlen, ylen;       /* per sample */
  const float *y;                /* ylen (shared by the batch) */
  guint64 seed;
  PlSubspace **sub;              /* per sample: SVD of z_t of this step (stats + PLoRG) */
  PlSubspace **sub_event;        /* per sample: ReSample's once-per-event subspace */
  PlSubspace **sub_pixel;        /* per sample, made on first use: the same for a decoded image */
  /* batch-sized scratch */
  float *eps, *z0, *x0, *gx, *gz, *gz0, *e, *gxg, *xa, *za, *zb, *noise;
  float *ya;                     /* one ylen buffer */
  float *gsample;                /* one xlen buffer */
  int *tvec;
  double *abarvec;
  gboolean x0_valid;             /* x0 holds D(z0_hat) of this step */
  const gint *cancel;            /* the run's cancel flag; long inner loops poll it */
  signed char *event_kind;       /* ReSample, per step index: 0 none, 1 pixel, 2 latent */
  PlNoiseTap noise_tap;          /* the run's (pl_run_set_noise_tap), may be NULL */
  gpointer noise_tap_data;
};

PlSampler *pl_sampler_new(PlModel *model, PlOperator *op, const float *y, const PlRunParams *p,
                          const gint *cancel, GError **error);
void pl_sampler_free(PlSampler *s);
/* Step i: z (batch x zlen) goes from z_{t_i} to the next latent in place; z0_out gets
 * the Tweedie estimate z0_hat of this step. Caller holds the model lock. */
gboolean pl_sampler_step(PlSampler *s, const PlRunParams *p, int i, float *z, float *z0_out,
                         PlStepReport *rep, GError **error);
/* FALSE with PL_ENGINE_ERROR_CANCELLED once the run was cancelled. Every model call and
 * every optimiser iteration passes here, so a cancel takes effect within one of them
 * wherever the solver is (ReSample's time travel alone is many UNet calls). */
gboolean pl_sampler_cancel_point(const PlSampler *s, GError **error);
/* pl_noise_fill for step i and sample b with the sampler's seed, shown to the noise tap. */
void pl_sampler_noise(PlSampler *s, PlNoisePurpose purpose, int i, int b, float *out);

/* Shared pieces of the solvers (pl_guidance.c). */
double pl_sampler_abar(const PlSampler *s, int i);       /* abar of ts[i] */
double pl_sampler_abar_prev(const PlSampler *s, int i);  /* abar of ts[i+1] (abar[0] at the end) */
gboolean pl_sampler_eps(PlSampler *s, const float *z, int t, float *eps, PlStepReport *rep,
                        GError **error);
gboolean pl_sampler_decode(PlSampler *s, const float *z, float *x, PlStepReport *rep,
                           GError **error);
gboolean pl_sampler_encode(PlSampler *s, const float *x, float *z, PlStepReport *rep,
                           GError **error);
/* guided forward at step i on z: fills s->eps, s->z0, s->x0. */
gboolean pl_sampler_guided_forward(PlSampler *s, int i, const float *z, PlStepReport *rep,
                                   GError **error);
gboolean pl_sampler_guided_vjp(PlSampler *s, const float *gx, const float *gz0, float *gz,
                               PlStepReport *rep, GError **error);
/* Data term of every sample of x (batch x xlen): loss and residual into rep, gradient
 * times `scale[b]` (or 1 when scale is NULL) into grad (may be NULL). */
void pl_sampler_data_term(PlSampler *s, const float *x, PlNorm norm, const double *scale,
                          float *grad, PlStepReport *rep);
/* PLoRG on g (batch x zlen) with s->sub: gradient norms into rep; projects in place when on. */
void pl_sampler_project(PlSampler *s, const PlRunParams *p, float *g, PlStepReport *rep);
/* z_prev = DDIM(z, s->eps) at step i with p->eta (noise per sample); z0_out optional. */
void pl_sampler_ddim_update(PlSampler *s, const PlRunParams *p, int i, const float *z,
                            float *z_prev, float *z0_out);

/* Solvers (one file each). */
gboolean pl_solver_uncond_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                               float *z0_out, PlStepReport *rep, GError **error);
gboolean pl_solver_dps_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                            float *z0_out, PlStepReport *rep, GError **error);
gboolean pl_solver_psld_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                             float *z0_out, PlStepReport *rep, GError **error);
gboolean pl_solver_resample_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                                 float *z0_out, PlStepReport *rep, GError **error);
void pl_resample_plan(const PlResampleParams *r, int steps, signed char *kind);

/* ReSample's hard data consistency (pl_resample_opt.c). z0 (batch x zlen) in, optimised
 * latent out; iterations done (max over samples) returned in *iters. */
/* x_state (batch x xlen, may be NULL): the image whose per-channel SVD projects the pixel
 * gradient every F-th iteration (DiffStateGrad's placement); NULL = no projection. */
gboolean pl_resample_pixel_opt(PlSampler *s, const PlRunParams *p, const float *z0,
                               const float *x_state, float *z_out, int *iters,
                               PlStepReport *rep, GError **error);
gboolean pl_resample_latent_opt(PlSampler *s, const PlRunParams *p, const float *z0,
                                const float *z_state, float *z_out, int *iters,
                                PlStepReport *rep, GError **error);

/* Images for reports and results. */
PlImage *pl_x_to_unit_image(const float *x, int n);      /* 3 x n x n model range -> [0,1] copy */
PlImage *pl_latent_to_image(const float *z, int C, int H, int W);

G_END_DECLS
