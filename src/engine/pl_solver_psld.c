/* PSLD (Rout et al. 2023; official code psld.py, DDIMSampler.p_sample_ddim): one guided
 * forward of z_t, then
 *   measurement  L_m = ||A(D(z0)) + n - y||   n ~ N(0, sigma_y^2) drawn afresh each step
 *                (meas_noise = noised, the code's noiser; clean: n = 0; plain norm)
 *   gluing       L_g = ||z0 - E(M y + (I - M A) D(z0))||
 *                (M = the code's operator.transpose or the exact adjoint: glue_transpose)
 * both differentiated w.r.t. z_t through the UNet, decoder and encoder, and
 *   z_{t-1} = DDIM(z_t, eps) - (omega * grad L_m + gamma * grad L_g).
 * The encoder is traversed backwards once (encoder_vjp), its pixel cotangent mapped
 * through (I - M A)^T (not symmetric for M != A^T), and everything else goes back
 * through the decoder and UNet in ONE guided VJP. PLoRG projects the combined gradient.
 * The gluing needs M, so phase retrieval runs PSLD with gamma = 0 only. */
#include "pl_solver.h"
#include "pl_shim_error.h"
#include <math.h>
#include <string.h>

/* Gluing term: loss into rep, the latent cotangent dL/dz0 * gamma into s->gz0 and the
 * pixel cotangent gamma * (I - M A)^T E^T dL/de added into s->gx. */
static gboolean gluing(PlSampler *s, const PlRunParams *p, PlStepReport *rep, GError **error) {
  gint64 t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++)
    if (!pl_operator_glue_with(s->op, p->glue_transpose, s->y, s->x0 + (size_t)b * s->xlen,
                               s->xa + (size_t)b * s->xlen, error))
      return FALSE;
  rep->ms_operator += pl_ms_since(t0);

  t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_encode_with_grad(s->shim, s->xa, s->batch, s->e);
  rep->ms_encoder += pl_ms_since(t0);
  if (!pl_shim_check(st, error, "the encoder (gluing)"))
    return FALSE;

  /* d = z0 - e;  L = ||d|| -> dL/dz0 = d/||d||, dL/de = -d/||d||;  L = ||d||^2 -> 2d, -2d */
  for (int b = 0; b < s->batch; b++) {
    float *d = s->gz0 + (size_t)b * s->zlen;
    const float *z0 = s->z0 + (size_t)b * s->zlen, *e = s->e + (size_t)b * s->zlen;
    double dd = 0.0;
    for (size_t k = 0; k < s->zlen; k++) {
      d[k] = z0[k] - e[k];
      dd += (double)d[k] * d[k];
    }
    double norm = sqrt(dd);
    double loss, k_dir;
    if (p->norm == PL_NORM_L2_SQUARED) {
      loss = dd;
      k_dir = 2.0;
    } else {
      loss = norm;
      k_dir = norm > 0.0 ? 1.0 / norm : 0.0; /* gradient of ||d|| taken as 0 at d = 0 */
    }
    rep->sample[b].loss_glue = loss;
    for (size_t k = 0; k < s->zlen; k++)
      d[k] = (float)(d[k] * k_dir);
    /* dL/de = -d' (e's cotangent), kept in s->zb for the encoder VJP */
    float *ge = s->zb + (size_t)b * s->zlen;
    for (size_t k = 0; k < s->zlen; k++)
      ge[k] = -d[k];
  }

  t0 = g_get_monotonic_time();
  st = plshim_encoder_vjp(s->shim, s->zb, s->batch, s->gxg);
  rep->ms_encoder += pl_ms_since(t0);
  if (!pl_shim_check(st, error, "the encoder VJP (gluing)"))
    return FALSE;

  t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++) {
    float *gxg = s->gxg + (size_t)b * s->xlen, *gx = s->gx + (size_t)b * s->xlen;
    if (!pl_operator_glue_vjp(s->op, p->glue_transpose, gxg, gxg, error))
      return FALSE;
    for (size_t k = 0; k < s->xlen; k++)
      gx[k] += (float)(p->gamma * gxg[k]);
  }
  size_t nz = (size_t)s->batch * s->zlen;
  for (size_t k = 0; k < nz; k++)
    s->gz0[k] = (float)(p->gamma * s->gz0[k]);
  rep->ms_operator += pl_ms_since(t0);
  return TRUE;
}

/* The measurement term with the code's noiser: ||A x + sigma n - y|| = ||A x - (y - sigma n)||,
 * so the noise moves y per sample (the gradient keeps its form). The reported residual
 * stays ||A(x0_hat) - y||. */
static void noised_data_term(PlSampler *s, const PlRunParams *p, int i, PlStepReport *rep) {
  gint64 t0 = g_get_monotonic_time();
  const double sigma = pl_operator_noise_std(s->op);
  for (int b = 0; b < s->batch; b++) {
    /* the noise has y's length: s->noise is latent sized, so draw into ya directly */
    pl_noise_fill(s->seed, PL_NOISE_PREDICTION, i, b, s->ya, s->ylen);
    for (size_t k = 0; k < s->ylen; k++)
      s->ya[k] = (float)(s->y[k] - sigma * s->ya[k]);
    float *g = s->gx + (size_t)b * s->xlen;
    const float *x = s->x0 + (size_t)b * s->xlen;
    double resid = 0.0;
    rep->sample[b].loss_meas = pl_operator_data_term(s->op, x, s->ya, p->norm, g, NULL);
    pl_operator_data_term(s->op, x, s->y, p->norm, NULL, &resid);
    rep->sample[b].residual = resid;
    if (p->omega != 1.0)
      for (size_t j = 0; j < s->xlen; j++)
        g[j] = (float)(g[j] * p->omega);
  }
  rep->ms_operator += pl_ms_since(t0);
}

gboolean pl_solver_psld_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                             float *z0_out, PlStepReport *rep, GError **error) {
  size_t n = (size_t)s->batch * s->zlen;
  if (!pl_sampler_guided_forward(s, i, z, rep, error))
    return FALSE;
  if (p->meas_noise == PL_MEAS_NOISED && pl_operator_noise_std(s->op) > 0.0) {
    noised_data_term(s, p, i, rep);
  } else {
    double scale[PL_RUN_MAX_BATCH];
    for (int b = 0; b < s->batch; b++)
      scale[b] = p->omega;
    pl_sampler_data_term(s, s->x0, p->norm, scale, s->gx, rep);
  }
  gboolean glue = p->gamma != 0.0 && pl_operator_is_linear(s->op);
  if (glue && !gluing(s, p, rep, error))
    return FALSE;
  if (!pl_sampler_guided_vjp(s, s->gx, glue ? s->gz0 : NULL, s->gz, rep, error))
    return FALSE;
  pl_sampler_project(s, p, s->gz, rep);
  gint64 t0 = g_get_monotonic_time();
  pl_sampler_ddim_update(s, p, i, z, s->za, NULL);
  memcpy(z0_out, s->z0, n * sizeof(float));
  for (size_t k = 0; k < n; k++)
    z[k] = s->za[k] - s->gz[k];
  rep->ms_other += pl_ms_since(t0);
  return TRUE;
}
