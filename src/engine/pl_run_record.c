/* Writing run records (JSON, atomically) and result PNGs with parameter text chunks. */
#include "pl_run_private.h"
#include "pl_json_util.h"
#include "pl_run_record.h"
#include "pl_json_write.h"
#include <math.h>

static void add_str(JsonBuilder *b, const char *name, const char *v) {
  json_builder_set_member_name(b, name);
  if (v)
    json_builder_add_string_value(b, v);
  else
    json_builder_add_null_value(b);
}

static void add_int(JsonBuilder *b, const char *name, gint64 v) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

static void build_sample(JsonBuilder *b, const PlStepReport *r, const PlSampleStats *s) {
  json_builder_begin_object(b);
  pl_json_add_double(b, "loss_meas", s->loss_meas);
  pl_json_add_double(b, "loss_glue", s->loss_glue);
  pl_json_add_double(b, "residual", s->residual);
  pl_json_add_double(b, "grad_norm", s->grad_norm);
  pl_json_add_double(b, "grad_norm_projected", s->grad_norm_projected);
  pl_json_add_double(b, "z_norm", s->z_norm);
  json_builder_set_member_name(b, "ranks");
  json_builder_begin_array(b);
  for (int c = 0; c < r->channels; c++)
    json_builder_add_int_value(b, s->ranks[c]);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "singular_values");
  json_builder_begin_array(b);
  for (int c = 0; c < r->channels; c++) {
    json_builder_begin_array(b);
    for (int k = 0; k < r->kmax; k++)
      pl_json_add_double_value(b, s->singular_values[(size_t)c * r->kmax + k]);
    json_builder_end_array(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
}

static void build_step(JsonBuilder *b, const PlStepReport *r) {
  json_builder_begin_object(b);
  add_int(b, "index", r->index);
  add_int(b, "t", r->t);
  pl_json_add_double(b, "elapsed_s", r->elapsed_s);
  json_builder_set_member_name(b, "ms");
  json_builder_begin_object(b);
  pl_json_add_double(b, "unet", r->ms_unet);
  pl_json_add_double(b, "decoder", r->ms_decoder);
  pl_json_add_double(b, "encoder", r->ms_encoder);
  pl_json_add_double(b, "operator", r->ms_operator);
  pl_json_add_double(b, "projection", r->ms_projection);
  pl_json_add_double(b, "guided", r->ms_guided);
  pl_json_add_double(b, "other", r->ms_other);
  pl_json_add_double(b, "total", r->ms_total);
  json_builder_end_object(b);
  pl_json_add_double(b, "omega", r->omega);
  pl_json_add_double(b, "gamma", r->gamma);
  pl_json_add_double(b, "tau", r->tau);
  json_builder_set_member_name(b, "plorg");
  json_builder_add_boolean_value(b, r->plorg);
  add_int(b, "resample_event", r->resample_event);
  add_int(b, "opt_iters", r->opt_iters);
  json_builder_set_member_name(b, "samples");
  json_builder_begin_array(b);
  for (int s = 0; s < r->batch; s++)
    build_sample(b, r, &r->sample[s]);
  json_builder_end_array(b);
  json_builder_end_object(b);
}

static void build_software(JsonBuilder *b, PlRun *run) {
  PlShimRuntimeInfo info;
  plshim_runtime_info(&info);
  json_builder_set_member_name(b, "software");
  json_builder_begin_object(b);
  add_str(b, "name", "PLoRG Studio");
  add_str(b, "version", pl_engine_version());
  add_str(b, "torch", info.torch_version);
  char glib[32];
  g_snprintf(glib, sizeof glib, "%u.%u.%u", glib_major_version, glib_minor_version,
             glib_micro_version);
  add_str(b, "glib", glib);
  json_builder_end_object(b);
  const PlShimManifest *mf = pl_model_manifest(run->model);
  json_builder_set_member_name(b, "model");
  json_builder_begin_object(b);
  add_str(b, "dir", pl_model_dir(run->model));
  add_str(b, "name", mf->name);
  add_str(b, "first_stage", mf->first_stage);
  add_int(b, "image_size", mf->image_size);
  add_int(b, "threads", pl_model_threads(run->model));
  add_str(b, "device", pl_model_device(run->model));
  json_builder_end_object(b);
}

static void build_doubles(JsonBuilder *b, const char *name, PlRun *run,
                          double (*get)(PlRun *, int)) {
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (int s = 0; s < run->params.batch; s++)
    pl_json_add_double_value(b, get(run, s));
  json_builder_end_array(b);
}

static void build_metrics(JsonBuilder *b, PlRun *run) {
  json_builder_set_member_name(b, "metrics");
  json_builder_begin_object(b);
  build_doubles(b, "psnr", run, pl_run_psnr);
  build_doubles(b, "ssim", run, pl_run_ssim);
  build_doubles(b, "residual", run, pl_run_residual);
  /* null, not a number, when no LPIPS network was given (LPIPS needs one) */
  const char *net = pl_run_lpips_net(run);
  if (net)
    build_doubles(b, "lpips", run, pl_run_lpips);
  else {
    json_builder_set_member_name(b, "lpips");
    json_builder_add_null_value(b);
  }
  add_str(b, "lpips_net", net);
  /* inpainting: the same metrics of the result with the known pixels pasted in (the
   * official PSLD's saved output); null for the other tasks */
  if (pl_run_pastes(run)) {
    build_doubles(b, "psnr_pasted", run, pl_run_psnr_pasted);
    build_doubles(b, "ssim_pasted", run, pl_run_ssim_pasted);
    if (net)
      build_doubles(b, "lpips_pasted", run, pl_run_lpips_pasted);
  }
  const char *pasted_names[] = {"psnr_pasted", "ssim_pasted", "lpips_pasted"};
  for (int k = 0; k < 3; k++)
    if (!pl_run_pastes(run) || (k == 2 && !net)) {
      json_builder_set_member_name(b, pasted_names[k]);
      json_builder_add_null_value(b);
    }
  json_builder_set_member_name(b, "best_of");
  json_builder_begin_object(b);
  add_int(b, "residual", pl_run_select_best(run, PL_SELECT_RESIDUAL));
  add_int(b, "psnr_oracle", pl_run_select_best(run, PL_SELECT_PSNR_ORACLE));
  json_builder_end_object(b);
  json_builder_end_object(b);
}

static void build_timings(JsonBuilder *b, PlRun *run) {
  double sum[8] = {0};
  guint n = run->reports->len;
  for (guint k = 0; k < n; k++) {
    const PlStepReport *r = g_ptr_array_index(run->reports, k);
    double v[8] = {r->ms_unet, r->ms_decoder, r->ms_encoder, r->ms_operator,
                   r->ms_projection, r->ms_guided, r->ms_other, r->ms_total};
    for (int j = 0; j < 8; j++)
      sum[j] += v[j];
  }
  static const char *names[8] = {"unet", "decoder", "encoder", "operator",
                                 "projection", "guided", "other", "total"};
  json_builder_set_member_name(b, "timings");
  json_builder_begin_object(b);
  pl_json_add_double(b, "elapsed_s", run->elapsed);
  json_builder_set_member_name(b, "ms_mean_per_step");
  json_builder_begin_object(b);
  for (int j = 0; j < 8; j++)
    pl_json_add_double(b, names[j], n ? sum[j] / n : NAN);
  json_builder_end_object(b);
  json_builder_end_object(b);
}

static void build_blob(JsonBuilder *b, const char *name, const float *v, size_t n) {
  json_builder_set_member_name(b, name);
  char *s = pl_floats_to_b64(v, n);
  json_builder_add_string_value(b, s);
  g_free(s);
}

static void build_record(JsonBuilder *b, PlRun *run) {
  json_builder_begin_object(b);
  add_str(b, "format", "plorg-run-record");
  add_int(b, "format_version", 1);
  GDateTime *now = g_date_time_new_now_utc();
  char *iso = g_date_time_format_iso8601(now);
  add_str(b, "created", iso);
  g_free(iso);
  g_date_time_unref(now);
  build_software(b, run);
  json_builder_set_member_name(b, "params");
  pl_json_build_params(b, &run->params, &run->inputs.op);
  add_str(b, "image_path", run->image_path);
  add_str(b, "state", pl_run_state_name(run->state));
  add_str(b, "error", run->error ? run->error->message : NULL);
  add_int(b, "branch_parent_step", run->branch_parent_step);
  json_builder_set_member_name(b, "changes");
  json_builder_begin_array(b);
  for (guint k = 0; k < run->changes->len; k++) {
    const PlParamChange *c = g_ptr_array_index(run->changes, k);
    json_builder_begin_object(b);
    add_int(b, "step", c->step);
    add_str(b, "name", c->name);
    pl_json_add_double(b, "old", c->old_value);
    pl_json_add_double(b, "new", c->new_value);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  build_metrics(b, run);
  build_timings(b, run);
  json_builder_set_member_name(b, "inputs");
  json_builder_begin_object(b);
  build_blob(b, "y_f32le_b64", run->y, pl_operator_y_len(run->op));
  if (run->z_init_given)
    build_blob(b, "z_start_f32le_b64", run->z_init, run->zlen * run->params.batch);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "steps");
  json_builder_begin_array(b);
  for (guint k = 0; k < run->reports->len; k++)
    build_step(b, g_ptr_array_index(run->reports, k));
  json_builder_end_array(b);
  json_builder_end_object(b);
}

gboolean pl_run_record_write(PlRun *run, const char *path, GError **error) {
  JsonBuilder *b = json_builder_new();
  g_mutex_lock(&run->lock);
  gboolean running = run->started && (run->state == PL_RUN_RUNNING || run->state == PL_RUN_PAUSED);
  g_mutex_unlock(&run->lock);
  if (running) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "a run record can be written once the run has ended");
    g_object_unref(b);
    return FALSE;
  }
  build_record(b, run);
  JsonNode *root = json_builder_get_root(b);
  GError *e = NULL;
  gboolean ok = pl_json_write_file(root, path, &e); /* temp file + rename */
  if (!ok) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO, "cannot write run record %s: %s",
                path, e->message);
    g_error_free(e);
  }
  json_node_unref(root);
  g_object_unref(b);
  return ok;
}

gboolean pl_run_save_png(PlRun *run, const PlImage *img, const char *path, const char *title,
                         GError **error) {
  char *params = pl_run_params_to_json(&run->params, &run->inputs.op);
  char *software = g_strdup_printf("PLoRG Studio %s", pl_engine_version());
  const char *keys[] = {"plorg-params", "Software", "Title", NULL};
  const char *values[] = {params, software, title ? title : "", NULL};
  GError *e = NULL;
  gboolean ok = pl_image_save_png(img, path, keys, values, &e);
  if (!ok) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO, "cannot write %s: %s", path,
                e->message);
    g_error_free(e);
  }
  g_free(params);
  g_free(software);
  return ok;
}
