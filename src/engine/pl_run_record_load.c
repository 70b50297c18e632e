/* Reading run records back, and re-running one. */
#include "pl_run_private.h"
#include "pl_json_util.h"
#include "pl_run_record.h"
#include <math.h>

static PlStepReport *read_step(JsonObject *o) {
  JsonArray *samples = pl_json_array(o, "samples");
  int batch = samples ? (int)json_array_get_length(samples) : 0;
  int channels = 0, kmax = 0;
  if (batch > 0) {
    JsonObject *s0 = json_array_get_object_element(samples, 0);
    JsonArray *sv = pl_json_array(s0, "singular_values");
    channels = sv ? (int)json_array_get_length(sv) : 0;
    if (channels > 0)
      kmax = (int)json_array_get_length(json_array_get_array_element(sv, 0));
  }
  PlStepReport *r = pl_step_report_new(batch, channels, kmax);
  r->index = (int)pl_json_int(o, "index", 0);
  r->t = (int)pl_json_int(o, "t", 0);
  r->elapsed_s = pl_json_double(o, "elapsed_s", NAN);
  JsonObject *ms = pl_json_object(o, "ms");
  r->ms_unet = pl_json_double(ms, "unet", 0);
  r->ms_decoder = pl_json_double(ms, "decoder", 0);
  r->ms_encoder = pl_json_double(ms, "encoder", 0);
  r->ms_operator = pl_json_double(ms, "operator", 0);
  r->ms_projection = pl_json_double(ms, "projection", 0);
  r->ms_guided = pl_json_double(ms, "guided", 0);
  r->ms_other = pl_json_double(ms, "other", 0);
  r->ms_total = pl_json_double(ms, "total", 0);
  r->omega = pl_json_double(o, "omega", NAN);
  r->gamma = pl_json_double(o, "gamma", NAN);
  r->tau = pl_json_double(o, "tau", NAN);
  r->plorg = pl_json_bool(o, "plorg", FALSE);
  r->resample_event = (int)pl_json_int(o, "resample_event", 0);
  r->opt_iters = (int)pl_json_int(o, "opt_iters", 0);
  for (int b = 0; b < batch; b++) {
    JsonObject *so = json_array_get_object_element(samples, b);
    PlSampleStats *s = &r->sample[b];
    s->loss_meas = pl_json_double(so, "loss_meas", NAN);
    s->loss_glue = pl_json_double(so, "loss_glue", NAN);
    s->residual = pl_json_double(so, "residual", NAN);
    s->grad_norm = pl_json_double(so, "grad_norm", NAN);
    s->grad_norm_projected = pl_json_double(so, "grad_norm_projected", NAN);
    s->z_norm = pl_json_double(so, "z_norm", NAN);
    JsonArray *ranks = pl_json_array(so, "ranks");
    JsonArray *sv = pl_json_array(so, "singular_values");
    for (int c = 0; c < channels; c++) {
      if (ranks && (guint)c < json_array_get_length(ranks))
        s->ranks[c] = (int)json_array_get_int_element(ranks, c);
      JsonArray *row = sv && (guint)c < json_array_get_length(sv)
                           ? json_array_get_array_element(sv, c) : NULL;
      for (int k = 0; row && k < kmax && (guint)k < json_array_get_length(row); k++) {
        JsonNode *n = json_array_get_element(row, k);
        s->singular_values[(size_t)c * kmax + k] =
            JSON_NODE_HOLDS_NULL(n) ? NAN : json_node_get_double(n);
      }
    }
  }
  return r;
}

static double *read_doubles(JsonObject *o, const char *name, int *n) {
  JsonArray *a = pl_json_array(o, name);
  int len = a ? (int)json_array_get_length(a) : 0;
  double *v = g_new(double, MAX(len, 1));
  for (int k = 0; k < len; k++) {
    JsonNode *e = json_array_get_element(a, k);
    v[k] = JSON_NODE_HOLDS_NULL(e) ? NAN : json_node_get_double(e);
  }
  *n = len;
  return v;
}

static void read_metrics(PlRunRecord *r, JsonObject *m) {
  int n1 = 0, n2 = 0, n3 = 0;
  r->sample_psnr = read_doubles(m, "psnr", &n1);
  r->sample_ssim = read_doubles(m, "ssim", &n2);
  r->sample_residual = read_doubles(m, "residual", &n3);
  r->n_samples = MIN(n1, MIN(n2, n3));
  r->psnr = r->n_samples > 0 ? r->sample_psnr[0] : NAN;
  r->ssim = r->n_samples > 0 ? r->sample_ssim[0] : NAN;
  r->residual = r->n_samples > 0 ? r->sample_residual[0] : NAN;
  /* LPIPS is optional (needs a network): NaN for every sample when absent */
  int n4 = 0;
  r->sample_lpips = read_doubles(m, "lpips", &n4);
  r->sample_lpips = g_renew(double, r->sample_lpips, MAX(r->n_samples, 1));
  for (int k = n4; k < MAX(r->n_samples, 1); k++)
    r->sample_lpips[k] = NAN;
  r->lpips = r->n_samples > 0 ? r->sample_lpips[0] : NAN;
  r->lpips_net = g_strdup(pl_json_string(m, "lpips_net"));
  /* pasted metrics: optional (inpainting only, and records before they existed) */
  double **pasted[] = {&r->sample_psnr_pasted, &r->sample_ssim_pasted, &r->sample_lpips_pasted};
  double *first[] = {&r->psnr_pasted, &r->ssim_pasted, &r->lpips_pasted};
  const char *names[] = {"psnr_pasted", "ssim_pasted", "lpips_pasted"};
  for (int j = 0; j < 3; j++) {
    int np = 0;
    double *v = read_doubles(m, names[j], &np);
    v = g_renew(double, v, MAX(r->n_samples, 1));
    for (int k = np; k < MAX(r->n_samples, 1); k++)
      v[k] = NAN;
    *pasted[j] = v;
    *first[j] = r->n_samples > 0 ? v[0] : NAN;
  }
  JsonObject *best = pl_json_object(m, "best_of");
  r->best_residual = (int)pl_json_int(best, "residual", -1);
  r->best_psnr_oracle = (int)pl_json_int(best, "psnr_oracle", -1);
}

static void read_changes(PlRunRecord *r, JsonArray *a) {
  r->changes = g_array_new(FALSE, TRUE, sizeof(PlParamChange));
  guint n = a ? json_array_get_length(a) : 0;
  for (guint k = 0; k < n; k++) {
    JsonObject *o = json_array_get_object_element(a, k);
    PlParamChange c = {(int)pl_json_int(o, "step", 0), g_strdup(pl_json_string(o, "name")),
                       pl_json_double(o, "old", NAN), pl_json_double(o, "new", NAN)};
    g_array_append_val(r->changes, c);
  }
}

static gboolean fail(GError **error, const char *path, const char *what) {
  g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO, "run record %s: %s", path, what);
  return FALSE;
}

static gboolean read_record(PlRunRecord *r, JsonObject *o, const char *path, GError **error) {
  if (g_strcmp0(pl_json_string(o, "format"), "plorg-run-record") != 0)
    return fail(error, path, "not a PLoRG run record (\"format\" is not plorg-run-record)");
  JsonObject *params = pl_json_object(o, "params");
  if (!params)
    return fail(error, path, "no \"params\"");
  if (!pl_json_read_params(params, &r->params, &r->op, &r->mask, error))
    return FALSE;
  JsonObject *sw = pl_json_object(o, "software"), *model = pl_json_object(o, "model");
  r->version = g_strdup(pl_json_string(sw, "version"));
  r->torch_version = g_strdup(pl_json_string(sw, "torch"));
  r->model_dir = g_strdup(pl_json_string(model, "dir"));
  r->device = g_strdup(pl_json_string(model, "device"));
  r->image_path = g_strdup(pl_json_string(o, "image_path"));
  r->state = g_strdup(pl_json_string(o, "state"));
  r->error_message = g_strdup(pl_json_string(o, "error"));
  r->branch_parent_step = (int)pl_json_int(o, "branch_parent_step", -1);
  read_changes(r, pl_json_array(o, "changes"));
  read_metrics(r, pl_json_object(o, "metrics"));
  JsonObject *in = pl_json_object(o, "inputs");
  const char *y = pl_json_string(in, "y_f32le_b64"), *z = pl_json_string(in, "z_start_f32le_b64");
  if (!y)
    return fail(error, path, "no measurement (inputs.y_f32le_b64)");
  r->y = pl_floats_from_b64(y, &r->y_len);
  if (z)
    r->z_start = pl_floats_from_b64(z, &r->z_start_len);
  JsonArray *steps = pl_json_array(o, "steps");
  guint n = steps ? json_array_get_length(steps) : 0;
  for (guint k = 0; k < n; k++)
    g_ptr_array_add(r->steps, read_step(json_array_get_object_element(steps, k)));
  return TRUE;
}

PlRunRecord *pl_run_record_load(const char *path, GError **error) {
  JsonParser *parser = json_parser_new();
  GError *e = NULL;
  if (!json_parser_load_from_file(parser, path, &e)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO, "cannot read run record %s: %s",
                path, e->message);
    g_error_free(e);
    g_object_unref(parser);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  PlRunRecord *r = g_new0(PlRunRecord, 1);
  r->steps = g_ptr_array_new_with_free_func((GDestroyNotify)pl_step_report_free);
  r->best_residual = r->best_psnr_oracle = -1;
  gboolean ok = root && JSON_NODE_HOLDS_OBJECT(root)
                    ? read_record(r, json_node_get_object(root), path, error)
                    : fail(error, path, "not a JSON object");
  g_object_unref(parser);
  if (!ok) {
    pl_run_record_free(r);
    return NULL;
  }
  return r;
}

void pl_run_record_free(PlRunRecord *r) {
  if (!r)
    return;
  g_free(r->model_dir);
  g_free(r->image_path);
  g_free(r->state);
  if (r->changes) {
    for (guint k = 0; k < r->changes->len; k++)
      g_free(g_array_index(r->changes, PlParamChange, k).name);
    g_array_unref(r->changes);
  }
  if (r->steps)
    g_ptr_array_unref(r->steps);
  g_free(r->mask);
  g_free(r->y);
  g_free(r->z_start);
  g_free(r->version);
  g_free(r->device);
  g_free(r->torch_version);
  g_free(r->error_message);
  g_free(r->sample_psnr);
  g_free(r->sample_ssim);
  g_free(r->sample_residual);
  g_free(r->sample_lpips);
  g_free(r->sample_psnr_pasted);
  g_free(r->sample_ssim_pasted);
  g_free(r->sample_lpips_pasted);
  g_free(r->lpips_net);
  g_free(r);
}

PlRun *pl_run_new_from_record(PlModel *model, const PlRunRecord *rec, GError **error) {
  PlRunInputs in = {0};
  in.op = rec->op;
  in.op.mask = rec->mask;
  in.y = rec->y;
  in.z_start = rec->z_start;
  in.image_path = rec->image_path;
  PlImage *clean = NULL;
  int n = pl_model_image_size(model);
  if (rec->image_path && g_file_test(rec->image_path, G_FILE_TEST_EXISTS)) {
    PlImage *img = pl_image_load(rec->image_path, NULL);
    clean = img ? pl_image_fit_square(img, n, PL_FIT_CENTER_CROP) : NULL;
    pl_image_free(img);
  }
  in.clean = clean;
  PlRun *run = NULL;
  size_t ylen_expected = 0;
  PlOperator *op = pl_operator_new(&in.op, NULL);
  if (op) {
    ylen_expected = pl_operator_y_len(op);
    pl_operator_free(op);
  }
  int C, H, W;
  pl_model_latent_shape(model, &C, &H, &W);
  size_t zlen_expected = (size_t)C * H * W * rec->params.batch;
  if (rec->z_start && rec->z_start_len != zlen_expected) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "the record's start latent has %zu values; this model and batch need %zu",
                rec->z_start_len, zlen_expected);
  } else if (rec->y_len != ylen_expected) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "the record's measurement has %zu values; its degradation makes %zu",
                rec->y_len, ylen_expected);
  } else {
    run = pl_run_new(model, &in, &rec->params, error);
  }
  if (run) {
    for (guint k = 0; k < rec->changes->len; k++) {
      const PlParamChange *c = &g_array_index(rec->changes, PlParamChange, k);
      pl_run_schedule_param(run, c->step, c->name, c->new_value);
    }
  }
  pl_image_free(clean);
  return run;
}
