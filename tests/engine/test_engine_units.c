/* Engine pieces that need no model: AdamW, ReSample's event plan, noise streams,
 * parameter validation and names. */
#include "pl_solver.h"
#include "pl_adamw.h"
#include <math.h>
#include <string.h>

/* Adam's first step is lr * sign(g) (m_hat = g, v_hat = g^2) up to eps; decoupled weight
 * decay first shrinks x by (1 - lr wd). */
static void test_adamw_first_step(void) {
  PlAdamW o;
  pl_adamw_init(&o, 3, 0.1, 0.01);
  float x[3] = {1.0f, -2.0f, 0.5f};
  const float g[3] = {3.0f, -0.001f, 0.0f};
  pl_adamw_step(&o, x, g);
  g_assert_cmpfloat_with_epsilon(x[0], 1.0 * (1 - 0.001) - 0.1, 1e-6);
  g_assert_cmpfloat_with_epsilon(x[1], -2.0 * (1 - 0.001) + 0.1 * 0.001 / (0.001 + 1e-8), 1e-6);
  g_assert_cmpfloat_with_epsilon(x[2], 0.5 * (1 - 0.001), 1e-7);
  pl_adamw_clear(&o);
}

/* On f(x) = 0.5 ||x - c||^2 without decay AdamW converges to c. */
static void test_adamw_converges(void) {
  PlAdamW o;
  pl_adamw_init(&o, 4, 0.05, 0.0);
  const float c[4] = {1, -3, 0.25f, 7};
  float x[4] = {0}, g[4];
  for (int it = 0; it < 3000; it++) {
    for (int k = 0; k < 4; k++)
      g[k] = x[k] - c[k];
    pl_adamw_step(&o, x, g);
  }
  for (int k = 0; k < 4; k++)
    g_assert_cmpfloat_with_epsilon(x[k], c[k], 1e-2);
  pl_adamw_clear(&o);
}

/* The reference at 500 steps: events at index 330, 320, ..., 10 (33), pixel-space while
 * index >= 500 // 3 = 166 (17 events), latent-space after (16). */
static void test_resample_plan_reference(void) {
  PlRunParams p;
  pl_run_params_init(&p, PL_SOLVER_RESAMPLE);
  PlResampleEvent kind[500];
  pl_resample_plan(&p.resample, 500, kind);
  int pixel = 0, latent = 0, first = -1, last = -1;
  for (int i = 0; i < 500; i++) {
    if (!kind[i])
      continue;
    int idx = 499 - i;
    g_assert_cmpint(idx % 10, ==, 0);
    g_assert_cmpint(kind[i], ==, idx >= 166 ? PL_RESAMPLE_EVENT_PIXEL : PL_RESAMPLE_EVENT_LATENT);
    pixel += kind[i] == PL_RESAMPLE_EVENT_PIXEL;
    latent += kind[i] == PL_RESAMPLE_EVENT_LATENT;
    if (first < 0) first = idx;
    last = idx;
  }
  g_assert_cmpint(pixel, ==, 17);
  g_assert_cmpint(latent, ==, 16);
  g_assert_cmpint(first, ==, 330);
  g_assert_cmpint(last, ==, 10);
  /* explicit settings: window 100..20, the first 2 events in pixel space */
  p.resample.window_start = 100;
  p.resample.window_end = 20;
  p.resample.pixel_events = 2;
  pl_resample_plan(&p.resample, 500, kind);
  int n = 0;
  for (int i = 0; i < 500; i++)
    if (kind[i]) {
      g_assert_cmpint(kind[i], ==, n < 2 ? PL_RESAMPLE_EVENT_PIXEL : PL_RESAMPLE_EVENT_LATENT);
      n++;
    }
  g_assert_cmpint(n, ==, 9);
}

static void test_noise_streams(void) {
  float a[64], b[64], c[64], d[64];
  pl_noise_initial(3, 0, a, 64);
  pl_noise_initial(3, 0, b, 64);
  pl_noise_initial(3, 1, c, 64);
  pl_noise_fill(3, PL_NOISE_STEP, 0, 0, d, 64);
  g_assert_cmpmem(a, sizeof a, b, sizeof b);
  g_assert_cmpint(memcmp(a, c, sizeof a), !=, 0);
  g_assert_cmpint(memcmp(a, d, sizeof a), !=, 0);
  double s = 0, s2 = 0;
  float big[20000];
  pl_noise_fill(11, PL_NOISE_RESAMPLE, 17, 2, big, 20000);
  for (int k = 0; k < 20000; k++) {
    s += big[k];
    s2 += (double)big[k] * big[k];
  }
  g_assert_cmpfloat(fabs(s / 20000), <, 0.05);          /* N(0,1): 5 sigma of the mean */
  g_assert_cmpfloat(fabs(s2 / 20000 - 1.0), <, 0.05);
}

/* The collision the purpose-keyed streams removed: with the operator's seed equal to the
 * run's seed, sample 3's z_T was (y - A x) / sigma exactly. Now they are unrelated. */
static void test_noise_not_measurement(void) {
  PlOperatorParams opp;
  pl_operator_params_init(&opp, PL_TASK_GAUSSIAN_BLUR, 32);
  opp.seed = 4;
  PlOperator *op = pl_operator_new(&opp, NULL);
  size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
  float *x = g_new0(float, xl), *y = g_new(float, yl), *z = g_new(float, yl);
  pl_operator_measure(op, x, 4, y); /* A 0 = 0: y is the noise alone */
  for (int sample = 0; sample < 8; sample++) {
    pl_noise_initial(4, sample, z, yl);
    double dot = 0, nz = 0, ny = 0;
    for (size_t k = 0; k < yl; k++) {
      dot += (double)z[k] * y[k];
      nz += (double)z[k] * z[k];
      ny += (double)y[k] * y[k];
    }
    g_assert_cmpfloat(fabs(dot) / sqrt(nz * ny), <, 6.0 / sqrt((double)yl));
  }
  g_free(x);
  g_free(y);
  g_free(z);
  pl_operator_free(op);
}

static void test_validation(void) {
  PlRunParams p;
  GError *e = NULL;
  for (int s = 0; s < PL_SOLVER_COUNT; s++) {
    pl_run_params_init(&p, (PlSolver)s);
    g_assert_true(pl_run_params_validate(&p, 1000, &e));
    g_assert_no_error(e);
  }
  pl_run_params_init(&p, PL_SOLVER_PSLD);
  p.steps = 0;
  g_assert_false(pl_run_params_validate(&p, 1000, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID);
  g_assert_nonnull(strstr(e->message, "steps"));
  g_clear_error(&e);
  pl_run_params_init(&p, PL_SOLVER_PSLD);
  p.plorg.proj.tau = 0.0;
  g_assert_false(pl_run_params_validate(&p, 1000, &e));
  g_assert_nonnull(strstr(e->message, "tau"));
  g_clear_error(&e);
  pl_run_params_init(&p, PL_SOLVER_PSLD);
  p.omega = NAN;
  g_assert_false(pl_run_params_validate(&p, 1000, &e));
  g_clear_error(&e);
}

static void test_names(void) {
  for (int s = 0; s < PL_SOLVER_COUNT; s++) {
    PlSolver back;
    g_assert_true(pl_solver_from_name(pl_solver_name((PlSolver)s), &back));
    g_assert_cmpint(back, ==, s);
    g_assert_true(pl_solver_from_name(pl_solver_label((PlSolver)s), &back));
    g_assert_cmpint(back, ==, s);
  }
  PlSolver x;
  g_assert_false(pl_solver_from_name("nope", &x));
  g_assert_cmpstr(pl_run_state_name(PL_RUN_DIVERGED), ==, "diverged");
  g_assert_cmpstr(pl_select_rule_name(PL_SELECT_PSNR_ORACLE), ==, "psnr-oracle");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/units/adamw-first-step", test_adamw_first_step);
  g_test_add_func("/engine/units/adamw-converges", test_adamw_converges);
  g_test_add_func("/engine/units/resample-plan", test_resample_plan_reference);
  g_test_add_func("/engine/units/noise-streams", test_noise_streams);
  g_test_add_func("/engine/units/noise-not-measurement", test_noise_not_measurement);
  g_test_add_func("/engine/units/validation", test_validation);
  g_test_add_func("/engine/units/names", test_names);
  return g_test_run();
}
