/* Runs the engine's PSLD on a model bundle and writes what an independent replica needs to
 * run the same sampling loop, and the engine's trajectory to compare with:
 *
 *   psld_parity_dump BUNDLE OUT CASE...      CASE = NAME:TASK[:OPTIONS]
 *
 * OPTIONS are comma-separated key=value run options (glue=adjoint, meas=clean,
 * timesteps=zero, gamma=G, omega=W, steps=N). For each case OUT/NAME/ holds
 *   case.json        task, sizes, steps, omega, gamma, the options, sigma_y (model units)
 *   z.f32            the latents z_T, z after step 0, ..., after the last step ((steps+1) x zlen)
 *   y.f32            the measurement the run used
 *   noise.f32        the noiser's N(0,1) draws, one y-sized block per step (the engine's
 *                    PSLD prediction-noise stream; the replica scales them by sigma_y)
 *   mask.f32 / kernel.f32   the inpainting mask (n x n) or blur kernel (k x k) when the task has one
 * The model is loaded in float64 compute mode (plorg_shim.h), on the CPU, one thread.
 * The ground truth is a fixed smooth image, so no data file is needed. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_noise.h"
#include "pl_run.h"
#include "parity_util.h"

static gboolean apply_option(PlRunParams *p, const char *kv, GError **error) {
  char **parts = g_strsplit(kv, "=", 2);
  gboolean ok = parts[0] && parts[1];
  if (ok) {
    const char *k = parts[0], *v = parts[1];
    if (!strcmp(k, "glue"))
      ok = pl_glue_transpose_from_name(v, &p->glue_transpose);
    else if (!strcmp(k, "meas"))
      ok = pl_meas_noise_from_name(v, &p->meas_noise);
    else if (!strcmp(k, "timesteps"))
      ok = pl_timestep_rule_from_name(v, &p->timesteps);
    else if (!strcmp(k, "gamma"))
      p->gamma = g_ascii_strtod(v, NULL);
    else if (!strcmp(k, "omega"))
      p->omega = g_ascii_strtod(v, NULL);
    else if (!strcmp(k, "steps"))
      p->steps = atoi(v);
    else
      ok = FALSE;
  }
  if (!ok)
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad case option \"%s\"", kv);
  g_strfreev(parts);
  return ok;
}

static gboolean write_case_json(const char *dir, const char *task, const PlRunParams *p,
                                PlOperator *op, int n, GError **error) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
#define STR(k, v) (json_builder_set_member_name(b, k), json_builder_add_string_value(b, v))
#define INT(k, v) (json_builder_set_member_name(b, k), json_builder_add_int_value(b, v))
#define DBL(k, v) (json_builder_set_member_name(b, k), json_builder_add_double_value(b, v))
  STR("task", task);
  INT("size", n);
  INT("steps", p->steps);
  DBL("omega", p->omega);
  DBL("gamma", p->gamma);
  STR("glue_transpose", pl_glue_transpose_name(p->glue_transpose));
  STR("meas_noise", pl_meas_noise_name(p->meas_noise));
  STR("timesteps", pl_timestep_rule_name(p->timesteps));
  DBL("sigma_y", pl_operator_noise_std(op));
  const PlOperatorParams *op_p = pl_operator_params(op);
  INT("sr_factor", op_p->sr_factor);
  INT("pr_pad", op_p->pr_pad);
  int side = 0;
  pl_operator_kernel(op, &side);
  INT("kernel_size", side);
  int yc, yh, yw;
  pl_operator_y_shape(op, &yc, &yh, &yw);
  json_builder_set_member_name(b, "y_shape");
  json_builder_begin_array(b);
  json_builder_add_int_value(b, yc);
  json_builder_add_int_value(b, yh);
  json_builder_add_int_value(b, yw);
  json_builder_end_array(b);
  json_builder_end_object(b);
  JsonNode *root = json_builder_get_root(b);
  char *text = json_to_string(root, TRUE);
  char *path = g_build_filename(dir, "case.json", NULL);
  gboolean ok = g_file_set_contents(path, text, -1, error);
  g_free(path);
  g_free(text);
  json_node_unref(root);
  g_object_unref(b);
  return ok;
}

static gboolean run_case(PlModel *model, const char *out, const char *spec, GError **error) {
  char **f = g_strsplit(spec, ":", 3);
  if (!f[0] || !f[1]) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad case \"%s\"", spec);
    g_strfreev(f);
    return FALSE;
  }
  PlTask task;
  gboolean ok = pl_task_from_name(f[1], &task);
  if (!ok)
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown task \"%s\"", f[1]);
  PlRunParams p;
  pl_run_params_init(&p, PL_SOLVER_PSLD);
  p.steps = 20;
  p.seed = 7;
  p.keep_every = 1;
  if (task == PL_TASK_PHASE_RETRIEVAL)
    p.gamma = 0.0;  /* no gluing without a transpose */
  char **opts = f[2] ? g_strsplit(f[2], ",", -1) : g_new0(char *, 1);
  for (char **q = opts; ok && *q; q++)
    ok = apply_option(&p, *q, error);
  g_strfreev(opts);
  char *dir = g_build_filename(out, f[0], NULL);
  int n = pl_model_image_size(model);
  PlImage *clean = parity_smooth_image(n);
  PlRun *run = NULL;
  if (ok) {
    g_mkdir_with_parents(dir, 0755);
    PlRunInputs in = {0};
    pl_operator_params_init(&in.op, task, n);
    in.op.seed = 3;
    in.clean = clean;
    run = pl_run_new(model, &in, &p, error);
    ok = run && pl_run_execute(run, error) && pl_run_state(run) == PL_RUN_FINISHED;
    if (run && !ok && error && !*error)
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "run ended %s",
                  pl_run_state_name(pl_run_state(run)));
  }
  if (ok) {
    PlOperator *op = pl_run_operator(run);
    int C, H, W;
    pl_model_latent_shape(model, &C, &H, &W);
    size_t zlen = (size_t)C * H * W;
    size_t ylen = pl_operator_y_len(op);
    g_assert_cmpint(pl_run_history_count(run), ==, p.steps);
    float *z = g_new(float, (p.steps + 1) * zlen);
    for (int i = 0; i < p.steps; i++) {
      g_assert_cmpint(pl_run_history_step(run, i), ==, i);
      memcpy(z + i * zlen, pl_run_history_latent(run, i), zlen * sizeof(float));
    }
    memcpy(z + p.steps * zlen, pl_run_final_latent(run), zlen * sizeof(float));
    float *noise = g_new(float, p.steps * ylen);
    for (int i = 0; i < p.steps; i++)
      pl_noise_fill(p.seed, PL_NOISE_PREDICTION, i, 0, noise + i * ylen, ylen);
    ok = write_case_json(dir, f[1], &p, op, n, error) &&
         parity_write_floats(dir, "z.f32", z, (p.steps + 1) * zlen, error) &&
         parity_write_floats(dir, "y.f32", pl_run_measurement(run), ylen, error) &&
         parity_write_floats(dir, "noise.f32", noise, p.steps * ylen, error);
    int side = 0;
    const float *kernel = pl_operator_kernel(op, &side);
    if (ok && pl_operator_mask(op))
      ok = parity_write_floats(dir, "mask.f32", pl_operator_mask(op), (size_t)n * n, error);
    if (ok && kernel)
      ok = parity_write_floats(dir, "kernel.f32", kernel, (size_t)side * side, error);
    g_free(z);
    g_free(noise);
  }
  if (run)
    pl_run_unref(run);
  pl_image_free(clean);
  g_free(dir);
  g_strfreev(f);
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s BUNDLE OUT NAME:TASK[:OPTIONS]...\n", argv[0]);
    return 2;
  }
  PlModelParams mp;
  pl_model_params_init(&mp);
  mp.device = PLSHIM_DEVICE_CPU;
  mp.threads = 1;
  mp.compute_double = TRUE;
  GError *e = NULL;
  PlModel *model = pl_model_load(argv[1], &mp, &e);
  for (int k = 3; model && k < argc && !e; k++)
    run_case(model, argv[2], argv[k], &e);
  if (e) {
    fprintf(stderr, "psld_parity_dump: %s\n", e->message);
    g_error_free(e);
  }
  int rc = e || !model ? 1 : 0;
  if (model)
    pl_model_unref(model);
  return rc;
}
