/* PSLD (Rout et al. 2023; official code): one guided forward of z_t, then
 *   measurement  L_m = ||A(D(z0)) - y||                       (plain norm: public code)
 *   gluing       L_g = ||z0 - E(A^T y + (I - A^T A) D(z0))||
 * both differentiated w.r.t. z_t through the UNet, decoder and encoder, and
 *   z_{t-1} = DDIM(z_t, eps) - (omega * grad L_m + gamma * grad L_g).
 * The encoder is traversed backwards once (encoder_vjp), its pixel cotangent mapped
 * through (I - A^T A) (d x_glued / d x0; symmetric), and everything else goes back
 * through the decoder and UNet in ONE guided VJP. PLoRG projects the combined gradient.
 * The gluing needs A^T, so phase retrieval runs PSLD with gamma = 0 only. */
#include "pl_engine_private.h"
#include <math.h>
#include <string.h>

/* g <- g - A^T(A g), one sample: the orthogonal-complement projector of the gluing. */
static gboolean ortho_complement(PlSampler *s, float *g, GError **error) {
  pl_operator_forward(s->op, g, s->ya);
  if (!pl_operator_adjoint(s->op, s->ya, s->gsample, error))
    return FALSE;
  for (size_t k = 0; k < s->xlen; k++)
    g[k] -= s->gsample[k];
  return TRUE;
}

/* Gluing term: loss into rep, the latent cotangent dL/dz0 * gamma into s->gz0 and the
 * pixel cotangent gamma * (I - A^T A) E^T dL/de added into s->gx. */
static gboolean gluing(PlSampler *s, const PlRunParams *p, PlStepReport *rep, GError **error) {
  gint64 t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++)
    if (!pl_operator_glue(s->op, s->y, s->x0 + (size_t)b * s->xlen, s->xa + (size_t)b * s->xlen,
                          error))
      return FALSE;
  rep->ms_operator += pl_ms_since(t0);

  t0 = g_get_monotonic_time();
  PlShimStatus st = plshim_encode_with_grad(s->shim, s->xa, s->batch, s->e);
  rep->ms_encoder += pl_ms_since(t0);
  if (!pl_shim_check(st, "the encoder (gluing)", error))
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
  if (!pl_shim_check(st, "the encoder VJP (gluing)", error))
    return FALSE;

  t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++) {
    float *gxg = s->gxg + (size_t)b * s->xlen, *gx = s->gx + (size_t)b * s->xlen;
    if (!ortho_complement(s, gxg, error))
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

gboolean pl_solver_psld_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                             float *z0_out, PlStepReport *rep, GError **error) {
  size_t n = (size_t)s->batch * s->zlen;
  if (!pl_sampler_guided_forward(s, i, z, rep, error))
    return FALSE;
  double scale[64];
  for (int b = 0; b < s->batch; b++)
    scale[b] = p->omega;
  pl_sampler_data_term(s, s->x0, p->norm, scale, s->gx, rep);
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
