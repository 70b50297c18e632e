/* Latent-DPS: z_{t-1} = DDIM(z_t, eps) - zeta * grad_{z_t} ||y - A(D(z0_hat(z_t)))||.
 * The plain norm is DPS's public code (its squared-norm step divided by the norm); the
 * squared norm is offered as the option. zeta is p->omega; PLoRG projects the gradient. */
#include "pl_solver.h"
#include <string.h>

gboolean pl_solver_dps_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                            float *z0_out, PlStepReport *rep, GError **error) {
  size_t n = (size_t)s->batch * s->zlen;
  if (!pl_sampler_guided_forward(s, i, z, rep, error))
    return FALSE;
  double scale[PL_RUN_MAX_BATCH];
  for (int b = 0; b < s->batch; b++)
    scale[b] = p->omega;
  pl_sampler_data_term(s, s->x0, p->norm, scale, s->gx, rep);
  if (!pl_sampler_guided_vjp(s, s->gx, NULL, s->gz, rep, error))
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
