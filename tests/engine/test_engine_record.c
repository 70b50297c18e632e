/* Run records: parameters round-trip through JSON; a written record reads back with the
 * same parameters, changes, per-step statistics and metrics; re-running it (the logged
 * parameter changes replayed at their steps) gives bit-identical latents; PNGs carry the
 * parameters as a text chunk. */
#include "engine_test_util.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static void assert_params_equal(const PlRunParams *a, const PlRunParams *b) {
  g_assert_cmpint(a->solver, ==, b->solver);
  g_assert_cmpint(a->steps, ==, b->steps);
  g_assert_cmpfloat(a->eta, ==, b->eta);
  g_assert_cmpuint(a->seed, ==, b->seed);
  g_assert_cmpint(a->batch, ==, b->batch);
  g_assert_cmpfloat(a->omega, ==, b->omega);
  g_assert_cmpfloat(a->gamma, ==, b->gamma);
  g_assert_cmpint(a->norm, ==, b->norm);
  g_assert_cmpint(a->plorg.enabled, ==, b->plorg.enabled);
  g_assert_cmpfloat(a->plorg.proj.tau, ==, b->plorg.proj.tau);
  g_assert_cmpint(a->plorg.proj.rule, ==, b->plorg.proj.rule);
  g_assert_cmpint(a->plorg.proj.side, ==, b->plorg.proj.side);
  g_assert_cmpint(a->plorg.every, ==, b->plorg.every);
  g_assert_cmpint(a->plorg.resample_svd, ==, b->plorg.resample_svd);
  g_assert_cmpmem(&a->resample, sizeof a->resample, &b->resample, sizeof b->resample);
  g_assert_cmpint(a->preview_every, ==, b->preview_every);
  g_assert_cmpint(a->keep_every, ==, b->keep_every);
  g_assert_cmpfloat(a->divergence_limit, ==, b->divergence_limit);
  g_assert_cmpint(a->start_step, ==, b->start_step);
}

static void assert_op_equal(const PlOperatorParams *a, const PlOperatorParams *b) {
  PlOperatorParams x = *a, y = *b;
  x.mask = y.mask = NULL;
  g_assert_cmpmem(&x, sizeof x, &y, sizeof y);
}

static void test_params_json(void) {
  for (int s = 0; s < PL_SOLVER_COUNT; s++) {
    PlRunParams p, q;
    pl_run_params_init(&p, (PlSolver)s);
    p.steps = 123;
    p.eta = 0.25;
    p.seed = G_MAXUINT64 - 5; /* beyond gint64: written as a string */
    p.batch = 3;
    p.omega = 0.1 + 1e-17 * s; /* exact doubles survive */
    p.gamma = 1.0 / 3.0;
    p.norm = PL_NORM_L2_SQUARED;
    p.plorg.enabled = TRUE;
    p.plorg.proj.tau = 0.95;
    p.plorg.proj.rule = PL_RANK_POOLED;
    p.plorg.proj.side = PL_SIDE_RIGHT;
    p.plorg.every = 4;
    p.plorg.resample_svd = PL_RESAMPLE_SVD_DIFFSTATEGRAD;
    p.resample.pixel_max_iters = 17;
    p.resample.window_start = 40;
    p.resample.final_opt = FALSE;
    p.keep_every = 2;
    p.start_step = 7;
    /* the fidelity options' non-defaults (every second solver) survive too */
    if (s % 2) {
      p.timesteps = PL_TIMESTEPS_ZERO;
      p.glue_transpose = PL_GLUE_ADJOINT;
      p.meas_noise = PL_MEAS_CLEAN;
    }
    PlOperatorParams op, op2;
    pl_operator_params_init(&op, PL_TASK_MOTION_BLUR, 64);
    op.seed = 99;
    op.noise_sigma = 0.05;
    op.noise_units = s % 2 ? PL_NOISE_UNITS_UNIT : PL_NOISE_UNITS_MODEL;
    char *json = pl_run_params_to_json(&p, &op);
    GError *e = NULL;
    g_assert_true(pl_run_params_from_json(json, &q, &op2, &e));
    g_assert_no_error(e);
    assert_params_equal(&p, &q);
    assert_op_equal(&op, &op2);
    g_free(json);
  }
  PlRunParams q;
  GError *e = NULL;
  g_assert_false(pl_run_params_from_json("{\"solver\": \"nope\"}", &q, NULL, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID);
  g_clear_error(&e);
  g_assert_false(pl_run_params_from_json("not json", &q, NULL, &e));
  g_clear_error(&e);
  /* an unknown fidelity choice is an error that names the allowed values */
  g_assert_false(pl_run_params_from_json("{\"solver\": \"psld\", \"glue_transpose\": \"exact\"}",
                                         &q, NULL, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID);
  g_assert_nonnull(strstr(e->message, "official or adjoint"));
  g_clear_error(&e);
  /* defaults: the public code's choices */
  pl_run_params_init(&q, PL_SOLVER_PSLD);
  g_assert_cmpint(q.timesteps, ==, PL_TIMESTEPS_LDM);
  g_assert_cmpint(q.glue_transpose, ==, PL_GLUE_OFFICIAL);
  g_assert_cmpint(q.meas_noise, ==, PL_MEAS_NOISED);
  pl_run_params_init(&q, PL_SOLVER_RESAMPLE);
  g_assert_cmpint(q.timesteps, ==, PL_TIMESTEPS_LDM);  /* ReSample's code: k*c + 1 too */
  /* an unknown ReSample SVD placement is an error naming it, not a silent default */
  g_assert_false(pl_run_params_from_json(
      "{\"solver\": \"resample\", \"plorg\": {\"resample_svd\": \"before\"}}", &q, NULL, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID);
  g_assert_nonnull(strstr(e->message, "before"));
  g_clear_error(&e);
}

typedef struct {
  PlRun *run;
} Ctx;

static void change_omega(const PlStepReport *r, gpointer data) {
  if (r->index == 3)
    pl_run_set_param(((Ctx *)data)->run, "omega", 0.7);
}

static char *tmp_path(const char *name) {
  char *dir = g_dir_make_tmp("plorg-record-XXXXXX", NULL);
  char *p = g_build_filename(dir, name, NULL);
  g_free(dir);
  return p;
}

static void remove_file_and_dir(const char *path) {
  g_unlink(path);
  char *dir = g_path_get_dirname(path);
  g_rmdir(dir);
  g_free(dir);
}

static void test_record_round_trip(void) {
  GPtrArray *imgs = etu_images(1);
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_PSLD, 8);
  p.plorg.enabled = TRUE;
  PlRunInputs in = {0};
  pl_operator_params_init(&in.op, PL_TASK_SUPER_RESOLUTION, pl_model_image_size(etu_model()));
  in.clean = g_ptr_array_index(imgs, 0);
  in.image_path = etu_image_path(0);
  GError *e = NULL;
  PlRun *run = pl_run_new(etu_model(), &in, &p, &e);
  g_assert_no_error(e);
  Ctx ctx = {run};
  pl_run_add_observer(run, change_omega, NULL, &ctx);
  g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
  char *path = tmp_path("run.json");
  g_assert_true(pl_run_record_write(run, path, &e));
  g_assert_no_error(e);

  PlRunRecord *rec = pl_run_record_load(path, &e);
  g_assert_no_error(e);
  assert_params_equal(&rec->params, pl_run_params(run));
  assert_op_equal(&rec->op, &pl_run_inputs(run)->op);
  g_assert_cmpstr(rec->state, ==, "finished");
  g_assert_cmpstr(rec->image_path, ==, etu_image_path(0));
  g_assert_cmpuint(rec->changes->len, ==, 1);
  PlParamChange *ch = &g_array_index(rec->changes, PlParamChange, 0);
  g_assert_cmpstr(ch->name, ==, "omega");
  g_assert_cmpint(ch->step, ==, 4);
  g_assert_cmpfloat(ch->new_value, ==, 0.7);
  g_assert_cmpfloat(rec->psnr, ==, pl_run_psnr(run, 0));
  g_assert_cmpfloat(rec->residual, ==, pl_run_residual(run, 0));
  /* no LPIPS network was given: no number, neither in the run nor in its record */
  g_assert_true(isnan(pl_run_lpips(run, 0)));
  g_assert_null(pl_run_lpips_net(run));
  g_assert_true(isnan(rec->lpips) && isnan(rec->sample_lpips[0]));
  g_assert_null(rec->lpips_net);
  g_assert_cmpuint(rec->steps->len, ==, 8);
  g_assert_cmpuint(rec->y_len, ==, pl_operator_y_len(pl_run_operator(run)));
  g_assert_cmpmem(rec->y, rec->y_len * sizeof(float), pl_run_measurement(run), rec->y_len * sizeof(float));
  for (int i = 0; i < 8; i++) {
    const PlStepReport *a = g_ptr_array_index(rec->steps, i);
    PlStepReport *b = pl_run_history_report(run, i);
    g_assert_cmpint(a->index, ==, b->index);
    g_assert_cmpint(a->t, ==, b->t);
    g_assert_cmpfloat(a->omega, ==, b->omega);
    g_assert_cmpfloat(a->sample[0].loss_meas, ==, b->sample[0].loss_meas);
    g_assert_cmpfloat(a->sample[0].grad_norm_projected, ==, b->sample[0].grad_norm_projected);
    g_assert_cmpint(a->sample[0].ranks[1], ==, b->sample[0].ranks[1]);
    g_assert_cmpfloat(a->sample[0].singular_values[5], ==, b->sample[0].singular_values[5]);
    pl_step_report_free(b);
  }

  PlRun *again = pl_run_new_from_record(etu_model(), rec, &e);
  g_assert_no_error(e);
  g_assert_cmpint(etu_execute(again), ==, PL_RUN_FINISHED);
  size_t n = etu_latent_len();
  g_assert_cmpmem(pl_run_final_latent(again), n * sizeof(float), pl_run_final_latent(run), n * sizeof(float));
  g_assert_cmpfloat(pl_run_psnr(again, 0), ==, pl_run_psnr(run, 0));
  GPtrArray *changes = pl_run_param_changes(again);
  g_assert_cmpuint(changes->len, ==, 1);
  g_ptr_array_unref(changes);

  /* a PNG with the parameters as a text chunk */
  char *png = g_strconcat(path, ".png", NULL);
  PlImage *res = pl_run_result(run, 0);
  g_assert_true(pl_run_save_png(run, res, png, "test", &e));
  g_assert_no_error(e);
  GHashTable *text = pl_image_read_png_text(png, &e);
  g_assert_no_error(e);
  const char *pj = g_hash_table_lookup(text, "plorg-params");
  g_assert_nonnull(pj);
  g_assert_true(g_str_has_prefix(g_hash_table_lookup(text, "Software"), "PLoRG Studio"));
  PlRunParams q;
  PlOperatorParams qop;
  g_assert_true(pl_run_params_from_json(pj, &q, &qop, &e));
  assert_params_equal(&q, pl_run_params(run));
  g_hash_table_unref(text);
  g_unlink(png);
  g_free(png);
  pl_image_free(res);

  pl_run_record_free(rec);
  remove_file_and_dir(path);
  g_free(path);
  pl_run_unref(again);
  pl_run_unref(run);
  g_ptr_array_unref(imgs);
}

/* A branch's record carries its start latent, so it re-runs on its own. */
/* Inpainting: the pasted image is the ground truth on the observed pixels and the result
 * elsewhere, so its squared error is the result's on the missing pixels only: PSNR can
 * only rise. Recorded next to the raw metrics; NaN (null) for a task without a mask. */
static void test_pasted_metrics(void) {
  GPtrArray *imgs = etu_images(1);
  const PlImage *clean = g_ptr_array_index(imgs, 0);
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_PSLD, 4);
  PlRun *run = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 5);
  g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
  g_assert_true(pl_run_pastes(run));
  PlImage *res = pl_run_result(run, 0), *pasted = pl_run_result_pasted(run, 0);
  const float *mask = pl_operator_mask(pl_run_operator(run));
  const size_t np = (size_t)res->h * res->w, len = 3 * np;
  double se_missing = 0.0;
  for (size_t k = 0; k < len; k++) {
    const float m = mask[k % np];
    g_assert_cmpfloat(pasted->data[k], ==, m > 0.5f ? clean->data[k] : res->data[k]);
    if (m < 0.5f)
      se_missing += ((double)res->data[k] - clean->data[k]) * ((double)res->data[k] - clean->data[k]);
  }
  /* PSNR of [0,1] images: 10 log10(1 / MSE) over all pixels */
  const double want = 10.0 * log10((double)len / se_missing);
  g_assert_cmpfloat(fabs(pl_run_psnr_pasted(run, 0) - want), <, 1e-6 * fabs(want));
  g_assert_cmpfloat(pl_run_psnr_pasted(run, 0), >=, pl_run_psnr(run, 0));
  g_assert_cmpfloat(pl_run_ssim_pasted(run, 0), >, -1.0);
  char *path = tmp_path("run.json");
  GError *e = NULL;
  g_assert_true(pl_run_record_write(run, path, &e));
  PlRunRecord *rec = pl_run_record_load(path, &e);
  g_assert_no_error(e);
  g_assert_cmpfloat(rec->psnr_pasted, ==, pl_run_psnr_pasted(run, 0));
  g_assert_cmpfloat(rec->ssim_pasted, ==, pl_run_ssim_pasted(run, 0));
  g_assert_true(isnan(rec->lpips_pasted));
  pl_run_record_free(rec);
  remove_file_and_dir(path);
  g_free(path);
  pl_image_free(res);
  pl_image_free(pasted);
  pl_run_unref(run);

  run = etu_new_run(clean, PL_TASK_SUPER_RESOLUTION, &p, 5);
  g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
  g_assert_false(pl_run_pastes(run));
  g_assert_true(isnan(pl_run_psnr_pasted(run, 0)));
  g_assert_null(pl_run_result_pasted(run, 0));
  pl_run_unref(run);
  g_ptr_array_unref(imgs);
}

static void test_branch_record(void) {
  GPtrArray *imgs = etu_images(1);
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_DPS, 8);
  PlRun *parent = etu_new_run(g_ptr_array_index(imgs, 0), PL_TASK_GAUSSIAN_BLUR, &p, 2);
  g_assert_cmpint(etu_execute(parent), ==, PL_RUN_FINISHED);
  p.plorg.enabled = TRUE;
  GError *e = NULL;
  PlRun *branch = pl_run_new_branch(parent, 4, &p, &e);
  g_assert_no_error(e);
  g_assert_cmpint(etu_execute(branch), ==, PL_RUN_FINISHED);
  char *path = tmp_path("branch.json");
  g_assert_true(pl_run_record_write(branch, path, &e));
  PlRunRecord *rec = pl_run_record_load(path, &e);
  g_assert_no_error(e);
  g_assert_cmpint(rec->branch_parent_step, ==, 4);
  g_assert_cmpint(rec->params.start_step, ==, 4);
  g_assert_nonnull(rec->z_start);
  PlRun *again = pl_run_new_from_record(etu_model(), rec, &e);
  g_assert_no_error(e);
  g_assert_cmpint(etu_execute(again), ==, PL_RUN_FINISHED);
  size_t n = etu_latent_len();
  g_assert_cmpmem(pl_run_final_latent(again), n * sizeof(float), pl_run_final_latent(branch), n * sizeof(float));
  pl_run_record_free(rec);
  remove_file_and_dir(path);
  g_free(path);
  pl_run_unref(again);
  pl_run_unref(branch);
  pl_run_unref(parent);
  g_ptr_array_unref(imgs);
}

static void test_bad_record(void) {
  char *path = tmp_path("bad.json");
  g_assert_true(g_file_set_contents(path, "{\"format\": \"something else\"}", -1, NULL));
  GError *e = NULL;
  g_assert_null(pl_run_record_load(path, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO);
  g_clear_error(&e);
  remove_file_and_dir(path);
  g_assert_null(pl_run_record_load(path, &e));
  g_assert_error(e, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO);
  g_clear_error(&e);
  g_free(path);
}

/* Records written and reloaded over extreme and special values must give the same bits
 * back, and be JSON for another parser: json-glib 1.6 wrote 1e30 as "1e+30.0", so a run
 * with --omega 1e30 left a record that could not be read (issue 12, item 4). */
static void test_record_extremes(void) {
  static const double values[] = {0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e20, 1e30,
                                   1e300, 1.7976931348623157e308, 0.1234567};
  GPtrArray *imgs = etu_images(1);
  for (gsize k = 0; k < G_N_ELEMENTS(values); k++) {
    double v = values[k];
    PlRunParams p;
    etu_quick_params(&p, PL_SOLVER_DDIM, 2); /* guidance values are recorded, not used */
    p.omega = v;
    p.gamma = v;
    p.eta = v <= 1.0 ? v : 1.0;
    p.divergence_limit = v >= 1e3 ? v : 1e300 - v; /* a tiny limit would stop the run */
    p.seed = G_MAXUINT64 - k; /* beyond int64: written as a string */
    PlRunInputs in = {0};
    pl_operator_params_init(&in.op, PL_TASK_SUPER_RESOLUTION, pl_model_image_size(etu_model()));
    in.op.noise_sigma = v;
    in.op.seed = (guint64)G_MAXINT64 + k;
    in.clean = g_ptr_array_index(imgs, 0);
    GError *e = NULL;
    PlRun *run = pl_run_new(etu_model(), &in, &p, &e);
    g_assert_no_error(e);
    g_assert_true(pl_run_schedule_param(run, 1, "omega", v));
    g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
    char *path = tmp_path("extreme.json");
    g_assert_true(pl_run_record_write(run, path, &e));
    PlRunRecord *rec = pl_run_record_load(path, &e);
    g_assert_no_error(e);
    const PlRunParams *q = &rec->params;
    g_assert_true(memcmp(&q->omega, &v, sizeof v) == 0 && memcmp(&q->gamma, &v, sizeof v) == 0);
    g_assert_true(q->eta == p.eta && signbit(q->eta) == signbit(p.eta));
    g_assert_true(q->divergence_limit == p.divergence_limit && q->seed == p.seed);
    g_assert_true(memcmp(&rec->op.noise_sigma, &v, sizeof v) == 0 && rec->op.seed == in.op.seed);
    g_assert_cmpuint(rec->changes->len, ==, 1);
    double nv = g_array_index(rec->changes, PlParamChange, 0).new_value;
    g_assert_true(memcmp(&nv, &v, sizeof v) == 0);
    char *cmd = g_strdup_printf("/usr/bin/python3 -c \"import json,sys; r=json.load(open(sys.argv[1])); "
                                "print(float.hex(float(r['params']['omega'])))\" '%s'", path);
    char *out = NULL;
    int status = 1;
    g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL));
    g_assert_cmpint(status, ==, 0);
    double py = g_ascii_strtod(g_strstrip(out), NULL);
    g_assert_true(memcmp(&py, &v, sizeof v) == 0);
    g_free(out);
    g_free(cmd);
    pl_run_record_free(rec);
    g_free(path);
    pl_run_unref(run);
  }
  g_ptr_array_unref(imgs);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/record/params-json", test_params_json);
  g_test_add_func("/engine/record/round-trip", test_record_round_trip);
  g_test_add_func("/engine/record/pasted-metrics", test_pasted_metrics);
  g_test_add_func("/engine/record/branch", test_branch_record);
  g_test_add_func("/engine/record/bad", test_bad_record);
  g_test_add_func("/engine/record/extremes", test_record_extremes);
  int rc = g_test_run();
  pl_model_unref(etu_model());
  return rc;
}
