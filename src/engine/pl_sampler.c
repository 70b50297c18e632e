/* The sampler: per-run buffers and the step dispatch. Before every step the SVD of each
 * sample's z_t is computed (the report always carries its singular values; PLoRG reuses
 * it), then the solver's step runs. */
#include "pl_engine_private.h"
#include <math.h>

gboolean pl_shim_check(PlShimStatus st, const char *what, GError **error) {
  if (st == PLSHIM_OK)
    return TRUE;
  if (st == PLSHIM_ERR_NONFINITE)
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED, "%s produced NaN/Inf: %s",
                what, plshim_last_error());
  else
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_MODEL, "%s failed: %s: %s", what,
                plshim_status_name(st), plshim_last_error());
  return FALSE;
}

PlSampler *pl_sampler_new(PlModel *model, PlOperator *op, const float *y, const PlRunParams *p,
                          const gint *cancel, GError **error) {
  PlSampler *s = g_new0(PlSampler, 1);
  s->model = model;
  s->shim = pl_model_shim(model);
  s->op = op;
  s->sched = pl_model_schedule(model);
  s->steps = p->steps;
  s->ts = g_new0(int, p->steps);
  if (pl_schedule_ddim_timesteps_rule(s->sched, p->steps, p->timesteps, s->ts) != p->steps) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "cannot make %d DDIM timesteps for T = %d", p->steps, s->sched->T);
    pl_sampler_free(s);
    return NULL;
  }
  s->batch = p->batch;
  pl_model_latent_shape(model, &s->C, &s->H, &s->W);
  s->kmax = MIN(s->H, s->W);
  s->n = pl_operator_size(op);
  s->zlen = (size_t)s->C * s->H * s->W;
  s->xlen = pl_operator_x_len(op);
  s->ylen = pl_operator_y_len(op);
  s->y = y;
  s->seed = p->seed;
  s->cancel = cancel;
  size_t B = (size_t)s->batch;
  s->sub = g_new0(PlSubspace *, B);
  s->sub_event = g_new0(PlSubspace *, B);
  for (size_t b = 0; b < B; b++) {
    s->sub[b] = pl_subspace_new(s->C, s->H, s->W);
    s->sub_event[b] = pl_subspace_new(s->C, s->H, s->W);
  }
  float **zbufs[] = {&s->eps, &s->z0, &s->gz, &s->gz0, &s->e, &s->za, &s->zb, &s->noise};
  for (size_t k = 0; k < G_N_ELEMENTS(zbufs); k++)
    *zbufs[k] = g_new0(float, B * s->zlen);
  float **xbufs[] = {&s->x0, &s->gx, &s->gxg, &s->xa};
  for (size_t k = 0; k < G_N_ELEMENTS(xbufs); k++)
    *xbufs[k] = g_new0(float, B * s->xlen);
  s->ya = g_new0(float, s->ylen);
  s->gsample = g_new0(float, s->xlen);
  s->tvec = g_new0(int, B);
  s->abarvec = g_new0(double, B);
  s->event_kind = g_new0(signed char, p->steps);
  if (p->solver == PL_SOLVER_RESAMPLE)
    pl_resample_plan(&p->resample, p->steps, s->event_kind);
  return s;
}

void pl_sampler_free(PlSampler *s) {
  if (!s)
    return;
  for (int b = 0; b < s->batch; b++) {
    if (s->sub) pl_subspace_free(s->sub[b]);
    if (s->sub_event) pl_subspace_free(s->sub_event[b]);
    if (s->sub_pixel) pl_subspace_free(s->sub_pixel[b]);
  }
  g_free(s->sub_pixel);
  g_free(s->sub);
  g_free(s->sub_event);
  float *bufs[] = {s->eps, s->z0, s->gz, s->gz0, s->e, s->za, s->zb, s->noise,
                   s->x0, s->gx, s->gxg, s->xa, s->ya, s->gsample};
  for (size_t k = 0; k < G_N_ELEMENTS(bufs); k++)
    g_free(bufs[k]);
  g_free(s->ts);
  g_free(s->tvec);
  g_free(s->abarvec);
  g_free(s->event_kind);
  g_free(s);
}

gboolean pl_sampler_cancel_point(const PlSampler *s, GError **error) {
  if (!s->cancel || !g_atomic_int_get(s->cancel))
    return TRUE;
  g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_CANCELLED, "cancelled");
  return FALSE;
}

/* SVD of every sample's z_t: singular values (always) and ranks (when PLoRG is on). */
static gboolean latent_spectrum(PlSampler *s, const PlRunParams *p, const float *z,
                                PlStepReport *rep, GError **error) {
  gint64 t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++) {
    GError *e = NULL;
    if (!pl_subspace_compute(s->sub[b], z + (size_t)b * s->zlen, &p->plorg.proj, &e)) {
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED,
                  "SVD of the latent of sample %d failed: %s", b, e->message);
      g_error_free(e);
      return FALSE;
    }
    PlSampleStats *st = &rep->sample[b];
    for (int c = 0; c < s->C; c++) {
      const double *sv = pl_subspace_singular_values(s->sub[b], c);
      for (int k = 0; k < s->kmax; k++)
        st->singular_values[(size_t)c * s->kmax + k] = sv[k];
      st->ranks[c] = p->plorg.enabled ? pl_subspace_rank(s->sub[b], c) : 0;
    }
    double zz = 0.0;
    const float *zb = z + (size_t)b * s->zlen;
    for (size_t k = 0; k < s->zlen; k++)
      zz += (double)zb[k] * zb[k];
    st->z_norm = sqrt(zz);
  }
  rep->ms_projection += pl_ms_since(t0);
  return TRUE;
}

gboolean pl_sampler_step(PlSampler *s, const PlRunParams *p, int i, float *z, float *z0_out,
                         PlStepReport *rep, GError **error) {
  g_return_val_if_fail(i >= 0 && i < s->steps, FALSE);
  s->x0_valid = FALSE;
  rep->index = i;
  rep->steps = s->steps;
  rep->t = s->ts[i];
  if (!latent_spectrum(s, p, z, rep, error))
    return FALSE;
  switch (p->solver) {
  case PL_SOLVER_DDIM:
  case PL_SOLVER_DDPM:
    return pl_solver_uncond_step(s, p, i, z, z0_out, rep, error);
  case PL_SOLVER_DPS:
    return pl_solver_dps_step(s, p, i, z, z0_out, rep, error);
  case PL_SOLVER_PSLD:
    return pl_solver_psld_step(s, p, i, z, z0_out, rep, error);
  case PL_SOLVER_RESAMPLE:
    return pl_solver_resample_step(s, p, i, z, z0_out, rep, error);
  default:
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "unknown solver");
    return FALSE;
  }
}
