/* Sweep cells: keys, result files (one small JSON per cell, written atomically). */
#include "plorg_sweep.h"
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

void plorg_cell_init(PlorgCell *c) {
  memset(c, 0, sizeof *c);
  c->lpips = NAN;
  c->psnr_pasted = c->ssim_pasted = c->lpips_pasted = NAN;
  c->timesteps = PL_TIMESTEPS_LDM;  /* the engine's defaults (pl_run_params_init) */
  c->glue_transpose = PL_GLUE_OFFICIAL;
  c->meas_noise = PL_MEAS_NOISED;
  c->noise_units = PL_NOISE_UNITS_MODEL;
}

void plorg_cell_clear(PlorgCell *c) {
  g_free(c->image_path);
  g_free(c->image);
  g_free(c->config_hash);
  g_free(c->resample_svd);
  g_free(c->state);
  g_free(c->lpips_net);
  g_free(c->lpips_source);
  g_free(c->file);
  plorg_cell_init(c);
}

char *plorg_cell_method(const PlorgCell *c) {
  return g_strdup_printf("%s%s", c->plorg ? "PLoRG-" : "", pl_solver_label(c->solver));
}

char *plorg_cell_fidelity(const PlorgCell *c) {
  return g_strdup_printf("%s/%s/%s/%s", pl_timestep_rule_name(c->timesteps),
                         pl_glue_transpose_name(c->glue_transpose),
                         pl_meas_noise_name(c->meas_noise), pl_noise_units_name(c->noise_units));
}

char *plorg_cell_key(const PlorgCell *c) {
  GString *k = g_string_new(NULL);
  g_string_printf(k, "%s__%s__%s__%s__w%g", c->image, pl_task_name(c->task),
                  pl_solver_name(c->solver), c->plorg ? "plorg" : "base", c->omega);
  /* only non-defaults, so default cells keep their names */
  if (c->timesteps != PL_TIMESTEPS_LDM)
    g_string_append_printf(k, "__ts-%s", pl_timestep_rule_name(c->timesteps));
  if (c->glue_transpose != PL_GLUE_OFFICIAL)
    g_string_append_printf(k, "__glue-%s", pl_glue_transpose_name(c->glue_transpose));
  if (c->meas_noise != PL_MEAS_NOISED)
    g_string_append_printf(k, "__meas-%s", pl_meas_noise_name(c->meas_noise));
  if (c->noise_units != PL_NOISE_UNITS_MODEL)
    g_string_append_printf(k, "__noise-%s", pl_noise_units_name(c->noise_units));
  char *key = g_string_free(k, FALSE);
  for (char *q = key; *q; q++)
    if (!g_ascii_isalnum(*q) && *q != '_' && *q != '-' && *q != '.')
      *q = '_';
  return key;
}

static void add_d(JsonBuilder *b, const char *name, double v) {
  json_builder_set_member_name(b, name);
  if (isfinite(v))
    json_builder_add_double_value(b, v);
  else
    json_builder_add_null_value(b);
}

static void add_s(JsonBuilder *b, const char *name, const char *v) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, v ? v : "");
}

static void add_s_or_null(JsonBuilder *b, const char *name, const char *v) {
  json_builder_set_member_name(b, name);
  if (v)
    json_builder_add_string_value(b, v);
  else
    json_builder_add_null_value(b);
}

gboolean plorg_cell_write(const PlorgCell *c, const char *path, GError **error) {
  JsonBuilder *b = json_builder_new();
  char *method = plorg_cell_method(c);
  json_builder_begin_object(b);
  add_s(b, "image", c->image);
  add_s(b, "image_path", c->image_path);
  add_s(b, "task", pl_task_name(c->task));
  add_s(b, "solver", pl_solver_name(c->solver));
  json_builder_set_member_name(b, "plorg");
  json_builder_add_boolean_value(b, c->plorg);
  add_s(b, "method", method);
  add_d(b, "omega", c->omega);
  add_s_or_null(b, "plorg_resample_svd", c->resample_svd);
  json_builder_set_member_name(b, "steps");
  json_builder_add_int_value(b, c->steps);
  json_builder_set_member_name(b, "batch");
  json_builder_add_int_value(b, c->batch);
  add_s(b, "config_hash", c->config_hash);
  add_s(b, "state", c->state);
  add_d(b, "psnr", c->psnr);
  add_d(b, "ssim", c->ssim);
  add_d(b, "lpips", c->lpips);
  add_s_or_null(b, "lpips_net", isnan(c->lpips) ? NULL : c->lpips_net);
  add_s_or_null(b, "lpips_source", isnan(c->lpips) ? NULL : c->lpips_source);
  add_d(b, "psnr_pasted", c->psnr_pasted);
  add_d(b, "ssim_pasted", c->ssim_pasted);
  add_d(b, "lpips_pasted", c->lpips_pasted);
  add_s(b, "timesteps", pl_timestep_rule_name(c->timesteps));
  add_s(b, "glue_transpose", pl_glue_transpose_name(c->glue_transpose));
  add_s(b, "meas_noise", pl_meas_noise_name(c->meas_noise));
  add_s(b, "noise_units", pl_noise_units_name(c->noise_units));
  add_d(b, "residual", c->residual);
  add_d(b, "psnr_oracle", c->psnr_oracle);
  add_d(b, "elapsed_s", c->elapsed_s);
  json_builder_end_object(b);
  JsonNode *root = json_builder_get_root(b);
  char *text = json_to_string(root, TRUE);
  gboolean ok = g_file_set_contents(path, text, -1, error);
  g_free(text);
  g_free(method);
  json_node_unref(root);
  g_object_unref(b);
  return ok;
}

static double get_d(JsonObject *o, const char *name) {
  if (!json_object_has_member(o, name))
    return NAN;
  JsonNode *n = json_object_get_member(o, name);
  return JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : NAN;
}

static const char *get_s(JsonObject *o, const char *name) {
  JsonNode *n = json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

gboolean plorg_cell_read(PlorgCell *c, const char *path, GError **error) {
  JsonParser *parser = json_parser_new();
  gboolean ok = json_parser_load_from_file(parser, path, error);
  JsonNode *root = ok ? json_parser_get_root(parser) : NULL;
  if (ok && (!root || !JSON_NODE_HOLDS_OBJECT(root))) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a sweep cell", path);
    ok = FALSE;
  }
  if (ok) {
    JsonObject *o = json_node_get_object(root);
    const char *task = get_s(o, "task"), *solver = get_s(o, "solver");
    ok = task && solver && pl_task_from_name(task, &c->task) &&
         pl_solver_from_name(solver, &c->solver);
    if (!ok) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: bad task or solver", path);
    } else {
      c->image = g_strdup(get_s(o, "image"));
      c->image_path = g_strdup(get_s(o, "image_path"));
      c->plorg = json_object_has_member(o, "plorg") && json_object_get_boolean_member(o, "plorg");
      c->omega = get_d(o, "omega");
      c->resample_svd = g_strdup(get_s(o, "plorg_resample_svd"));
      c->steps = (int)get_d(o, "steps");
      c->batch = (int)get_d(o, "batch");
      c->config_hash = g_strdup(get_s(o, "config_hash"));
      c->state = g_strdup(get_s(o, "state"));
      c->psnr = get_d(o, "psnr");
      c->ssim = get_d(o, "ssim");
      c->residual = get_d(o, "residual");
      c->psnr_oracle = get_d(o, "psnr_oracle");
      c->lpips = get_d(o, "lpips");   /* NaN in cells from before LPIPS, or without a net */
      c->lpips_net = g_strdup(get_s(o, "lpips_net"));
      c->lpips_source = g_strdup(get_s(o, "lpips_source"));
      c->elapsed_s = get_d(o, "elapsed_s");
      c->psnr_pasted = get_d(o, "psnr_pasted");  /* NaN: not inpainting, or an older cell */
      c->ssim_pasted = get_d(o, "ssim_pasted");
      c->lpips_pasted = get_d(o, "lpips_pasted");
      /* cells from before the fidelity options ran the engine's former choices */
      const char *ts = get_s(o, "timesteps"), *gl = get_s(o, "glue_transpose");
      const char *mn = get_s(o, "meas_noise"), *nu = get_s(o, "noise_units");
      c->timesteps = PL_TIMESTEPS_ZERO;
      c->glue_transpose = PL_GLUE_ADJOINT;
      c->meas_noise = PL_MEAS_CLEAN;
      c->noise_units = PL_NOISE_UNITS_MODEL;
      if (ts) pl_timestep_rule_from_name(ts, &c->timesteps);
      if (gl) pl_glue_transpose_from_name(gl, &c->glue_transpose);
      if (mn) pl_meas_noise_from_name(mn, &c->meas_noise);
      if (nu) pl_noise_units_from_name(nu, &c->noise_units);
      c->done = TRUE;
    }
  }
  g_object_unref(parser);
  return ok;
}
