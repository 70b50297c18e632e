/* Pieces shared by the solvers: timed shim calls, the data term over a batch, the PLoRG
 * projection with gradient norms, and the DDIM update with per-sample noise. */
#include "pl_engine_private.h"
#include "pl_metrics.h"
#include <math.h>
#include <string.h>

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
  return pl_shim_check(st, "the UNet", error);
}

gboolean pl_sampler_decode(PlSampler *s, const float *z, float *x, PlStepReport *rep,
                           GError **error) {
  if (!pl_sampler_cancel_point(s, error))
    return FALSE;
  gint64 t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_decode(s->shim, z, s->batch, x);
  if (rep)
    rep->ms_decoder += pl_ms_since(t0);
  return pl_shim_check(st, "the decoder", error);
}

gboolean pl_sampler_encode(PlSampler *s, const float *x, float *z, PlStepReport *rep,
                           GError **error) {
  if (!pl_sampler_cancel_point(s, error))
    return FALSE;
  gint64 t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_encode(s->shim, x, s->batch, z);
  rep->ms_encoder += pl_ms_since(t0);
  return pl_shim_check(st, "the encoder", error);
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
  if (!pl_shim_check(st, "the guided forward (UNet + decoder)", error))
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
  return pl_shim_check(st, "the guided VJP (decoder + UNet backwards)", error);
}

void pl_sampler_noise(PlSampler *s, PlNoisePurpose purpose, int i, int b, float *out) {
  pl_noise_fill(s->seed, purpose, i, b, out, s->zlen);
  if (s->noise_tap)
    s->noise_tap(purpose == PL_NOISE_RESAMPLE ? "resample" : "step", i, b, out, s->zlen,
                 s->noise_tap_data);
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

PlImage *pl_x_to_unit_image(const float *x, int n) {
  PlImage *img = pl_image_new(3, n, n);
  memcpy(img->data, x, pl_image_len(img) * sizeof(float));
  pl_image_to_unit_range(img);
  pl_image_clamp(img, 0.0f, 1.0f);
  return img;
}

PlImage *pl_latent_to_image(const float *z, int C, int H, int W) {
  /* three channels show as RGB; other counts as grey tiles side by side */
  gboolean rgb = (C == 3);
  PlImage *img = rgb ? pl_image_new(3, H, W) : pl_image_new(1, H, W * C);
  for (int c = 0; c < C; c++) {
    const float *zc = z + (size_t)c * H * W;
    float lo = zc[0], hi = zc[0];
    for (int k = 1; k < H * W; k++) {
      lo = MIN(lo, zc[k]);
      hi = MAX(hi, zc[k]);
    }
    float span = hi > lo ? hi - lo : 1.0f;
    for (int yy = 0; yy < H; yy++)
      for (int xx = 0; xx < W; xx++) {
        float v = (zc[yy * W + xx] - lo) / span;
        if (rgb)
          img->data[(size_t)c * H * W + yy * W + xx] = v;
        else
          img->data[(size_t)yy * W * C + c * W + xx] = v;
      }
  }
  return img;
}
