/* The sampler's buffers, its cancel point and its noise draws. */
#include "pl_sampler.h"

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
  s->event_kind = g_new0(PlResampleEvent, p->steps);
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

void pl_sampler_noise(PlSampler *s, PlNoisePurpose purpose, int i, int b, float *out) {
  pl_noise_fill(s->seed, purpose, i, b, out, s->zlen);
  if (s->noise_tap)
    s->noise_tap(purpose == PL_NOISE_RESAMPLE ? "resample" : "step", i, b, out, s->zlen,
                 s->noise_tap_data);
}
