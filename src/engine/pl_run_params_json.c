/* Run parameters and degradation parameters as JSON (run records, PNG text chunks).
 * Reading starts from the solver's and task's defaults, so records written before a
 * field existed still load. */
#include "pl_json_util.h"
#include "pl_run_record.h"
#include <string.h>

static void build_plorg(JsonBuilder *b, const PlPlorgParams *g) {
  json_builder_set_member_name(b, "plorg");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "enabled");
  json_builder_add_boolean_value(b, g->enabled);
  pl_json_add_double(b, "tau", g->proj.tau);
  json_builder_set_member_name(b, "rank_rule");
  json_builder_add_string_value(b, pl_rank_rule_name(g->proj.rule));
  json_builder_set_member_name(b, "side");
  json_builder_add_string_value(b, pl_projection_side_name(g->proj.side));
  json_builder_set_member_name(b, "every");
  json_builder_add_int_value(b, g->every);
  json_builder_set_member_name(b, "resample_svd");
  json_builder_add_string_value(b, pl_resample_svd_name(g->resample_svd));
  json_builder_end_object(b);
}

static void add_int(JsonBuilder *b, const char *name, gint64 v) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

static void build_resample(JsonBuilder *b, const PlResampleParams *r) {
  json_builder_set_member_name(b, "resample");
  json_builder_begin_object(b);
  add_int(b, "event_every", r->event_every);
  add_int(b, "window_start", r->window_start);
  add_int(b, "window_end", r->window_end);
  add_int(b, "pixel_events", r->pixel_events);
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
  json_builder_end_object(b);
}

static void build_operator(JsonBuilder *b, const PlOperatorParams *op) {
  json_builder_set_member_name(b, "operator");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "task");
  json_builder_add_string_value(b, pl_task_name(op->task));
  add_int(b, "size", op->size);
  add_int(b, "box_h", op->box_h);
  add_int(b, "box_w", op->box_w);
  add_int(b, "box_y", op->box_y);
  add_int(b, "box_x", op->box_x);
  add_int(b, "margin", op->margin);
  pl_json_add_double(b, "missing_fraction", op->missing_fraction);
  add_int(b, "kernel_size", op->kernel_size);
  pl_json_add_double(b, "blur_sigma", op->blur_sigma);
  pl_json_add_double(b, "motion_intensity", op->motion_intensity);
  add_int(b, "sr_factor", op->sr_factor);
  add_int(b, "pr_pad", op->pr_pad);
  pl_json_add_double(b, "noise_sigma", op->noise_sigma);
  json_builder_set_member_name(b, "noise_units");
  json_builder_add_string_value(b, pl_noise_units_name(op->noise_units));
  pl_json_add_u64(b, "seed", op->seed);
  if (op->task == PL_TASK_INPAINT_MASK && op->mask) {
    char *s = pl_floats_to_b64(op->mask, (size_t)op->size * op->size);
    json_builder_set_member_name(b, "mask_f32le_b64");
    json_builder_add_string_value(b, s);
    g_free(s);
  }
  json_builder_end_object(b);
}

void pl_json_build_params(JsonBuilder *b, const PlRunParams *p, const PlOperatorParams *op) {
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "solver");
  json_builder_add_string_value(b, pl_solver_name(p->solver));
  add_int(b, "steps", p->steps);
  pl_json_add_double(b, "eta", p->eta);
  pl_json_add_u64(b, "seed", p->seed);
  add_int(b, "batch", p->batch);
  pl_json_add_double(b, "omega", p->omega);
  pl_json_add_double(b, "gamma", p->gamma);
  json_builder_set_member_name(b, "norm");
  json_builder_add_string_value(b, pl_norm_name(p->norm));
  json_builder_set_member_name(b, "timesteps");
  json_builder_add_string_value(b, pl_timestep_rule_name(p->timesteps));
  json_builder_set_member_name(b, "glue_transpose");
  json_builder_add_string_value(b, pl_glue_transpose_name(p->glue_transpose));
  json_builder_set_member_name(b, "meas_noise");
  json_builder_add_string_value(b, pl_meas_noise_name(p->meas_noise));
  build_plorg(b, &p->plorg);
  build_resample(b, &p->resample);
  add_int(b, "preview_every", p->preview_every);
  add_int(b, "keep_every", p->keep_every);
  pl_json_add_double(b, "divergence_limit", p->divergence_limit);
  add_int(b, "start_step", p->start_step);
  if (op)
    build_operator(b, op);
  json_builder_end_object(b);
}

static gboolean bad(GError **error, const char *what, const char *value) {
  g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "run parameters: unknown %s \"%s\"",
              what, value ? value : "(missing)");
  return FALSE;
}

static gboolean read_plorg(JsonObject *o, PlPlorgParams *g, GError **error) {
  if (!o)
    return TRUE;
  g->enabled = pl_json_bool(o, "enabled", g->enabled);
  g->proj.tau = pl_json_double(o, "tau", g->proj.tau);
  const char *rule = pl_json_string(o, "rank_rule"), *side = pl_json_string(o, "side");
  if (rule && !pl_rank_rule_from_name(rule, &g->proj.rule))
    return bad(error, "rank rule", rule);
  if (side && !pl_projection_side_from_name(side, &g->proj.side))
    return bad(error, "projection side", side);
  g->every = (int)pl_json_int(o, "every", g->every);
  const char *svd = pl_json_string(o, "resample_svd");
  if (svd && !pl_resample_svd_from_name(svd, &g->resample_svd))
    return bad(error, "ReSample SVD placement (paper or diffstategrad)", svd);
  return TRUE;
}

static void read_resample(JsonObject *o, PlResampleParams *r) {
  if (!o)
    return;
  r->event_every = (int)pl_json_int(o, "event_every", r->event_every);
  r->window_start = (int)pl_json_int(o, "window_start", r->window_start);
  r->window_end = (int)pl_json_int(o, "window_end", r->window_end);
  r->pixel_events = (int)pl_json_int(o, "pixel_events", r->pixel_events);
  r->time_travel = (int)pl_json_int(o, "time_travel", r->time_travel);
  r->pixel_max_iters = (int)pl_json_int(o, "pixel_max_iters", r->pixel_max_iters);
  r->pixel_lr = pl_json_double(o, "pixel_lr", r->pixel_lr);
  r->latent_max_iters = (int)pl_json_int(o, "latent_max_iters", r->latent_max_iters);
  r->latent_lr = pl_json_double(o, "latent_lr", r->latent_lr);
  r->stop_loss = pl_json_double(o, "stop_loss", r->stop_loss);
  r->gamma = pl_json_double(o, "gamma", r->gamma);
  r->weight_decay = pl_json_double(o, "weight_decay", r->weight_decay);
  r->final_opt = pl_json_bool(o, "final_opt", r->final_opt);
  r->loss_window = (int)pl_json_int(o, "loss_window", r->loss_window);
}

static gboolean read_operator(JsonObject *o, PlOperatorParams *op, float **mask_out,
                              GError **error) {
  const char *task = pl_json_string(o, "task");
  PlTask t;
  if (!task || !pl_task_from_name(task, &t))
    return bad(error, "task", task);
  int size = (int)pl_json_int(o, "size", 0);
  pl_operator_params_init(op, t, size);
  op->box_h = (int)pl_json_int(o, "box_h", op->box_h);
  op->box_w = (int)pl_json_int(o, "box_w", op->box_w);
  op->box_y = (int)pl_json_int(o, "box_y", op->box_y);
  op->box_x = (int)pl_json_int(o, "box_x", op->box_x);
  op->margin = (int)pl_json_int(o, "margin", op->margin);
  op->missing_fraction = pl_json_double(o, "missing_fraction", op->missing_fraction);
  op->kernel_size = (int)pl_json_int(o, "kernel_size", op->kernel_size);
  op->blur_sigma = pl_json_double(o, "blur_sigma", op->blur_sigma);
  op->motion_intensity = pl_json_double(o, "motion_intensity", op->motion_intensity);
  op->sr_factor = (int)pl_json_int(o, "sr_factor", op->sr_factor);
  op->pr_pad = (int)pl_json_int(o, "pr_pad", op->pr_pad);
  op->noise_sigma = pl_json_double(o, "noise_sigma", op->noise_sigma);
  const char *units = pl_json_string(o, "noise_units");
  if (units && !pl_noise_units_from_name(units, &op->noise_units))
    return bad(error, "noise units (model or unit)", units);
  op->seed = pl_json_u64(o, "seed", op->seed);
  op->mask = NULL;
  const char *m = pl_json_string(o, "mask_f32le_b64");
  if (m && mask_out) {
    size_t n = 0;
    *mask_out = pl_floats_from_b64(m, &n);
    if (n != (size_t)size * size) {
      g_clear_pointer(mask_out, g_free);
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                  "run parameters: the mask has %zu values, not %d", n, size * size);
      return FALSE;
    }
    op->mask = *mask_out;
  }
  return TRUE;
}

gboolean pl_json_read_params(JsonObject *o, PlRunParams *p, PlOperatorParams *op,
                             float **mask_out, GError **error) {
  const char *solver = pl_json_string(o, "solver");
  PlSolver s;
  if (!solver || !pl_solver_from_name(solver, &s))
    return bad(error, "solver", solver);
  pl_run_params_init(p, s);
  p->steps = (int)pl_json_int(o, "steps", p->steps);
  p->eta = pl_json_double(o, "eta", p->eta);
  p->seed = pl_json_u64(o, "seed", p->seed);
  p->batch = (int)pl_json_int(o, "batch", p->batch);
  p->omega = pl_json_double(o, "omega", p->omega);
  p->gamma = pl_json_double(o, "gamma", p->gamma);
  const char *norm = pl_json_string(o, "norm");
  if (norm && !pl_norm_from_name(norm, &p->norm))
    return bad(error, "norm", norm);
  const char *ts = pl_json_string(o, "timesteps"), *glue = pl_json_string(o, "glue_transpose");
  const char *mn = pl_json_string(o, "meas_noise");
  if (ts && !pl_timestep_rule_from_name(ts, &p->timesteps))
    return bad(error, "timestep rule (ldm or zero)", ts);
  if (glue && !pl_glue_transpose_from_name(glue, &p->glue_transpose))
    return bad(error, "gluing transpose (official or adjoint)", glue);
  if (mn && !pl_meas_noise_from_name(mn, &p->meas_noise))
    return bad(error, "measurement-term noise (noised or clean)", mn);
  if (!read_plorg(pl_json_object(o, "plorg"), &p->plorg, error))
    return FALSE;
  read_resample(pl_json_object(o, "resample"), &p->resample);
  p->preview_every = (int)pl_json_int(o, "preview_every", p->preview_every);
  p->keep_every = (int)pl_json_int(o, "keep_every", p->keep_every);
  p->divergence_limit = pl_json_double(o, "divergence_limit", p->divergence_limit);
  p->start_step = (int)pl_json_int(o, "start_step", p->start_step);
  JsonObject *oo = pl_json_object(o, "operator");
  if (op && oo)
    return read_operator(oo, op, mask_out, error);
  if (op && !oo) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "run parameters: no \"operator\" (degradation) object");
    return FALSE;
  }
  return TRUE;
}

char *pl_run_params_to_json(const PlRunParams *p, const PlOperatorParams *op) {
  JsonBuilder *b = json_builder_new();
  pl_json_build_params(b, p, op);
  JsonNode *root = json_builder_get_root(b);
  char *s = json_to_string(root, FALSE);
  json_node_unref(root);
  g_object_unref(b);
  return s;
}

gboolean pl_run_params_from_json(const char *json, PlRunParams *p, PlOperatorParams *op,
                                 GError **error) {
  JsonParser *parser = json_parser_new();
  gboolean ok = FALSE;
  GError *e = NULL;
  if (!json_parser_load_from_data(parser, json, -1, &e)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "run parameters: %s", e->message);
    g_error_free(e);
  } else {
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                  "run parameters: not a JSON object");
    else
      ok = pl_json_read_params(json_node_get_object(root), p, op, NULL, error);
  }
  g_object_unref(parser);
  return ok;
}
