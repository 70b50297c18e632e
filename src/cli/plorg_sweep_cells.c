/* Sweep cells: keys, result files (one small JSON per cell, written atomically). */
#include "plorg_sweep.h"
#include <json-glib/json-glib.h>
#include "pl_json_guard.h"
#include "pl_json_util.h"
#include "pl_json_write.h"
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

/* Exact and injective: the image's file name with its extension (face.png and face.jpg
 * are two inputs), omega as the shortest decimal that reads back as the same double
 * (%g made 0.1234567 and 0.1234568 one cell), and every other byte
 * escaped as _XX (safe bytes: [A-Za-z0-9.+-]), so "__" only ever separates fields. */
static void put_escaped(GString *s, const char *v) {
  for (const unsigned char *q = (const unsigned char *)v; *q; q++) {
    if (g_ascii_isalnum(*q) || *q == '.' || *q == '-' || *q == '+')
      g_string_append_c(s, (char)*q);
    else
      g_string_append_printf(s, "_%02x", *q);
  }
}

char *plorg_cell_omega_text(double omega) {
  char buf[PL_JSON_DOUBLE_BUF];
  pl_json_format_double(omega, buf);
  size_t n = strlen(buf);
  if (n > 2 && !strcmp(buf + n - 2, ".0")) /* 1.0 -> 1: still exact, and as before */
    buf[n - 2] = '\0';
  return g_strdup(buf);
}

char *plorg_cell_key(const PlorgCell *c) {
  GString *s = g_string_new(NULL);
  char *base = c->image_path ? g_path_get_basename(c->image_path) : g_strdup(c->image ? c->image : "");
  char *w = plorg_cell_omega_text(c->omega);
  put_escaped(s, base);
  g_string_append_printf(s, "__%s__%s__%s__w", pl_task_name(c->task), pl_solver_name(c->solver),
                         c->plorg ? "plorg" : "base");
  put_escaped(s, w);
  /* only non-defaults, so default cells keep their names */
  if (c->timesteps != PL_TIMESTEPS_LDM)
    g_string_append_printf(s, "__ts-%s", pl_timestep_rule_name(c->timesteps));
  if (c->glue_transpose != PL_GLUE_OFFICIAL)
    g_string_append_printf(s, "__glue-%s", pl_glue_transpose_name(c->glue_transpose));
  if (c->meas_noise != PL_MEAS_NOISED)
    g_string_append_printf(s, "__meas-%s", pl_meas_noise_name(c->meas_noise));
  if (c->noise_units != PL_NOISE_UNITS_MODEL)
    g_string_append_printf(s, "__noise-%s", pl_noise_units_name(c->noise_units));
  g_free(base);
  g_free(w);
  return g_string_free(s, FALSE);
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
  gboolean ok = pl_json_write_file(root, path, error); /* exact numbers, atomically */
  g_free(method);
  json_node_unref(root);
  g_object_unref(b);
  return ok;
}

static const char *get_s(JsonObject *o, const char *name) {
  JsonNode *n = json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

/* Size and depth are checked before parsing (pl_json_guard.h), numbers as read: a
 * hostile cell is an error naming the field, never a crash or a huge int. */
gboolean plorg_cell_read(PlorgCell *c, const char *path, GError **error) {
  JsonParser *parser = pl_json_parse_file(path, &pl_json_limits_cell, error);
  if (!parser)
    return FALSE;
  JsonNode *root = json_parser_get_root(parser);
  gboolean ok = JSON_NODE_HOLDS_OBJECT(root);
  if (!ok)
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a sweep cell", path);
  if (ok) {
    JsonObject *o = json_node_get_object(root);
    const char *task = get_s(o, "task"), *solver = get_s(o, "solver");
    ok = task && solver && pl_task_from_name(task, &c->task) &&
         pl_solver_from_name(solver, &c->solver);
    if (!ok)
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: bad task or solver", path);
  }
  if (ok) {
    JsonObject *o = json_node_get_object(root);
    PlJsonReader jr = {"", NULL};
    c->omega = c->psnr = c->ssim = c->residual = c->psnr_oracle = c->lpips = c->elapsed_s = NAN;
    c->psnr_pasted = c->ssim_pasted = c->lpips_pasted = NAN; /* NaN: not inpainting, or older */
    pl_jr_bool(&jr, o, "plorg", &c->plorg);
    pl_jr_double(&jr, o, "omega", &c->omega);
    pl_jr_int(&jr, o, "steps", &c->steps, 0, PL_RUN_MAX_STEPS);
    pl_jr_int(&jr, o, "batch", &c->batch, 0, PL_RUN_MAX_BATCH);
    pl_jr_double(&jr, o, "psnr", &c->psnr);
    pl_jr_double(&jr, o, "ssim", &c->ssim);
    pl_jr_double(&jr, o, "residual", &c->residual);
    pl_jr_double(&jr, o, "psnr_oracle", &c->psnr_oracle);
    pl_jr_double(&jr, o, "lpips", &c->lpips); /* NaN in cells from before LPIPS, or without a net */
    pl_jr_double(&jr, o, "elapsed_s", &c->elapsed_s);
    pl_jr_double(&jr, o, "psnr_pasted", &c->psnr_pasted);
    pl_jr_double(&jr, o, "ssim_pasted", &c->ssim_pasted);
    pl_jr_double(&jr, o, "lpips_pasted", &c->lpips_pasted);
    GError *e = NULL;
    if (!pl_jr_finish(&jr, NULL, &e)) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path, e->message);
      g_error_free(e);
      ok = FALSE;
    }
  }
  if (ok) {
    JsonObject *o = json_node_get_object(root);
    /* cells from before the fidelity options ran the engine's former choices */
    const char *ts = get_s(o, "timesteps"), *gl = get_s(o, "glue_transpose");
    const char *mn = get_s(o, "meas_noise"), *nu = get_s(o, "noise_units");
    c->timesteps = PL_TIMESTEPS_ZERO;
    c->glue_transpose = PL_GLUE_ADJOINT;
    c->meas_noise = PL_MEAS_CLEAN;
    c->noise_units = PL_NOISE_UNITS_MODEL;
    ok = (!ts || pl_timestep_rule_from_name(ts, &c->timesteps)) &&
         (!gl || pl_glue_transpose_from_name(gl, &c->glue_transpose)) &&
         (!mn || pl_meas_noise_from_name(mn, &c->meas_noise)) &&
         (!nu || pl_noise_units_from_name(nu, &c->noise_units));
    if (!ok)
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: unknown fidelity choice", path);
  }
  if (ok) {
    JsonObject *o = json_node_get_object(root);
    c->image = g_strdup(get_s(o, "image"));
    c->image_path = g_strdup(get_s(o, "image_path"));
    c->config_hash = g_strdup(get_s(o, "config_hash"));
    c->state = g_strdup(get_s(o, "state"));
    c->lpips_net = g_strdup(get_s(o, "lpips_net"));
    c->lpips_source = g_strdup(get_s(o, "lpips_source"));
    c->resample_svd = g_strdup(get_s(o, "plorg_resample_svd"));
    c->done = TRUE;
  }
  g_object_unref(parser);
  return ok;
}
