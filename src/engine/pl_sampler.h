/* The sampler: one run's buffers and the pieces every solver is made of (timed model
 * calls with cancel points, the data term over a batch, the PLoRG projection, the DDIM
 * update). Solvers (pl_solver.h) sit above it; nothing here calls a solver. Not installed. */
#pragma once
#include <glib.h>
#include "pl_engine_private.h"
#include "pl_noise.h"
#include "pl_schedule.h"

G_BEGIN_DECLS

/* Everything a solver step needs; one per run, used on the run's thread only. */
typedef struct {
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
  PlResampleEvent *event_kind;   /* per step index; set by the solver's plan (ReSample) */
  PlNoiseTap noise_tap;          /* the run's (pl_run_set_noise_tap), may be NULL */
  gpointer noise_tap_data;
} PlSampler;

PlSampler *pl_sampler_new(PlModel *model, PlOperator *op, const float *y, const PlRunParams *p,
                          const gint *cancel, GError **error);
void pl_sampler_free(PlSampler *s);
/* FALSE with PL_ENGINE_ERROR_CANCELLED once the run was cancelled. Every model call and
 * every optimiser iteration passes here, so a cancel takes effect within one of them
 * wherever the solver is (ReSample's time travel alone is many UNet calls). */
gboolean pl_sampler_cancel_point(const PlSampler *s, GError **error);
/* pl_noise_fill for step i and sample b with the sampler's seed, shown to the noise tap. */
void pl_sampler_noise(PlSampler *s, PlNoisePurpose purpose, int i, int b, float *out);

/* pl_guidance.c */
/* Before every step: the SVD of each sample's z_t (the report always carries its singular
 * values; PLoRG reuses the subspace), and the step's index and timestep in rep. */
gboolean pl_sampler_latent_spectrum(PlSampler *s, const PlRunParams *p, int i, const float *z,
                                    PlStepReport *rep, GError **error);
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

G_END_DECLS
