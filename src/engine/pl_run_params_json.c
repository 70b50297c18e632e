/* Run parameters and degradation parameters as JSON (run records, PNG text chunks).
 * Reading starts from the solver's and task's defaults, so records written before a
 * field existed still load. */
#include "pl_json_util.h"
#include "pl_run_record.h"
#include "pl_json_guard.h"
#include "pl_json_write.h"
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

/* Every number is range-checked as it is read (pl_jr_*): a hostile file cannot reach an
 * int conversion out of range; the semantic checks follow in pl_run_params_validate. */
#define STEPS_MAX PL_RUN_MAX_STEPS
#define ITERS_MAX PL_RUN_MAX_OPT_ITERS
#define SIDE_MAX PL_IMAGE_MAX_SIDE

static gboolean read_plorg(JsonObject *o, PlPlorgParams *g, GError **error) {
  if (!o)
    return TRUE;
  PlJsonReader jr = {"params.plorg", NULL};
  pl_jr_bool(&jr, o, "enabled", &g->enabled);
  pl_jr_double(&jr, o, "tau", &g->proj.tau);
  pl_jr_int(&jr, o, "every", &g->every, 1, ITERS_MAX);
  if (!pl_jr_finish(&jr, "run parameters: ", error))
    return FALSE;
  const char *rule = pl_json_string(o, "rank_rule"), *side = pl_json_string(o, "side");
  if (rule && !pl_rank_rule_from_name(rule, &g->proj.rule))
    return bad(error, "rank rule", rule);
  if (side && !pl_projection_side_from_name(side, &g->proj.side))
    return bad(error, "projection side", side);
  const char *svd = pl_json_string(o, "resample_svd");
  if (svd && !pl_resample_svd_from_name(svd, &g->resample_svd))
    return bad(error, "ReSample SVD placement (paper or diffstategrad)", svd);
  return TRUE;
}

static gboolean read_resample(JsonObject *o, PlResampleParams *r, GError **error) {
  if (!o)
    return TRUE;
  PlJsonReader jr = {"params.resample", NULL};
  pl_jr_int(&jr, o, "event_every", &r->event_every, 1, STEPS_MAX);
  pl_jr_int(&jr, o, "window_start", &r->window_start, -1, STEPS_MAX);
  pl_jr_int(&jr, o, "window_end", &r->window_end, -1, STEPS_MAX);
  pl_jr_int(&jr, o, "pixel_events", &r->pixel_events, -1, STEPS_MAX);
  pl_jr_int(&jr, o, "time_travel", &r->time_travel, 1, STEPS_MAX);
  pl_jr_int(&jr, o, "pixel_max_iters", &r->pixel_max_iters, 0, ITERS_MAX);
  pl_jr_double(&jr, o, "pixel_lr", &r->pixel_lr);
  pl_jr_int(&jr, o, "latent_max_iters", &r->latent_max_iters, 0, ITERS_MAX);
  pl_jr_double(&jr, o, "latent_lr", &r->latent_lr);
  pl_jr_double(&jr, o, "stop_loss", &r->stop_loss);
  pl_jr_double(&jr, o, "gamma", &r->gamma);
  pl_jr_double(&jr, o, "weight_decay", &r->weight_decay);
  pl_jr_bool(&jr, o, "final_opt", &r->final_opt);
  pl_jr_int(&jr, o, "loss_window", &r->loss_window, 1, ITERS_MAX);
  return pl_jr_finish(&jr, "run parameters: ", error);
}

static gboolean read_operator(JsonObject *o, PlOperatorParams *op, float **mask_out,
                              GError **error) {
  const char *task = pl_json_string(o, "task");
  PlTask t;
  if (!task || !pl_task_from_name(task, &t))
    return bad(error, "task", task);
  PlJsonReader jr = {"params.operator", NULL};
  int size = 0;
  pl_jr_int(&jr, o, "size", &size, 2, SIDE_MAX);
  if (!json_object_has_member(o, "size"))
    jr.error = g_error_new(PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                           "params.operator.size: missing (the image side in pixels)");
  if (!pl_jr_finish(&jr, "run parameters: ", error))
    return FALSE;
  pl_operator_params_init(op, t, size);
  pl_jr_int(&jr, o, "box_h", &op->box_h, 1, SIDE_MAX);
  pl_jr_int(&jr, o, "box_w", &op->box_w, 1, SIDE_MAX);
  pl_jr_int(&jr, o, "box_y", &op->box_y, -1, SIDE_MAX);
  pl_jr_int(&jr, o, "box_x", &op->box_x, -1, SIDE_MAX);
  pl_jr_int(&jr, o, "margin", &op->margin, 0, SIDE_MAX);
  pl_jr_double(&jr, o, "missing_fraction", &op->missing_fraction);
  pl_jr_int(&jr, o, "kernel_size", &op->kernel_size, 1, SIDE_MAX);
  pl_jr_double(&jr, o, "blur_sigma", &op->blur_sigma);
  pl_jr_double(&jr, o, "motion_intensity", &op->motion_intensity);
  pl_jr_int(&jr, o, "sr_factor", &op->sr_factor, 2, SIDE_MAX);
  pl_jr_int(&jr, o, "pr_pad", &op->pr_pad, 0, 2 * SIDE_MAX);
  pl_jr_double(&jr, o, "noise_sigma", &op->noise_sigma);
  pl_jr_u64(&jr, o, "seed", &op->seed);
  if (!pl_jr_finish(&jr, "run parameters: ", error))
    return FALSE;
  const char *units = pl_json_string(o, "noise_units");
  if (units && !pl_noise_units_from_name(units, &op->noise_units))
    return bad(error, "noise units (model or unit)", units);
  op->mask = NULL;
  const char *m = pl_json_string(o, "mask_f32le_b64");
  if (m && mask_out) {
    size_t n = 0;
    *mask_out = pl_floats_from_b64(m, &n);
    if (n != (size_t)size * size) {
      g_clear_pointer(mask_out, g_free);
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                  "run parameters: params.operator.mask_f32le_b64 has %zu values, not %d x %d",
                  n, size, size);
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
  PlJsonReader jr = {"params", NULL};
  pl_jr_int(&jr, o, "steps", &p->steps, 1, STEPS_MAX);
  pl_jr_double(&jr, o, "eta", &p->eta);
  pl_jr_u64(&jr, o, "seed", &p->seed);
  pl_jr_int(&jr, o, "batch", &p->batch, 1, PL_RUN_MAX_BATCH);
  pl_jr_double(&jr, o, "omega", &p->omega);
  pl_jr_double(&jr, o, "gamma", &p->gamma);
  pl_jr_int(&jr, o, "preview_every", &p->preview_every, 0, STEPS_MAX);
  pl_jr_int(&jr, o, "keep_every", &p->keep_every, 1, STEPS_MAX);
  pl_jr_double(&jr, o, "divergence_limit", &p->divergence_limit);
  pl_jr_int(&jr, o, "start_step", &p->start_step, 0, STEPS_MAX - 1);
  if (!pl_jr_finish(&jr, "run parameters: ", error))
    return FALSE;
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
  if (!read_resample(pl_json_object(o, "resample"), &p->resample, error))
    return FALSE;
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
  char *s = pl_json_to_string(root, FALSE, NULL);
  json_node_unref(root);
  g_object_unref(b);
  return s;
}

gboolean pl_run_params_from_json(const char *json, PlRunParams *p, PlOperatorParams *op,
                                 GError **error) {
  GError *e = NULL;
  JsonParser *parser = pl_json_parse_data(json, strlen(json), &pl_json_limits_settings, &e);
  if (!parser) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "run parameters: %s", e->message);
    g_error_free(e);
    return FALSE;
  }
  gboolean ok = FALSE;
  JsonNode *root = json_parser_get_root(parser);
  if (!JSON_NODE_HOLDS_OBJECT(root))
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "run parameters: not a JSON object");
  else
    ok = pl_json_read_params(json_node_get_object(root), p, op, NULL, error);
  g_object_unref(parser);
  return ok;
}
