/* Run control: determinism, batch noise, cancel, pause / single step / resume, live
 * parameter changes, branching, divergence. */
#include "engine_test_util.h"
#include <math.h>
#include <string.h>

static PlImage *image0(void) {
  GPtrArray *imgs = etu_images(1);
  PlImage *img = pl_image_copy(g_ptr_array_index(imgs, 0));
  g_ptr_array_unref(imgs);
  return img;
}

static PlRun *psld_run(const PlImage *clean, int steps, guint64 seed, int batch) {
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_PSLD, steps);
  p.seed = seed;
  p.batch = batch;
  return etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 1);
}

static void test_determinism(void) {
  PlImage *clean = image0();
  size_t n = etu_latent_len();
  PlRun *a = psld_run(clean, 8, 5, 1), *b = psld_run(clean, 8, 5, 1), *c = psld_run(clean, 8, 6, 1);
  g_assert_cmpint(etu_execute(a), ==, PL_RUN_FINISHED);
  g_assert_cmpint(etu_execute(b), ==, PL_RUN_FINISHED);
  g_assert_cmpint(etu_execute(c), ==, PL_RUN_FINISHED);
  g_assert_cmpmem(pl_run_final_latent(a), n * sizeof(float), pl_run_final_latent(b), n * sizeof(float));
  g_assert_cmpfloat(pl_run_psnr(a, 0), ==, pl_run_psnr(b, 0));
  g_assert_cmpfloat(etu_max_abs_diff(pl_run_final_latent(a), pl_run_final_latent(c), n), >, 1e-3);
  pl_run_unref(a);
  pl_run_unref(b);
  pl_run_unref(c);
  pl_image_free(clean);
}

static void test_batch_shares_noise(void) {
  PlImage *clean = image0();
  size_t n = etu_latent_len();
  PlRun *one = psld_run(clean, 6, 9, 1), *two = psld_run(clean, 6, 9, 2);
  float *z1 = pl_run_current_latent(one), *z2 = pl_run_current_latent(two);
  g_assert_cmpmem(z1, n * sizeof(float), z2, n * sizeof(float));      /* same z_T for sample 0 */
  g_assert_cmpfloat(etu_max_abs_diff(z2, z2 + n, n), >, 0.1);          /* sample 1 differs */
  g_assert_cmpint(etu_execute(one), ==, PL_RUN_FINISHED);
  g_assert_cmpint(etu_execute(two), ==, PL_RUN_FINISHED);
  double d = etu_max_abs_diff(pl_run_final_latent(one), pl_run_final_latent(two), n);
  g_test_message("batch 2 vs batch 1, sample 0 final latent: max |diff| = %.3g", d);
  g_assert_cmpfloat(d, <, 1e-2); /* same noise; only batched-convolution rounding may differ */
  g_free(z1);
  g_free(z2);
  pl_run_unref(one);
  pl_run_unref(two);
  pl_image_free(clean);
}

typedef struct {
  PlRun *run;
  int at;
  int seen;
} CancelAt;

static void cancel_at(const PlStepReport *r, gpointer data) {
  CancelAt *c = data;
  c->seen = r->index;
  if (r->index == c->at)
    pl_run_cancel(c->run);
}

static void test_cancel_from_observer(void) {
  PlImage *clean = image0();
  PlRun *run = psld_run(clean, 200, 0, 1);
  CancelAt c = {run, 3, -1};
  pl_run_add_observer(run, cancel_at, NULL, &c);
  pl_run_start(run);
  g_assert_cmpint(pl_run_wait(run), ==, PL_RUN_CANCELLED);
  g_assert_cmpint(pl_run_current_step(run), ==, 4); /* no step after the one that cancelled */
  g_assert_true(g_error_matches(pl_run_error(run), PL_ENGINE_ERROR, PL_ENGINE_ERROR_CANCELLED));
  PlImage *res = pl_run_result(run, 0); /* the last good estimate is kept */
  g_assert_nonnull(res);
  pl_image_free(res);
  pl_run_unref(run);
  pl_image_free(clean);
}

static void wait_for(PlRun *run, gboolean (*cond)(PlRun *, int), int arg) {
  for (int k = 0; k < 2000 && !cond(run, arg); k++)
    g_usleep(10000);
  g_assert_true(cond(run, arg));
}

static gboolean is_state(PlRun *run, int s) { return pl_run_state(run) == (PlRunState)s; }
static gboolean at_least(PlRun *run, int s) { return pl_run_current_step(run) >= s; }

/* ReSample spends long in its optimiser: a cancel must stop it inside the step. */
static void test_cancel_inside_resample_event(void) {
  PlImage *clean = image0();
  PlRunParams p;
  pl_run_params_init(&p, PL_SOLVER_RESAMPLE);
  p.steps = 30;                    /* first event at index 1 (reference index 20) */
  p.resample.pixel_max_iters = 1000000;
  p.resample.stop_loss = 0.0;
  PlRun *run = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 1);
  pl_run_start(run);
  wait_for(run, at_least, 9);      /* the event at step 9 is now running */
  g_usleep(300000);
  int before = pl_run_current_step(run);
  gint64 t0 = g_get_monotonic_time();
  pl_run_cancel(run);
  g_assert_cmpint(pl_run_wait(run), ==, PL_RUN_CANCELLED);
  double waited = (g_get_monotonic_time() - t0) / 1e6;
  g_test_message("cancel inside a ReSample event: stopped after %.3f s at step %d (was %d)",
                 waited, pl_run_current_step(run), before);
  g_assert_cmpint(pl_run_current_step(run), <=, before + 1);
  /* Uncancelled, the event's 10^6 iterations take over a minute. A cancel costs one model
   * call or optimiser iteration plus decoding the result: 0.01 s idle, up to 0.8 s with six
   * busy processes on two cores (it was seconds while time travel had no cancel point). */
  g_assert_cmpfloat(waited, <, 20.0);
  pl_run_unref(run);
  pl_image_free(clean);
}

static void test_pause_step_resume(void) {
  PlImage *clean = image0();
  PlRun *run = psld_run(clean, 10, 0, 1);
  pl_run_pause(run);
  pl_run_start(run);
  wait_for(run, is_state, PL_RUN_PAUSED);
  g_assert_cmpint(pl_run_current_step(run), ==, 0);
  g_usleep(200000);
  g_assert_cmpint(pl_run_current_step(run), ==, 0);
  pl_run_step_once(run);
  wait_for(run, at_least, 1);
  wait_for(run, is_state, PL_RUN_PAUSED);
  g_usleep(200000);
  g_assert_cmpint(pl_run_current_step(run), ==, 1);
  pl_run_step_once(run);
  wait_for(run, at_least, 2);
  wait_for(run, is_state, PL_RUN_PAUSED);
  g_assert_cmpint(pl_run_current_step(run), ==, 2);
  pl_run_resume(run);
  g_assert_cmpint(pl_run_wait(run), ==, PL_RUN_FINISHED);
  g_assert_cmpint(pl_run_current_step(run), ==, 10);
  pl_run_unref(run);
  pl_image_free(clean);
}

typedef struct {
  PlRun *run;
  GPtrArray *reports;
} Collect;

static void change_at_2(const PlStepReport *r, gpointer data) {
  Collect *c = data;
  g_ptr_array_add(c->reports, pl_step_report_copy(r));
  if (r->index == 2) {
    g_assert_true(pl_run_set_param(c->run, "omega", 0.5));
    g_assert_true(pl_run_set_param(c->run, "tau", 0.9));
    g_assert_true(pl_run_set_param(c->run, "plorg", 1));
    g_assert_false(pl_run_set_param(c->run, "nonsense", 1));
    g_assert_false(pl_run_set_param(c->run, "tau", 1.5));
  }
}

static void test_param_changes(void) {
  PlImage *clean = image0();
  PlRun *run = psld_run(clean, 6, 0, 1);
  Collect c = {run, g_ptr_array_new_with_free_func((GDestroyNotify)pl_step_report_free)};
  pl_run_add_observer(run, change_at_2, NULL, &c);
  g_test_expect_message("plorg-engine", G_LOG_LEVEL_WARNING, "*nonsense*");
  g_test_expect_message("plorg-engine", G_LOG_LEVEL_WARNING, "*tau*");
  g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
  g_test_assert_expected_messages();
  GPtrArray *changes = pl_run_param_changes(run);
  g_assert_cmpuint(changes->len, ==, 3);
  PlParamChange *ch = g_ptr_array_index(changes, 0);
  g_assert_cmpstr(ch->name, ==, "omega");
  g_assert_cmpint(ch->step, ==, 3);
  g_assert_cmpfloat(ch->old_value, ==, pl_run_params(run)->omega);
  g_assert_cmpfloat(ch->new_value, ==, 0.5);
  const PlStepReport *r2 = g_ptr_array_index(c.reports, 2), *r3 = g_ptr_array_index(c.reports, 3);
  g_assert_cmpfloat(r2->omega, ==, pl_run_params(run)->omega);
  g_assert_cmpfloat(r3->omega, ==, 0.5);
  g_assert_cmpfloat(r3->tau, ==, 0.9);
  g_assert_false(r2->plorg);
  g_assert_true(r3->plorg);
  g_assert_cmpint(r3->sample[0].ranks[0], >, 0);
  g_ptr_array_unref(changes);
  g_ptr_array_unref(c.reports);
  pl_run_unref(run);
  pl_image_free(clean);
}

static void test_branch(void) {
  PlImage *clean = image0();
  size_t n = etu_latent_len();
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_PSLD, 12);
  p.keep_every = 3;
  PlRun *parent = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 1);
  g_assert_cmpint(etu_execute(parent), ==, PL_RUN_FINISHED);
  g_assert_cmpint(pl_run_history_count(parent), ==, 4); /* steps 0, 3, 6, 9 */
  GError *e = NULL;
  PlRun *same = pl_run_new_branch(parent, 7, &p, &e); /* nearest kept: 6 */
  g_assert_no_error(e);
  g_assert_cmpint(pl_run_params(same)->start_step, ==, 6);
  g_assert_cmpint(etu_execute(same), ==, PL_RUN_FINISHED);
  g_assert_cmpmem(pl_run_final_latent(same), n * sizeof(float), pl_run_final_latent(parent),
                  n * sizeof(float));
  g_assert_cmpfloat(pl_run_psnr(same, 0), ==, pl_run_psnr(parent, 0));
  PlRunParams q = p;
  q.plorg.enabled = TRUE;
  q.plorg.proj.tau = 0.8;
  q.omega = 5.0 * p.omega;
  PlRun *other = pl_run_new_branch(parent, 6, &q, &e);
  g_assert_no_error(e);
  g_assert_cmpint(etu_execute(other), ==, PL_RUN_FINISHED);
  g_assert_cmpfloat(etu_max_abs_diff(pl_run_final_latent(other), pl_run_final_latent(parent), n), >, 1e-4);
  q.steps = 20;
  g_assert_null(pl_run_new_branch(parent, 6, &q, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID);
  g_clear_error(&e);
  pl_run_unref(same);
  pl_run_unref(other);
  pl_run_unref(parent);
  pl_image_free(clean);
}

static void check_diverged(PlRun *run, int max_steps, int expect_done, double limit) {
  GError *e = NULL;
  g_assert_false(pl_run_execute(run, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED);
  g_test_message("divergence: %s", e->message);
  g_clear_error(&e);
  g_assert_cmpint(pl_run_state(run), ==, PL_RUN_DIVERGED);
  int done = pl_run_current_step(run);
  g_assert_cmpint(done, <, max_steps);
  if (expect_done >= 0)
    g_assert_cmpint(done, ==, expect_done);
  if (done > 0) { /* the last good step's estimate is the result */
    PlImage *res = pl_run_result(run, 0);
    g_assert_nonnull(res);
    for (size_t k = 0; k < pl_image_len(res); k++)
      g_assert_true(isfinite(res->data[k]));
    pl_image_free(res);
  }
  float *z = pl_run_current_latent(run); /* the last good latent */
  for (size_t k = 0; k < etu_latent_len(); k++)
    g_assert_true(isfinite(z[k]) && fabsf(z[k]) <= limit);
  g_free(z);
}

static void test_divergence(void) {
  PlImage *clean = image0();
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_PSLD, 20);
  p.omega = 1e9;
  p.gamma = 1e9;
  PlRun *run = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 1);
  check_diverged(run, 20, -1, p.divergence_limit);
  pl_run_unref(run);
  /* sane steps first, an absurd one from step 5: steps 0..4 are kept */
  etu_quick_params(&p, PL_SOLVER_PSLD, 20);
  run = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 1);
  g_assert_true(pl_run_schedule_param(run, 5, "omega", 1e9));
  check_diverged(run, 20, 5, p.divergence_limit);
  pl_run_unref(run);
  pl_image_free(clean);
}

/* Best of k: the residual rule needs no ground truth; the PSNR rule is the oracle. */
static void test_best_of(void) {
  PlImage *clean = image0();
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_DPS, 5);
  p.batch = 3;
  PlRun *run = etu_new_run(clean, PL_TASK_PHASE_RETRIEVAL, &p, 4);
  g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
  int br = pl_run_select_best(run, PL_SELECT_RESIDUAL), bp = pl_run_select_best(run, PL_SELECT_PSNR_ORACLE);
  for (int b = 0; b < 3; b++) {
    g_assert_cmpfloat(pl_run_residual(run, br), <=, pl_run_residual(run, b));
    g_assert_cmpfloat(pl_run_psnr(run, bp), >=, pl_run_psnr(run, b));
  }
  /* the same measurement without ground truth: only the residual rule applies */
  PlRunInputs in = *pl_run_inputs(run);
  in.clean = NULL;
  in.z_start = NULL;
  GError *e = NULL;
  PlRun *blind = pl_run_new(etu_model(), &in, &p, &e);
  g_assert_no_error(e);
  g_assert_cmpint(etu_execute(blind), ==, PL_RUN_FINISHED);
  g_assert_cmpint(pl_run_select_best(blind, PL_SELECT_RESIDUAL), ==, br);
  g_assert_cmpint(pl_run_select_best(blind, PL_SELECT_PSNR_ORACLE), ==, -1);
  g_assert_true(isnan(pl_run_psnr(blind, 0)));
  pl_run_unref(blind);
  pl_run_unref(run);
  pl_image_free(clean);
}

/* DDPM with fewer than T steps is ancestral sampling on the respaced schedule, i.e.
 * DDIM with eta = 1 on the same noise: bit-identical. */
static void test_ddpm_respaced(void) {
  PlImage *clean = image0();
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_DDPM, 10);
  PlRun *ddpm = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 0);
  etu_quick_params(&p, PL_SOLVER_DDIM, 10);
  p.eta = 1.0;
  PlRun *ddim1 = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 0);
  p.eta = 0.0;
  PlRun *ddim0 = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 0);
  g_assert_cmpint(etu_execute(ddpm), ==, PL_RUN_FINISHED);
  g_assert_cmpint(etu_execute(ddim1), ==, PL_RUN_FINISHED);
  g_assert_cmpint(etu_execute(ddim0), ==, PL_RUN_FINISHED);
  size_t n = etu_latent_len();
  g_assert_cmpmem(pl_run_final_latent(ddpm), n * sizeof(float), pl_run_final_latent(ddim1), n * sizeof(float));
  g_assert_cmpfloat(etu_max_abs_diff(pl_run_final_latent(ddim0), pl_run_final_latent(ddim1), n), >, 1e-3);
  pl_run_unref(ddpm);
  pl_run_unref(ddim1);
  pl_run_unref(ddim0);
  pl_image_free(clean);
}

static void test_invalid(void) {
  PlImage *clean = image0();
  PlRunParams p;
  pl_run_params_init(&p, PL_SOLVER_PSLD);
  PlRunInputs in = {0};
  pl_operator_params_init(&in.op, PL_TASK_PHASE_RETRIEVAL, pl_model_image_size(etu_model()));
  in.clean = clean;
  GError *e = NULL;
  g_assert_null(pl_run_new(etu_model(), &in, &p, &e)); /* gluing needs A^T */
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_UNSUPPORTED);
  g_clear_error(&e);
  p.steps = 5000;
  pl_operator_params_init(&in.op, PL_TASK_INPAINT_BOX, pl_model_image_size(etu_model()));
  g_assert_null(pl_run_new(etu_model(), &in, &p, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID);
  g_clear_error(&e);
  pl_run_params_init(&p, PL_SOLVER_PSLD);
  in.op.size = 32;
  g_assert_null(pl_run_new(etu_model(), &in, &p, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID);
  g_clear_error(&e);
  pl_image_free(clean);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/control/determinism", test_determinism);
  g_test_add_func("/engine/control/batch-shares-noise", test_batch_shares_noise);
  g_test_add_func("/engine/control/cancel-from-observer", test_cancel_from_observer);
  g_test_add_func("/engine/control/cancel-inside-resample-event", test_cancel_inside_resample_event);
  g_test_add_func("/engine/control/pause-step-resume", test_pause_step_resume);
  g_test_add_func("/engine/control/param-changes", test_param_changes);
  g_test_add_func("/engine/control/branch", test_branch);
  g_test_add_func("/engine/control/divergence", test_divergence);
  g_test_add_func("/engine/control/best-of", test_best_of);
  g_test_add_func("/engine/control/ddpm-respaced", test_ddpm_respaced);
  g_test_add_func("/engine/control/invalid", test_invalid);
  int rc = g_test_run();
  pl_model_unref(etu_model());
  return rc;
}
