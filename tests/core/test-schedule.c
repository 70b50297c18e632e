/* Schedules and samplers against their defining formulas (LDM / DDIM / DDPM papers). */
#include <glib.h>
#include <math.h>

#include "pl_schedule.h"
#include "test-util.h"

static void test_linear(void)
{
  g_autoptr(PlSchedule) s = pl_schedule_new_linear(1000, 0.0015, 0.0195);
  g_assert_cmpint(s->T, ==, 1000);
  g_assert_cmpfloat_with_epsilon(s->betas[0], 0.0015, 1e-15);
  g_assert_cmpfloat_with_epsilon(s->betas[999], 0.0195, 1e-15);
  /* square roots equally spaced */
  const double step = (sqrt(0.0195) - sqrt(0.0015)) / 999;
  double logsum = 0;
  for (int t = 0; t < 1000; t++) {
    if (t > 0)
      g_assert_cmpfloat_with_epsilon(sqrt(s->betas[t]) - sqrt(s->betas[t - 1]), step, 1e-12);
    logsum += log1p(-s->betas[t]);
    g_assert_cmpfloat_with_epsilon(s->alphas_cumprod[t], exp(logsum), 1e-12);
    g_assert_cmpfloat(pl_schedule_abar(s, t), ==, s->alphas_cumprod[t]);
  }
  g_autoptr(PlSchedule) one = pl_schedule_new_linear(1, 0.01, 0.02);
  g_assert_cmpfloat_with_epsilon(one->betas[0], 0.01, 1e-16);
}

static void test_ddim_timesteps(void)
{
  g_autoptr(PlSchedule) s = pl_schedule_new_linear(1000, 0.0015, 0.0195);
  int ts[1000];
  g_assert_cmpint(pl_schedule_ddim_timesteps(s, 50, ts), ==, 50);
  for (int i = 0; i < 50; i++)
    g_assert_cmpint(ts[i], ==, 980 - 20 * i);
  g_assert_cmpint(pl_schedule_ddim_timesteps(s, 1000, ts), ==, 1000);
  g_assert_cmpint(ts[0], ==, 999);  /* no +1: stays inside 0..T-1 */
  g_assert_cmpint(ts[999], ==, 0);
  g_assert_cmpint(pl_schedule_ddim_timesteps(s, 300, ts), ==, 300);
  g_assert_cmpint(ts[0], ==, 897);  /* c = 1000 / 300 = 3 */
  g_assert_cmpint(pl_schedule_ddim_timesteps(s, 1, ts), ==, 1);
  g_assert_cmpint(ts[0], ==, 0);
  g_assert_cmpint(pl_schedule_ddim_timesteps(s, 0, ts), ==, 0);
  g_assert_cmpint(pl_schedule_ddim_timesteps(s, 1001, ts), ==, 0);

  g_assert_cmpint(pl_schedule_ddim_timesteps(s, 50, ts), ==, 50);
  g_assert_cmpfloat(pl_schedule_abar_prev(s, ts, 50, 0), ==, s->alphas_cumprod[960]);
  g_assert_cmpfloat(pl_schedule_abar_prev(s, ts, 50, 49), ==, s->alphas_cumprod[0]);
}

static void test_ddim_timesteps_ldm(void)
{
  /* LDM's make_ddim_timesteps: range(0, T, c) + 1, in sampling (descending) order */
  g_autoptr(PlSchedule) s = pl_schedule_new_linear(1000, 0.0015, 0.0195);
  int ts[1000];
  const int counts[] = {1, 10, 50, 250, 500};
  for (size_t k = 0; k < G_N_ELEMENTS(counts); k++) {
    const int n = counts[k], c = 1000 / n;
    g_assert_cmpint(pl_schedule_ddim_timesteps_rule(s, n, PL_TIMESTEPS_LDM, ts), ==, n);
    for (int i = 0; i < n; i++)
      g_assert_cmpint(ts[i], ==, (n - 1 - i) * c + 1);
  }
  /* at 500 steps the last step runs t = 1 (abar_1 -> abar_0), not the no-op t = 0 */
  pl_schedule_ddim_timesteps_rule(s, 500, PL_TIMESTEPS_LDM, ts);
  g_assert_cmpint(ts[499], ==, 1);
  g_assert_cmpint(ts[0], ==, 999);
  /* at steps = T, t = T is outside the model: the rule falls back to k */
  g_assert_cmpint(pl_schedule_ddim_timesteps_rule(s, 1000, PL_TIMESTEPS_LDM, ts), ==, 1000);
  g_assert_cmpint(ts[0], ==, 999);
  g_assert_cmpint(ts[999], ==, 0);
  g_assert_cmpint(pl_schedule_ddim_timesteps_rule(s, 50, PL_TIMESTEPS_ZERO, ts), ==, 50);
  g_assert_cmpint(ts[49], ==, 0);
  g_assert_cmpint(pl_schedule_ddim_timesteps_rule(s, 0, PL_TIMESTEPS_LDM, ts), ==, 0);
  PlTimestepRule r;
  g_assert_true(pl_timestep_rule_from_name("ldm", &r) && r == PL_TIMESTEPS_LDM);
  g_assert_true(pl_timestep_rule_from_name("zero", &r) && r == PL_TIMESTEPS_ZERO);
  g_assert_false(pl_timestep_rule_from_name("kc", &r));
}

static void test_tweedie_and_ddim(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 4);
  const size_t n = 500;
  g_autofree float *z0 = tu_normal(&rng, n), *eps = tu_normal(&rng, n), *z = g_new(float, n);
  g_autofree float *got = g_new(float, n), *zp = g_new(float, n), *noise = tu_normal(&rng, n);
  const double a = 0.3, ap = 0.55;
  for (size_t i = 0; i < n; i++)  /* forward diffusion: z = sqrt(a) z0 + sqrt(1-a) eps */
    z[i] = (float)(sqrt(a) * z0[i] + sqrt(1 - a) * eps[i]);
  pl_predict_z0(z, eps, a, got, n);
  g_assert_cmpfloat(tu_max_abs_diff(got, z0, n), <, 1e-5);

  /* eta = 0 with the true noise: the deterministic step lands on the same trajectory */
  pl_ddim_step(z, eps, a, ap, 0.0, NULL, got, zp, n);
  g_assert_cmpfloat(tu_max_abs_diff(got, z0, n), <, 1e-5);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon(zp[i], sqrt(ap) * z0[i] + sqrt(1 - ap) * eps[i], 1e-5);

  /* eta = 1: sigma^2 equals DDPM's beta_tilde for consecutive steps */
  g_autoptr(PlSchedule) s = pl_schedule_new_linear(1000, 0.0015, 0.0195);
  for (int t = 1; t < 1000; t += 97) {
    const double at = s->alphas_cumprod[t], atp = s->alphas_cumprod[t - 1];
    const double bt = s->betas[t] * (1 - atp) / (1 - at);
    g_assert_cmpfloat_with_epsilon(pow(pl_ddim_sigma(at, atp, 1.0), 2), bt, 1e-15);
    g_assert_cmpfloat_with_epsilon(pl_ddim_sigma(at, atp, 0.5), 0.5 * sqrt(bt), 1e-15);
  }
  g_assert_cmpfloat(pl_ddim_sigma(a, ap, 0.0), ==, 0.0);

  const double eta = 0.8, sg = pl_ddim_sigma(a, ap, eta);
  pl_ddim_step(z, eps, a, ap, eta, noise, NULL, zp, n);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon(zp[i], sqrt(ap) * z0[i] + sqrt(1 - ap - sg * sg) * eps[i] + sg * noise[i], 1e-5);
}

static void test_ddpm(void)
{
  g_autoptr(PlSchedule) s = pl_schedule_new_linear(1000, 0.0015, 0.0195);
  PlRng rng;
  pl_rng_seed(&rng, 5);
  const size_t n = 300;
  g_autofree float *z = tu_normal(&rng, n), *eps = tu_normal(&rng, n), *noise = tu_normal(&rng, n);
  g_autofree float *zp = g_new(float, n);
  for (int t = 1; t < 1000; t += 111) {
    /* Ho et al. eq. 11: mean = (z - beta / sqrt(1 - abar) eps) / sqrt(alpha), var beta_tilde */
    const double b = s->betas[t], at = s->alphas_cumprod[t], atp = s->alphas_cumprod[t - 1];
    const double var = b * (1 - atp) / (1 - at);
    pl_ddpm_step(s, t, z, eps, noise, zp, n);
    for (size_t i = 0; i < n; i++) {
      const double mean = (z[i] - b / sqrt(1 - at) * eps[i]) / sqrt(1 - b);
      g_assert_cmpfloat_with_epsilon(zp[i], mean + sqrt(var) * noise[i], 1e-5);
    }
  }
  /* t = 0: no noise, the Tweedie estimate itself */
  g_autofree float *z0 = g_new(float, n);
  pl_predict_z0(z, eps, s->alphas_cumprod[0], z0, n);
  pl_ddpm_step(s, 0, z, eps, noise, zp, n);
  g_assert_cmpfloat(tu_max_abs_diff(zp, z0, n), <, 1e-5);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/schedule/linear", test_linear);
  g_test_add_func("/schedule/ddim-timesteps", test_ddim_timesteps);
  g_test_add_func("/schedule/ddim-timesteps-ldm", test_ddim_timesteps_ldm);
  g_test_add_func("/schedule/tweedie-ddim", test_tweedie_and_ddim);
  g_test_add_func("/schedule/ddpm", test_ddpm);
  return g_test_run();
}
