/* Reading run records back, and re-running one. */
#include "pl_run_private.h"
#include "pl_json_util.h"
#include "pl_run_record.h"
#include "pl_json_guard.h"
#include <math.h>

/* Shapes of a step's per-sample statistics, checked before anything is sized by them:
 * every sample has `channels` rows of `kmax` singular values and `channels` ranks, so an
 * allocation never exceeds what the text holds (a 300 KB file once asked for 7.2 GB by
 * declaring one 30k-long row in a 30k-row array). kmax is at most the image side (the
 * latent is no larger than the image) and channels at most PL_RECORD_MAX_CHANNELS. */
#define PL_RECORD_MAX_CHANNELS 1024

static gboolean step_shape(PlJsonReader *jr, JsonArray *samples, guint batch, int max_k,
                           int *channels, int *kmax) {
  *channels = *kmax = 0;
  for (guint b = 0; b < batch; b++) {
    JsonObject *so = pl_jr_object_at(jr, samples, "samples", b);
    if (!so)
      return FALSE;
    guint nc = 0, nr = 0;
    JsonArray *sv = pl_jr_array(jr, so, "singular_values", PL_RECORD_MAX_CHANNELS, &nc);
    JsonArray *ranks = pl_jr_array(jr, so, "ranks", PL_RECORD_MAX_CHANNELS, &nr);
    if (jr->error)
      return FALSE;
    if (b == 0)
      *channels = (int)nc;
    if ((int)nc != *channels || (ranks && (int)nr != *channels)) {
      jr->error = g_error_new(PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                              "%s.samples[%u]: %u singular value rows and %u ranks, sample 0 "
                              "has %d channels", jr->where, b, nc, nr, *channels);
      return FALSE;
    }
    for (guint c = 0; c < nc; c++) {
      JsonNode *row = json_array_get_element(sv, c);
      guint len = JSON_NODE_HOLDS_ARRAY(row) ? json_array_get_length(json_node_get_array(row)) : 0;
      if (b == 0 && c == 0)
        *kmax = (int)len;
      if (!JSON_NODE_HOLDS_ARRAY(row) || (int)len != *kmax || *kmax > max_k) {
        jr->error = g_error_new(PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                                "%s.samples[%u].singular_values[%u]: must be an array of %d "
                                "numbers (as row 0; at most the image side %d)",
                                jr->where, b, c, MIN(*kmax, max_k), max_k);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static PlStepReport *read_step(JsonObject *o, guint k, const PlRunRecord *rec, GError **error) {
  char *where = g_strdup_printf("steps[%u]", k);
  PlJsonReader jr = {where, NULL};
  guint batch = 0;
  int channels = 0, kmax = 0;
  JsonArray *samples = pl_jr_array(&jr, o, "samples", (guint)rec->params.batch, &batch);
  if (!jr.error)
    step_shape(&jr, samples, batch, rec->op.size, &channels, &kmax);
  if (!pl_jr_finish(&jr, NULL, error)) {
    g_free(where);
    return NULL;
  }
  PlStepReport *r = pl_step_report_new((int)batch, channels, kmax);
  r->steps = rec->params.steps;
  pl_jr_int(&jr, o, "index", &r->index, 0, PL_RUN_MAX_STEPS);
  pl_jr_int(&jr, o, "t", &r->t, 0, PL_RUN_MAX_STEPS);
  r->elapsed_s = NAN;
  pl_jr_double(&jr, o, "elapsed_s", &r->elapsed_s);
  JsonObject *ms = pl_json_object(o, "ms");
  if (ms) {
    pl_jr_double(&jr, ms, "unet", &r->ms_unet);
    pl_jr_double(&jr, ms, "decoder", &r->ms_decoder);
    pl_jr_double(&jr, ms, "encoder", &r->ms_encoder);
    pl_jr_double(&jr, ms, "operator", &r->ms_operator);
    pl_jr_double(&jr, ms, "projection", &r->ms_projection);
    pl_jr_double(&jr, ms, "guided", &r->ms_guided);
    pl_jr_double(&jr, ms, "other", &r->ms_other);
    pl_jr_double(&jr, ms, "total", &r->ms_total);
  }
  r->omega = r->gamma = r->tau = NAN;
  pl_jr_double(&jr, o, "omega", &r->omega);
  pl_jr_double(&jr, o, "gamma", &r->gamma);
  pl_jr_double(&jr, o, "tau", &r->tau);
  pl_jr_bool(&jr, o, "plorg", &r->plorg);
  int event = PL_RESAMPLE_EVENT_NONE;
  pl_jr_int(&jr, o, "resample_event", &event, PL_RESAMPLE_EVENT_NONE, PL_RESAMPLE_EVENT_FINAL);
  r->resample_event = (PlResampleEvent)event;
  pl_jr_int(&jr, o, "opt_iters", &r->opt_iters, 0, PL_RUN_MAX_OPT_ITERS);
  for (guint b = 0; b < batch && !jr.error; b++) {
    JsonObject *so = json_array_get_object_element(samples, b);
    PlSampleStats *s = &r->sample[b];
    pl_jr_double(&jr, so, "loss_meas", &s->loss_meas);
    pl_jr_double(&jr, so, "loss_glue", &s->loss_glue);
    pl_jr_double(&jr, so, "residual", &s->residual);
    pl_jr_double(&jr, so, "grad_norm", &s->grad_norm);
    pl_jr_double(&jr, so, "grad_norm_projected", &s->grad_norm_projected);
    s->z_norm = NAN;
    pl_jr_double(&jr, so, "z_norm", &s->z_norm);
    JsonArray *ranks = pl_json_array(so, "ranks");
    JsonArray *sv = pl_json_array(so, "singular_values");
    for (int c = 0; c < channels && !jr.error; c++) {
      if (ranks) {
        double v = pl_jr_double_at(&jr, ranks, "ranks", (guint)c);
        if (!(v >= 0 && v <= kmax && v == floor(v)) && !jr.error)
          jr.error = g_error_new(PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                                 "%s.samples[%u].ranks[%d]: must be a whole number in [0, %d]",
                                 where, b, c, kmax);
        else
          s->ranks[c] = (int)v;
      }
      JsonArray *row = json_array_get_array_element(sv, (guint)c);
      for (int q = 0; q < kmax && !jr.error; q++)
        s->singular_values[(size_t)c * kmax + q] = pl_jr_double_at(&jr, row, "singular_values", (guint)q);
    }
  }
  g_free(where);
  if (!pl_jr_finish(&jr, NULL, error)) {
    pl_step_report_free(r);
    return NULL;
  }
  return r;
}

/* Per-sample metrics: at most the batch (null entries are NaN). */
static double *read_doubles(PlJsonReader *jr, JsonObject *o, const char *name, int batch, int *n) {
  guint len = 0;
  JsonArray *a = o ? pl_jr_array(jr, o, name, (guint)batch, &len) : NULL;
  double *v = g_new(double, MAX(len, 1));
  v[0] = NAN;
  for (guint k = 0; k < len; k++)
    v[k] = pl_jr_double_at(jr, a, name, k);
  *n = (int)len;
  return v;
}

static void read_metrics(PlRunRecord *r, JsonObject *m, PlJsonReader *jr) {
  int n1 = 0, n2 = 0, n3 = 0, batch = r->params.batch;
  r->sample_psnr = read_doubles(jr, m, "psnr", batch, &n1);
  r->sample_ssim = read_doubles(jr, m, "ssim", batch, &n2);
  r->sample_residual = read_doubles(jr, m, "residual", batch, &n3);
  r->n_samples = MIN(n1, MIN(n2, n3));
  r->psnr = r->n_samples > 0 ? r->sample_psnr[0] : NAN;
  r->ssim = r->n_samples > 0 ? r->sample_ssim[0] : NAN;
  r->residual = r->n_samples > 0 ? r->sample_residual[0] : NAN;
  /* LPIPS is optional (needs a network): NaN for every sample when absent (null) */
  int n4 = 0;
  JsonNode *lp = m && json_object_has_member(m, "lpips") ? json_object_get_member(m, "lpips") : NULL;
  r->sample_lpips = lp && JSON_NODE_HOLDS_NULL(lp) ? g_new(double, 1)
                                                   : read_doubles(jr, m, "lpips", batch, &n4);
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
    JsonNode *node = m ? json_object_get_member(m, names[j]) : NULL;
    /* null: the task is not inpainting */
    double *v = node && JSON_NODE_HOLDS_NULL(node) ? read_doubles(jr, NULL, names[j], batch, &np)
                                                   : read_doubles(jr, m, names[j], batch, &np);
    v = g_renew(double, v, MAX(r->n_samples, 1));
    for (int k = np; k < MAX(r->n_samples, 1); k++)
      v[k] = NAN;
    *pasted[j] = v;
    *first[j] = r->n_samples > 0 ? v[0] : NAN;
  }
  JsonObject *best = pl_json_object(m, "best_of");
  if (best) {
    pl_jr_int(jr, best, "residual", &r->best_residual, -1, batch - 1);
    pl_jr_int(jr, best, "psnr_oracle", &r->best_psnr_oracle, -1, batch - 1);
  }
}

static void read_changes(PlRunRecord *r, JsonArray *a, guint n, PlJsonReader *jr) {
  r->changes = g_array_new(FALSE, TRUE, sizeof(PlParamChange));
  for (guint k = 0; k < n && !jr->error; k++) {
    JsonObject *o = pl_jr_object_at(jr, a, "changes", k);
    PlParamChange c = {0, NULL, NAN, NAN};
    if (!o)
      break;
    pl_jr_int(jr, o, "step", &c.step, 0, PL_RUN_MAX_STEPS);
    pl_jr_double(jr, o, "old", &c.old_value);
    pl_jr_double(jr, o, "new", &c.new_value);
    c.name = g_strdup(pl_json_string(o, "name"));
    g_array_append_val(r->changes, c);
  }
}

static gboolean fail(GError **error, const char *path, const char *what) {
  g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO, "run record %s: %s", path, what);
  return FALSE;
}

/* A record as the engine writes them: pl_run_record_write's layout. Sizes are bounded by
 * the run's own parameters (steps, batch, image side), each checked on reading. */
static gboolean read_record(PlRunRecord *r, JsonObject *o, const char *path, GError **error) {
  if (g_strcmp0(pl_json_string(o, "format"), "plorg-run-record") != 0)
    return fail(error, path, "not a PLoRG run record (\"format\" is not plorg-run-record)");
  JsonObject *params = pl_json_object(o, "params");
  if (!params)
    return fail(error, path, "no \"params\"");
  GError *e = NULL;
  if (!pl_json_read_params(params, &r->params, &r->op, &r->mask, &e) ||
      !pl_run_params_validate(&r->params, PL_RUN_MAX_STEPS, &e)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "run record %s: %s", path,
                e->message);
    g_error_free(e);
    return FALSE;
  }
  JsonObject *sw = pl_json_object(o, "software"), *model = pl_json_object(o, "model");
  r->version = g_strdup(pl_json_string(sw, "version"));
  r->torch_version = g_strdup(pl_json_string(sw, "torch"));
  r->model_dir = g_strdup(pl_json_string(model, "dir"));
  r->device = g_strdup(pl_json_string(model, "device"));
  r->image_path = g_strdup(pl_json_string(o, "image_path"));
  r->state = g_strdup(pl_json_string(o, "state"));
  r->error_message = g_strdup(pl_json_string(o, "error"));
  PlJsonReader jr = {"", NULL};
  pl_jr_int(&jr, o, "branch_parent_step", &r->branch_parent_step, -1, PL_RUN_MAX_STEPS);
  guint nchanges = 0, nsteps = 0;
  /* a change per step and parameter at most (4 steerable parameters) */
  JsonArray *changes = pl_jr_array(&jr, o, "changes", 4u * (guint)r->params.steps + 4u, &nchanges);
  read_changes(r, changes, nchanges, &jr);
  read_metrics(r, pl_json_object(o, "metrics"), &jr);
  JsonArray *steps = pl_jr_array(&jr, o, "steps", (guint)r->params.steps, &nsteps);
  if (!pl_jr_finish(&jr, NULL, &e)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "run record %s: %s", path,
                e->message);
    g_error_free(e);
    return FALSE;
  }
  JsonObject *in = pl_json_object(o, "inputs");
  const char *y = pl_json_string(in, "y_f32le_b64"), *z = pl_json_string(in, "z_start_f32le_b64");
  if (!y)
    return fail(error, path, "no measurement (inputs.y_f32le_b64)");
  r->y = pl_floats_from_b64(y, &r->y_len);
  if (!r->y)
    return fail(error, path, "inputs.y_f32le_b64 is not base64 of float32 values");
  if (z && !(r->z_start = pl_floats_from_b64(z, &r->z_start_len)))
    return fail(error, path, "inputs.z_start_f32le_b64 is not base64 of float32 values");
  for (guint k = 0; k < nsteps; k++) {
    JsonObject *so = pl_jr_object_at(&jr, steps, "steps", k);
    PlStepReport *rep = so ? read_step(so, k, r, &e) : NULL;
    if (!rep) {
      if (!e)
        pl_jr_finish(&jr, NULL, &e);
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "run record %s: %s", path,
                  e->message);
      g_error_free(e);
      return FALSE;
    }
    g_ptr_array_add(r->steps, rep);
  }
  return TRUE;
}

PlRunRecord *pl_run_record_load(const char *path, GError **error) {
  GError *e = NULL;
  JsonParser *parser = pl_json_parse_file(path, &pl_json_limits_record, &e);
  if (!parser) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO, "cannot read run record %s: %s",
                path, e->message);
    g_error_free(e);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  PlRunRecord *r = g_new0(PlRunRecord, 1);
  r->steps = g_ptr_array_new_with_free_func((GDestroyNotify)pl_step_report_free);
  r->best_residual = r->best_psnr_oracle = -1;
  r->branch_parent_step = -1;
  gboolean ok = JSON_NODE_HOLDS_OBJECT(root)
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
  /* a regular file only: a FIFO named by a record would block the load forever */
  if (rec->image_path && g_file_test(rec->image_path, G_FILE_TEST_IS_REGULAR)) {
    PlImage *img = pl_image_load(rec->image_path, NULL);
    clean = img ? pl_image_fit_square(img, n, PL_FIT_CENTER_CROP) : NULL;
    pl_image_free(img);
  }
  in.clean = clean;
  PlRun *run = NULL;
  size_t ylen_expected = 0;
  GError *op_error = NULL;
  PlOperator *op = pl_operator_new(&in.op, &op_error);
  if (op) {
    ylen_expected = pl_operator_y_len(op);
    pl_operator_free(op);
  } else {
    /* the real problem, not "its degradation makes 0 values" */
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "the record's degradation (params.operator): %s", op_error->message);
    g_error_free(op_error);
    pl_image_free(clean);
    return NULL;
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
