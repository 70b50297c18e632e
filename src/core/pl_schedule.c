/* Noise schedule (LDM "linear") and the DDIM / DDPM updates. */
#include "pl_schedule.h"

#include <math.h>

PlSchedule *pl_schedule_new_linear(int T, double beta_start, double beta_end)
{
  g_return_val_if_fail(T >= 1 && beta_start > 0.0 && beta_end > 0.0 && beta_end < 1.0, NULL);
  PlSchedule *s = g_new0(PlSchedule, 1);
  s->T = T;
  s->betas = g_new(double, T);
  s->alphas_cumprod = g_new(double, T);
  const double r0 = sqrt(beta_start), r1 = sqrt(beta_end);
  double abar = 1.0;
  for (int t = 0; t < T; t++) {
    const double r = T > 1 ? r0 + (r1 - r0) * t / (T - 1) : r0;
    s->betas[t] = r * r;
    abar *= 1.0 - s->betas[t];
    s->alphas_cumprod[t] = abar;
  }
  return s;
}

void pl_schedule_free(PlSchedule *s)
{
  if (s == NULL)
    return;
  g_free(s->betas);
  g_free(s->alphas_cumprod);
  g_free(s);
}

int pl_schedule_ddim_timesteps(const PlSchedule *s, int steps, int *out)
{
  if (steps < 1 || steps > s->T)
    return 0;
  const int c = s->T / steps;
  for (int i = 0; i < steps; i++)
    out[i] = (steps - 1 - i) * c;
  return steps;
}

const char *pl_timestep_rule_name(PlTimestepRule r)
{
  return r == PL_TIMESTEPS_ZERO ? "zero" : "ldm";
}

gboolean pl_timestep_rule_from_name(const char *name, PlTimestepRule *out)
{
  PlTimestepRule v;
  if (g_strcmp0(name, "ldm") == 0)
    v = PL_TIMESTEPS_LDM;
  else if (g_strcmp0(name, "zero") == 0)
    v = PL_TIMESTEPS_ZERO;
  else
    return FALSE;
  if (out != NULL)
    *out = v;
  return TRUE;
}

int pl_schedule_ddim_timesteps_rule(const PlSchedule *s, int steps, PlTimestepRule rule, int *out)
{
  const int n = pl_schedule_ddim_timesteps(s, steps, out);
  /* +1 everywhere unless that would reach t = T (only when c = 1 and steps = T) */
  if (n > 0 && rule == PL_TIMESTEPS_LDM && out[0] + 1 < s->T)
    for (int i = 0; i < n; i++)
      out[i] += 1;
  return n;
}

double pl_schedule_abar(const PlSchedule *s, int t)
{
  /* before the first step nothing is noised; past the end stay at the last value */
  if (t < 0)
    return 1.0;
  return s->alphas_cumprod[MIN(t, s->T - 1)];
}

double pl_schedule_abar_prev(const PlSchedule *s, const int *ts, int n, int i)
{
  return i + 1 < n ? pl_schedule_abar(s, ts[i + 1]) : s->alphas_cumprod[0];
}

void pl_predict_z0(const float *z, const float *eps, double abar, float *z0, size_t n)
{
  const double a = sqrt(abar), b = sqrt(1.0 - abar);
  for (size_t i = 0; i < n; i++)
    z0[i] = (float)((z[i] - b * eps[i]) / a);
}

double pl_ddim_sigma(double abar, double abar_prev, double eta)
{
  if (eta == 0.0 || abar >= 1.0 || abar_prev <= 0.0)
    return 0.0;
  const double v = (1.0 - abar_prev) / (1.0 - abar) * (1.0 - abar / abar_prev);
  return v > 0.0 ? eta * sqrt(v) : 0.0;
}

void pl_ddim_step(const float *z, const float *eps, double abar, double abar_prev, double eta,
                  const float *noise, float *z0_out, float *z_prev, size_t n)
{
  const double sigma = pl_ddim_sigma(abar, abar_prev, eta);
  const double a = sqrt(abar), b = sqrt(1.0 - abar), ap = sqrt(abar_prev);
  const double dir2 = 1.0 - abar_prev - sigma * sigma;
  const double d = dir2 > 0.0 ? sqrt(dir2) : 0.0;  /* rounding can push it below 0 */
  for (size_t i = 0; i < n; i++) {
    const double z0 = (z[i] - b * eps[i]) / a;
    double v = ap * z0 + d * eps[i];
    if (noise != NULL && sigma > 0.0)
      v += sigma * noise[i];
    if (z0_out != NULL)
      z0_out[i] = (float)z0;
    z_prev[i] = (float)v;
  }
}

void pl_ddpm_step(const PlSchedule *s, int t, const float *z, const float *eps,
                  const float *noise, float *z_prev, size_t n)
{
  g_return_if_fail(t >= 0 && t < s->T);
  const double abar = s->alphas_cumprod[t], abar_prev = t > 0 ? s->alphas_cumprod[t - 1] : 1.0;
  const double beta = s->betas[t], alpha = 1.0 - beta;
  /* posterior q(z_{t-1} | z_t, z0): mean c0 z0 + ct z_t, variance beta_tilde */
  const double c0 = beta * sqrt(abar_prev) / (1.0 - abar);
  const double ct = (1.0 - abar_prev) * sqrt(alpha) / (1.0 - abar);
  const double var = beta * (1.0 - abar_prev) / (1.0 - abar);
  const double sd = var > 0.0 ? sqrt(var) : 0.0;
  const double a = sqrt(abar), b = sqrt(1.0 - abar);
  for (size_t i = 0; i < n; i++) {
    const double z0 = (z[i] - b * eps[i]) / a;
    double v = c0 * z0 + ct * z[i];
    if (noise != NULL)
      v += sd * noise[i];
    z_prev[i] = (float)v;
  }
}
