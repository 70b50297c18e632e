/* ReSample with PLoRG, step by step against a replica of the official code.
 *
 * tests/parity/resample_replica.py re-implements the official ReSample loop (and
 * DiffStateGrad's projection) in PyTorch on the same TorchScript bundle. This test runs the
 * engine with the shim in float64 on the tiny test bundle, hands the replica the same z_T,
 * measurement y, operator (mask or kernel) and the engine's noise draws (from its noise tap)
 * as files, and requires
 * - the latent after every step to agree: max |z_engine - z_replica| / max |z_replica| below
 *   1e-5 (both compute in float64 and exchange float32 buffers: float32 rounding, ~6e-8 per
 *   operation, is the only expected difference; 1e-5 leaves room for its growth over the
 *   optimisers' iterations);
 * - the same hard data-consistency events (kind per step) with the same optimiser
 *   iteration counts (the early-stopping rules took the same branches);
 * - and, so that the comparison means something, at least 20 steps with at least one
 *   pixel-space event, one latent-space event and the final latent optimisation.
 * Short settings (30 steps, an event every 5th step, tens of optimiser iterations) keep it
 * to seconds. Skips without the bundle or without /usr/bin/python3 and torch. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pl_json_util.h"
#include "pl_rng.h"
#include "pl_run.h"
#include "parity_util.h"

#define STEPS 30
#define MAX_REL 1e-5

static PlModel *model = NULL;
static char *bundle = NULL;

static PlModel *get_model(void) {
  if (model)
    return model;
  const char *dir = g_getenv("PLORG_TEST_BUNDLES");
  if (!dir)
    return NULL;
  bundle = g_build_filename(dir, "tiny-ldm-vq", NULL);
  if (!g_file_test(bundle, G_FILE_TEST_IS_DIR))
    return NULL;
  PlModelParams mp;
  pl_model_params_init(&mp);
  mp.device = PLSHIM_DEVICE_CPU;
  mp.threads = 1;
  mp.compute_double = TRUE;
  GError *e = NULL;
  model = pl_model_load(bundle, &mp, &e);
  g_assert_no_error(e);
  return model;
}

typedef struct {
  GArray *values;    /* float */
  GPtrArray *keys;   /* "purpose step sample" */
} Noise;

static void on_noise(const char *purpose, int step, int sample, const float *noise, size_t n,
                     gpointer user_data) {
  Noise *nz = user_data;
  g_array_append_vals(nz->values, noise, (guint)n);
  g_ptr_array_add(nz->keys, g_strdup_printf("%s %d %d", purpose, step, sample));
}

static void write_floats(const char *dir, const char *name, const float *v, size_t n) {
  GError *e = NULL;
  parity_write_floats(dir, name, v, n, &e);
  g_assert_no_error(e);
}

static void add_int(JsonBuilder *b, const char *name, gint64 v) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

static void add_str(JsonBuilder *b, const char *name, const char *v) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, v);
}

static void write_case(const char *dir, PlRun *run, const PlRunParams *p, const Noise *nz) {
  PlOperator *op = pl_run_operator(run);
  int C, H, W;
  pl_model_latent_shape(model, &C, &H, &W);
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  add_str(b, "task", pl_task_name(pl_operator_task(op)));
  add_int(b, "image_size", pl_operator_size(op));
  json_builder_set_member_name(b, "latent_shape");
  json_builder_begin_array(b);
  json_builder_add_int_value(b, C);
  json_builder_add_int_value(b, H);
  json_builder_add_int_value(b, W);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "timesteps");
  json_builder_begin_array(b);
  for (int i = 0; i < pl_run_history_count(run); i++) {
    PlStepReport *r = pl_run_history_report(run, i);
    json_builder_add_int_value(b, r->t);
    pl_step_report_free(r);
  }
  json_builder_end_array(b);
  pl_json_add_double(b, "omega", p->omega);
  json_builder_set_member_name(b, "plorg");
  json_builder_add_boolean_value(b, p->plorg.enabled);
  pl_json_add_double(b, "tau", p->plorg.proj.tau);
  add_str(b, "rank_rule", pl_rank_rule_name(p->plorg.proj.rule));
  add_int(b, "every", p->plorg.every);
  add_str(b, "resample_svd", pl_resample_svd_name(p->plorg.resample_svd));
  const PlResampleParams *r = &p->resample;
  add_int(b, "event_every", r->event_every);
  add_int(b, "time_travel", r->time_travel);
  add_int(b, "pixel_max_iters", r->pixel_max_iters);
  pl_json_add_double(b, "pixel_lr", r->pixel_lr);
  add_int(b, "latent_max_iters", r->latent_max_iters);
  pl_json_add_double(b, "latent_lr", r->latent_lr);
  pl_json_add_double(b, "stop_loss", r->stop_loss);
  pl_json_add_double(b, "gamma", r->gamma);
  pl_json_add_double(b, "weight_decay", r->weight_decay);
  json_builder_set_member_name(b, "final_opt");
  json_builder_add_boolean_value(b, r->final_opt);
  add_int(b, "loss_window", r->loss_window);
  int kside = 0;
  const float *kernel = pl_operator_kernel(op, &kside);
  add_int(b, "kernel_side", kside);
  json_builder_set_member_name(b, "noise");
  json_builder_begin_array(b);
  for (guint k = 0; k < nz->keys->len; k++) {
    char purpose[16];
    int step, sample;
    g_assert_cmpint(sscanf(g_ptr_array_index(nz->keys, k), "%15s %d %d", purpose, &step, &sample), ==, 3);
    json_builder_begin_array(b);
    json_builder_add_string_value(b, purpose);
    json_builder_add_int_value(b, step);
    json_builder_add_int_value(b, sample);
    json_builder_end_array(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  JsonNode *root = json_builder_get_root(b);
  g_autofree char *text = json_to_string(root, TRUE);
  json_node_unref(root);
  g_object_unref(b);
  g_autofree char *path = g_build_filename(dir, "case.json", NULL);
  GError *e = NULL;
  g_file_set_contents(path, text, -1, &e);
  g_assert_no_error(e);

  int n = pl_operator_size(op);
  write_floats(dir, "z_T.f32", pl_run_history_latent(run, 0), (size_t)C * H * W);
  write_floats(dir, "y.f32", pl_run_measurement(run), pl_operator_y_len(op));
  if (kernel)
    write_floats(dir, "op.f32", kernel, (size_t)kside * kside);
  else
    write_floats(dir, "op.f32", pl_operator_mask(op), (size_t)n * n);
  write_floats(dir, "noise.f32", (const float *)nz->values->data, nz->values->len);
}

/* Runs the replica in dir; FALSE when Python or torch is missing (skip). */
static gboolean run_replica(const char *dir) {
  const char *src = g_getenv("PLORG_SOURCE_DIR");
  g_assert_nonnull(src);
  if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  g_autofree char *script = g_build_filename(src, "tests", "parity", "resample_replica.py", NULL);
  char *argv[] = {"/usr/bin/python3", script, (char *)dir, bundle, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  GError *e = NULL;
  g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &e));
  g_assert_no_error(e);
  if (!g_spawn_check_wait_status(status, NULL)) {
    if (err && strstr(err, "No module named 'torch'"))
      return FALSE;
    g_error("the replica failed:\n%s%s", out, err);
  }
  return TRUE;
}

static void remove_dir(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(dir);
}

typedef struct {
  PlTask task;
  gboolean plorg;
  PlResampleSvd svd;
} Case;

static void test_case(gconstpointer data) {
  const Case *cs = data;
  if (!get_model()) {
    g_test_skip("no test bundle (PLORG_TEST_BUNDLES/tiny-ldm-vq)");
    return;
  }
  int C, H, W;
  pl_model_latent_shape(model, &C, &H, &W);
  size_t zlen = (size_t)C * H * W;
  int n = pl_model_image_size(model);

  PlRunParams p;
  pl_run_params_init(&p, PL_SOLVER_RESAMPLE);
  p.steps = STEPS;
  p.seed = 11;
  p.keep_every = 1;
  p.plorg.enabled = cs->plorg;
  p.plorg.resample_svd = cs->svd;
  p.plorg.proj.tau = 0.95;  /* ranks below full, so the projection acts */
  p.plorg.every = 2;        /* and the every-F rule is exercised */
  p.resample.event_every = 5;   /* events at index 20, 15, 10 (pixel) and 5 (latent) */
  p.resample.time_travel = 3;
  p.resample.pixel_max_iters = 25;
  p.resample.latent_max_iters = 15;
  p.resample.loss_window = 5;

  PlRng rng;
  pl_rng_seed_stream(&rng, 2024, 0);
  g_autofree float *z_T = g_new(float, zlen);
  pl_rng_fill_normal(&rng, z_T, zlen, 1.0f);
  g_autoptr(PlImage) clean = parity_smooth_image(n);
  PlRunInputs in = {0};
  pl_operator_params_init(&in.op, cs->task, n);
  in.op.seed = 5;
  in.clean = clean;
  in.z_start = z_T;
  GError *e = NULL;
  g_autoptr(PlRun) run = pl_run_new(model, &in, &p, &e);
  g_assert_no_error(e);
  Noise nz = {g_array_new(FALSE, FALSE, sizeof(float)), g_ptr_array_new_with_free_func(g_free)};
  pl_run_set_noise_tap(run, on_noise, &nz);
  gint64 t0 = g_get_monotonic_time();
  pl_run_execute(run, &e);
  g_assert_no_error(e);
  g_assert_cmpint(pl_run_state(run), ==, PL_RUN_FINISHED);
  double engine_s = (g_get_monotonic_time() - t0) / 1e6;
  g_assert_cmpint(pl_run_history_count(run), ==, STEPS);

  g_autofree char *dir = g_dir_make_tmp("plorg-parity-XXXXXX", &e);
  g_assert_no_error(e);
  write_case(dir, run, &p, &nz);
  t0 = g_get_monotonic_time();
  if (!run_replica(dir)) {
    remove_dir(dir);
    g_array_unref(nz.values);
    g_ptr_array_unref(nz.keys);
    g_test_skip("no /usr/bin/python3 with torch for the replica");
    return;
  }
  double replica_s = (g_get_monotonic_time() - t0) / 1e6;

  g_autofree char *traj_path = g_build_filename(dir, "replica_traj.f64", NULL);
  g_autofree char *traj = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(traj_path, &traj, &len, NULL));
  g_assert_cmpuint(len, ==, (gsize)STEPS * zlen * sizeof(double));
  const double *ref = (const double *)traj;
  g_autofree char *info_path = g_build_filename(dir, "replica.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_assert_true(json_parser_load_from_file(parser, info_path, NULL));
  JsonObject *info = json_node_get_object(json_parser_get_root(parser));
  JsonArray *kinds = json_object_get_array_member(info, "kinds");
  JsonArray *iters = json_object_get_array_member(info, "iters");

  int count[4] = {0, 0, 0, 0};
  double worst = 0.0;
  int worst_step = -1;
  for (int i = 0; i < STEPS; i++) {
    PlStepReport *r = pl_run_history_report(run, i);
    g_assert_cmpint(pl_run_history_step(run, i), ==, i);
    g_assert_cmpint(r->resample_event, ==, (int)json_array_get_int_element(kinds, i));
    g_assert_cmpint(r->opt_iters, ==, (int)json_array_get_int_element(iters, i));
    count[CLAMP(r->resample_event, 0, 3)]++;
    pl_step_report_free(r);
    const float *z = i + 1 < STEPS ? pl_run_history_latent(run, i + 1) : pl_run_final_latent(run);
    const double *zr = ref + (size_t)i * zlen;
    double diff = 0.0, scale = 0.0;
    for (size_t k = 0; k < zlen; k++) {
      diff = MAX(diff, fabs(z[k] - zr[k]));
      scale = MAX(scale, fabs(zr[k]));
    }
    double rel = diff / scale;
    if (rel > worst) {
      worst = rel;
      worst_step = i;
    }
    if (rel >= MAX_REL)
      g_test_message("step %d: max relative difference %.3g", i, rel);
    g_assert_cmpfloat(rel, <, MAX_REL);
  }
  g_test_message("%s %s%s: %d steps, %d pixel / %d latent events + final opt %d; worst max "
                 "relative difference %.3g (step %d); engine %.1f s, replica %.1f s",
                 pl_task_name(cs->task), cs->plorg ? "PLoRG " : "",
                 cs->plorg ? pl_resample_svd_name(cs->svd) : "off", STEPS, count[1], count[2],
                 count[3], worst, worst_step, engine_s, replica_s);
  g_assert_cmpint(count[1], >=, 1);
  g_assert_cmpint(count[2], >=, 1);
  g_assert_cmpint(count[3], ==, 1);
  remove_dir(dir);
  g_array_unref(nz.values);
  g_ptr_array_unref(nz.keys);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  static const Case box_paper = {PL_TASK_INPAINT_BOX, TRUE, PL_RESAMPLE_SVD_PAPER};
  static const Case box_dsg = {PL_TASK_INPAINT_BOX, TRUE, PL_RESAMPLE_SVD_DIFFSTATEGRAD};
  static const Case blur_dsg = {PL_TASK_GAUSSIAN_BLUR, TRUE, PL_RESAMPLE_SVD_DIFFSTATEGRAD};
  static const Case blur_off = {PL_TASK_GAUSSIAN_BLUR, FALSE, PL_RESAMPLE_SVD_PAPER};
  g_test_add_data_func("/parity/resample/box/plorg-paper", &box_paper, test_case);
  g_test_add_data_func("/parity/resample/box/plorg-diffstategrad", &box_dsg, test_case);
  g_test_add_data_func("/parity/resample/gblur/plorg-diffstategrad", &blur_dsg, test_case);
  g_test_add_data_func("/parity/resample/gblur/no-plorg", &blur_off, test_case);
  int rc = g_test_run();
  if (model)
    pl_model_unref(model);
  g_free(bundle);
  return rc;
}
