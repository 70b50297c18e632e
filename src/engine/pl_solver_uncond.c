/* Unconditional sampling: DDIM (eta) and DDPM ancestral sampling. The baseline that shows
 * the model works, and the reference point for the guided solvers' residuals.
 * DDPM with fewer than T steps runs DDIM with eta = 1, which is ancestral sampling on
 * the respaced schedule (beta'_i = 1 - abar_i / abar_{i-1}). */
#include "pl_solver.h"
#include <string.h>

gboolean pl_solver_uncond_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                               float *z0_out, PlStepReport *rep, GError **error) {
  size_t n = (size_t)s->batch * s->zlen;
  if (!pl_sampler_eps(s, z, s->ts[i], s->eps, rep, error))
    return FALSE;
  gint64 t0 = g_get_monotonic_time();
  if (p->solver == PL_SOLVER_DDPM && s->steps == s->sched->T) {
    for (int b = 0; b < s->batch; b++)
      pl_sampler_noise(s, PL_NOISE_STEP, i, b, s->noise + (size_t)b * s->zlen);
    pl_predict_z0(z, s->eps, pl_sampler_abar(s, i), z0_out, n);
    pl_ddpm_step(s->sched, s->ts[i], z, s->eps, s->noise, s->za, n);
  } else {
    PlRunParams q = *p;
    if (p->solver == PL_SOLVER_DDPM)
      q.eta = 1.0;
    pl_sampler_ddim_update(s, &q, i, z, s->za, z0_out);
  }
  memcpy(z, s->za, n * sizeof(float));
  rep->ms_other += pl_ms_since(t0);
  return TRUE;
}
