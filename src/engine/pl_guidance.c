/* Pieces shared by the solvers: the latent's spectrum, timed shim calls, the data term
 * over a batch, the PLoRG projection with gradient norms, and the DDIM update with
 * per-sample noise. */
#include "pl_sampler.h"
#include "pl_metrics.h"
#include "pl_shim_error.h"
#include <math.h>
#include <string.h>

gboolean pl_sampler_latent_spectrum(PlSampler *s, const PlRunParams *p, int i, const float *z,
                                    PlStepReport *rep, GError **error) {
  g_return_val_if_fail(i >= 0 && i < s->steps, FALSE);
  s->x0_valid = FALSE;
  rep->index = i;
  rep->steps = s->steps;
  rep->t = s->ts[i];
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

double pl_sampler_abar(const PlSampler *s, int i) { return pl_schedule_abar(s->sched, s->ts[i]); }

double pl_sampler_abar_prev(const PlSampler *s, int i) {
  return pl_schedule_abar_prev(s->sched, s->ts, s->steps, i);
}

gboolean pl_sampler_eps(PlSampler *s, const float *z, int t, float *eps, PlStepReport *rep,
                        GError **error) {
  if (!pl_sampler_cancel_point(s, error))
    return FALSE;
  for (int b = 0; b < s->batch; b++)
    s->tvec[b] = t;
  gint64 t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_eps(s->shim, z, s->tvec, s->batch, eps);
  rep->ms_unet += pl_ms_since(t0);
  return pl_shim_check(st, error, "the UNet");
}

gboolean pl_sampler_decode(PlSampler *s, const float *z, float *x, PlStepReport *rep,
                           GError **error) {
  if (!pl_sampler_cancel_point(s, error))
    return FALSE;
  gint64 t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_decode(s->shim, z, s->batch, x);
  if (rep)
    rep->ms_decoder += pl_ms_since(t0);
  return pl_shim_check(st, error, "the decoder");
}

gboolean pl_sampler_encode(PlSampler *s, const float *x, float *z, PlStepReport *rep,
                           GError **error) {
  if (!pl_sampler_cancel_point(s, error))
    return FALSE;
  gint64 t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_encode(s->shim, x, s->batch, z);
  rep->ms_encoder += pl_ms_since(t0);
  return pl_shim_check(st, error, "the encoder");
}

gboolean pl_sampler_guided_forward(PlSampler *s, int i, const float *z, PlStepReport *rep,
                                   GError **error) {
  if (!pl_sampler_cancel_point(s, error))
    return FALSE;
  double abar = pl_sampler_abar(s, i);
  for (int b = 0; b < s->batch; b++) {
    s->tvec[b] = s->ts[i];
    s->abarvec[b] = abar;
  }
  gint64 t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_guided_forward(s->shim, z, s->tvec, s->abarvec, s->batch, s->eps,
                                          s->z0, s->x0);
  rep->ms_guided += pl_ms_since(t0);
  if (!pl_shim_check(st, error, "the guided forward (UNet + decoder)"))
    return FALSE;
  s->x0_valid = TRUE;
  return TRUE;
}

gboolean pl_sampler_guided_vjp(PlSampler *s, const float *gx, const float *gz0, float *gz,
                               PlStepReport *rep, GError **error) {
  if (!pl_sampler_cancel_point(s, error))
    return FALSE;
  gint64 t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_guided_vjp(s->shim, gx, gz0, s->batch, gz);
  rep->ms_guided += pl_ms_since(t0);
  return pl_shim_check(st, error, "the guided VJP (decoder + UNet backwards)");
}

void pl_sampler_data_term(PlSampler *s, const float *x, PlNorm norm, const double *scale,
                          float *grad, PlStepReport *rep) {
  gint64 t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++) {
    float *g = grad ? grad + (size_t)b * s->xlen : NULL;
    double resid = 0.0;
    double loss = pl_operator_data_term(s->op, x + (size_t)b * s->xlen, s->y, norm, g, &resid);
    rep->sample[b].loss_meas = loss;
    rep->sample[b].residual = resid;
    double k = scale ? scale[b] : 1.0;
    if (g && k != 1.0)
      for (size_t j = 0; j < s->xlen; j++)
        g[j] = (float)(g[j] * k);
  }
  rep->ms_operator += pl_ms_since(t0);
}

void pl_sampler_project(PlSampler *s, const PlRunParams *p, float *g, PlStepReport *rep) {
  gint64 t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++) {
    float *gb = g + (size_t)b * s->zlen;
    PlSampleStats *st = &rep->sample[b];
    st->grad_norm = pl_l2_norm(gb, s->zlen);
    if (p->plorg.enabled) {
      pl_subspace_project(s->sub[b], p->plorg.proj.side, gb, gb);
      st->grad_norm_projected = pl_l2_norm(gb, s->zlen);
    } else {
      st->grad_norm_projected = st->grad_norm;
    }
  }
  rep->ms_projection += pl_ms_since(t0);
}

void pl_sampler_ddim_update(PlSampler *s, const PlRunParams *p, int i, const float *z,
                            float *z_prev, float *z0_out) {
  double a = pl_sampler_abar(s, i);
  double ap = pl_sampler_abar_prev(s, i);
  double sigma = pl_ddim_sigma(a, ap, p->eta);
  const float *noise = NULL;
  if (sigma > 0.0) {
    for (int b = 0; b < s->batch; b++)
      pl_sampler_noise(s, PL_NOISE_STEP, i, b, s->noise + (size_t)b * s->zlen);
    noise = s->noise;
  }
  pl_ddim_step(z, s->eps, a, ap, p->eta, noise, z0_out, z_prev, (size_t)s->batch * s->zlen);
}
