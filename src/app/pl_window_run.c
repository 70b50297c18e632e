/* PlWindow: run control. Single runs show in the live view; compare runs in the compare
 * view; pause/resume/step/cancel and live parameter changes apply to every active run. */
#include "pl_window_private.h"
#include <stdio.h>

#define MEASURE_PRESET "builtin:box-plorg-psld"

static PlApplication *app_of(PlWindow *self) {
  return PL_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
}

char *pl_window_run_label(const PlRunParams *rp) {
  return g_strdup_printf("%s%s", rp->plorg.enabled ? "PLoRG-" : "", pl_solver_label(rp->solver));
}

GPtrArray *pl_window_active_controllers(PlWindow *self) {
  GPtrArray *out = g_ptr_array_new();
  if (self->current && pl_run_controller_is_active(self->current))
    g_ptr_array_add(out, self->current);
  for (guint i = 0; i < pl_compare_view_get_n_runs(self->compare_view); i++) {
    PlRunController *c = pl_compare_view_get_controller(self->compare_view, i);
    if (pl_run_controller_is_active(c))
      g_ptr_array_add(out, c);
  }
  return out;
}

static void enable(PlWindow *self, const char *name, gboolean on) {
  GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), name);
  if (a)
    g_simple_action_set_enabled(G_SIMPLE_ACTION(a), on);
}

void pl_window_update_actions(PlWindow *self) {
  if (!self->live_view)
    return;  /* disposed */
  g_autoptr(GPtrArray) active = pl_window_active_controllers(self);
  gboolean any_paused = FALSE, any_running = FALSE;
  for (guint i = 0; i < active->len; i++) {
    if (pl_run_controller_is_paused(active->pdata[i]))
      any_paused = TRUE;
    else
      any_running = TRUE;
  }
  /* Runs make their own y: a measurement preview still being redrawn need not block them. */
  PlApplication *app = app_of(self);
  gboolean ready = app && pl_application_get_model(app) && !pl_application_is_loading(app) &&
                   pl_image_panel_get_image(self->image_panel) &&
                   !pl_image_panel_is_loading(self->image_panel);
  gboolean compare_runs = pl_compare_view_get_n_runs(self->compare_view) > 0;
  gboolean has_run = self->current != NULL;
  gboolean current_idle = has_run && !pl_run_controller_is_active(self->current);
  gboolean history = has_run && pl_run_history_count(pl_run_controller_get_run(self->current)) > 0;
  enable(self, "run", ready);
  enable(self, "compare", ready);
  enable(self, "compare-add", ready && compare_runs);
  enable(self, "pause", any_running);
  enable(self, "resume", any_paused);
  enable(self, "toggle-pause", active->len > 0);
  enable(self, "step", active->len > 0);
  enable(self, "cancel", active->len > 0);
  enable(self, "branch", history && (current_idle || pl_run_controller_is_paused(self->current)));
  enable(self, "scrub", history);
  enable(self, "export-record", has_run || compare_runs);
  enable(self, "export-figure", has_run || compare_runs);
  enable(self, "export-strip", history);
  enable(self, "export-frames", history);
  gtk_widget_set_visible(self->pause_button, !any_paused);
  gtk_widget_set_visible(self->resume_button, any_paused);
  pl_live_view_refresh_state(self->live_view);
}

static void stop_meter_if_idle(PlWindow *self) {
  g_autoptr(GPtrArray) active = pl_window_active_controllers(self);
  if (active->len == 0 && pl_stall_meter_is_running(self->meter))
    pl_stall_meter_stop(self->meter);
}

static void print_measurement(PlWindow *self, PlRunController *ctl) {
  g_autofree char *summary = pl_stall_meter_summary(self->meter);
  guint flushes = 0, steps = 0;
  pl_run_controller_get_flush_stats(ctl, &flushes, &steps);
  const PlStepPoint *last = pl_run_controller_get_last_point(ctl);
  printf("measure: %d steps on %s, %.1f ms per step (last)\n", steps,
         pl_model_device(pl_application_get_model(app_of(self))), last ? last->ms_total : 0.0);
  printf("measure: %s\n", summary);
  printf("measure: %u idle updates delivered %u steps (coalescing)\n", flushes, steps);
  fflush(stdout);
}

static void on_run_finished(PlRunController *ctl, int state, PlWindow *self) {
  const GError *error = pl_run_controller_get_error(ctl);
  if (state == PL_RUN_DIVERGED || state == PL_RUN_FAILED) {
    PlRun *run = pl_run_controller_get_run(ctl);
    g_autofree char *msg = g_strdup_printf(
        "%s %s after %d steps: %s%s", pl_run_controller_get_label(ctl),
        state == PL_RUN_DIVERGED ? "diverged" : "failed", pl_run_current_step(run),
        error ? error->message : "no details",
        state == PL_RUN_DIVERGED ? ". The last good step is kept; lower the step size or turn PLoRG on." : "");
    pl_window_show_error(self, msg);
  }
  stop_meter_if_idle(self);
  pl_window_update_actions(self);
  if (self->measure_steps > 0 && ctl == self->current) {
    print_measurement(self, ctl);
    self->measure_steps = 0;
    g_application_quit(G_APPLICATION(app_of(self)));
  }
}

static PlRunController *make_controller(PlWindow *self, PlRun *run, const char *label) {
  PlRunController *ctl = pl_run_controller_new(run, label);
  pl_run_controller_set_preview_every(ctl, pl_solver_panel_get_preview_every(self->solver_panel));
  g_signal_connect_object(ctl, "finished", G_CALLBACK(on_run_finished), self, 0);
  return ctl;
}

/* previews are driven by the controller (so N can change live): the run makes none */
static PlRun *new_run(PlWindow *self, const PlRunParams *rp_in, const PlOperatorParams *op,
                      const float *y, GError **error) {
  PlRunParams rp = *rp_in;
  rp.preview_every = 0;
  PlRunInputs in = {0};
  in.op = *op;
  in.clean = pl_image_panel_get_image(self->image_panel);
  in.y = y;
  in.image_path = pl_image_panel_get_path(self->image_panel);
  return pl_run_new(pl_application_get_model(app_of(self)), &in, &rp, error);
}

static gboolean check_ready(PlWindow *self) {
  PlApplication *app = app_of(self);
  if (pl_application_get_model(app) && !pl_application_is_loading(app) &&
      pl_image_panel_get_image(self->image_panel) && !pl_image_panel_is_loading(self->image_panel))
    return TRUE;
  pl_window_show_error(self, !pl_application_get_model(app) ? "No model is loaded: load one first"
                             : !pl_image_panel_get_image(self->image_panel)
                                 ? "No image: open one or pick a sample"
                                 : "Still preparing the image or measurement; try again in a moment");
  return FALSE;
}

static void start_meter(PlWindow *self) {
  if (!pl_stall_meter_is_running(self->meter))
    pl_stall_meter_start(self->meter);
}

static void show_single(PlWindow *self, PlRunController *ctl) {
  g_set_object(&self->current, ctl);
  pl_live_view_set_controller(self->live_view, ctl);
  gtk_stack_set_visible_child_name(self->main_stack, "single");
}

void pl_window_stop_all(PlWindow *self) {
  if (self->current)
    pl_run_controller_shutdown(self->current);
  for (guint i = 0; self->compare_view && i < pl_compare_view_get_n_runs(self->compare_view); i++)
    pl_run_controller_shutdown(pl_compare_view_get_controller(self->compare_view, i));
}

static void act_run(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  PlWindow *self = data;
  if (!check_ready(self))
    return;
  if (self->current)
    pl_run_controller_cancel(self->current);
  PlRunParams rp;
  PlOperatorParams op;
  pl_window_get_settings(self, &rp, &op);
  GError *error = NULL;
  g_autoptr(PlRun) run = new_run(self, &rp, &op, NULL, &error);
  if (!run) {
    g_autofree char *msg = g_strdup_printf("Cannot start the run: %s", error->message);
    pl_window_show_error(self, msg);
    g_error_free(error);
    return;
  }
  g_autofree char *label = pl_window_run_label(&rp);
  g_autoptr(PlRunController) ctl = make_controller(self, run, label);
  show_single(self, ctl);
  start_meter(self);
  pl_run_controller_start(ctl);
  pl_window_dismiss_error(self);
  pl_window_update_actions(self);
}

static void for_active(PlWindow *self, void (*fn)(PlRunController *)) {
  g_autoptr(GPtrArray) active = pl_window_active_controllers(self);
  for (guint i = 0; i < active->len; i++)
    fn(active->pdata[i]);
  pl_window_update_actions(self);
}

static void act_pause(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  for_active(data, pl_run_controller_pause);
}

static void act_resume(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  for_active(data, pl_run_controller_resume);
}

static void act_toggle_pause(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  PlWindow *self = data;
  g_autoptr(GPtrArray) active = pl_window_active_controllers(self);
  gboolean any_running = FALSE;
  for (guint i = 0; i < active->len; i++)
    any_running |= !pl_run_controller_is_paused(active->pdata[i]);
  for_active(self, any_running ? pl_run_controller_pause : pl_run_controller_resume);
}

static void act_step(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  for_active(data, pl_run_controller_step_once);
}

static void act_cancel(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  for_active(data, pl_run_controller_cancel);
}

void pl_window_forward_live(PlWindow *self, const char *name, double value) {
  g_autoptr(GPtrArray) active = pl_window_active_controllers(self);
  for (guint i = 0; i < active->len; i++) {
    PlRunController *c = active->pdata[i];
    /* In a comparison PLoRG on/off is what differs between the runs: keep it. */
    if (g_str_equal(name, "plorg") && c != self->current)
      continue;
    pl_run_controller_set_param(c, name, value);
  }
}

void pl_window_forward_preview_every(PlWindow *self, int n) {
  if (self->current)
    pl_run_controller_set_preview_every(self->current, n);
  for (guint i = 0; i < pl_compare_view_get_n_runs(self->compare_view); i++)
    pl_run_controller_set_preview_every(pl_compare_view_get_controller(self->compare_view, i), n);
}

/* --- compare --- */

static PlRunController *compare_run(PlWindow *self, const PlRunParams *rp,
                                    const PlOperatorParams *op, const float *y, GError **error) {
  g_autoptr(PlRun) run = new_run(self, rp, op, y, error);
  if (!run)
    return NULL;
  g_autofree char *label = pl_window_run_label(rp);
  return make_controller(self, run, label);
}

void pl_window_start_compare(PlWindow *self) {
  if (!check_ready(self))
    return;
  if (self->current)
    pl_run_controller_cancel(self->current);
  PlRunParams rp, on;
  PlOperatorParams op;
  pl_window_get_settings(self, &rp, &op);
  rp.plorg.enabled = FALSE;
  on = rp;
  on.plorg.enabled = TRUE;
  GError *error = NULL;
  g_autoptr(PlRunController) a = compare_run(self, &rp, &op, NULL, &error);
  /* The second run gets the first one's y: same measurement by construction; the same
   * seed gives the same initial noise. */
  g_autoptr(PlRunController) b =
      a ? compare_run(self, &on, &op, pl_run_measurement(pl_run_controller_get_run(a)), &error) : NULL;
  if (!b) {
    g_autofree char *msg = g_strdup_printf("Cannot start the comparison: %s", error->message);
    pl_window_show_error(self, msg);
    g_error_free(error);
    return;
  }
  g_autoptr(PlImage) y_img = pl_run_measurement_preview(pl_run_controller_get_run(a));
  g_autofree char *title = g_strdup_printf(
      "%s · step size %.3g · τ %.3g · seed %" G_GUINT64_FORMAT " · same noise and y",
      pl_task_label(op.task), rp.omega, rp.plorg.proj.tau, rp.seed);
  pl_compare_view_reset(self->compare_view, pl_image_panel_get_image(self->image_panel), y_img, title);
  pl_compare_view_add_run(self->compare_view, a);
  pl_compare_view_add_run(self->compare_view, b);
  gtk_stack_set_visible_child_name(self->main_stack, "compare");
  start_meter(self);
  pl_run_controller_start(a);
  pl_run_controller_start(b);
  pl_window_dismiss_error(self);
  pl_window_update_actions(self);
}

static void act_compare(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  pl_window_start_compare(data);
}

static void act_compare_add(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  PlWindow *self = data;
  PlRunController *first = pl_compare_view_get_controller(self->compare_view, 0);
  if (!first || !check_ready(self))
    return;
  PlRun *run0 = pl_run_controller_get_run(first);
  PlRunParams rp;
  PlOperatorParams op;
  pl_window_get_settings(self, &rp, &op);
  rp.seed = pl_run_params(run0)->seed;   /* same initial noise */
  GError *error = NULL;
  g_autoptr(PlRunController) ctl = compare_run(self, &rp, &pl_run_inputs(run0)->op,
                                               pl_run_measurement(run0), &error);
  if (!ctl) {
    g_autofree char *msg = g_strdup_printf("Cannot add the run: %s", error->message);
    pl_window_show_error(self, msg);
    g_error_free(error);
    return;
  }
  pl_compare_view_add_run(self->compare_view, ctl);
  start_meter(self);
  pl_run_controller_start(ctl);
  pl_window_update_actions(self);
}

/* --- timeline --- */

static void act_branch(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  PlWindow *self = data;
  if (!self->current)
    return;
  PlRun *parent = pl_run_controller_get_run(self->current);
  int step = pl_live_view_get_scrub_step(self->live_view);
  if (step < 0)
    step = MAX(0, pl_run_current_step(parent) - 1);
  PlRunParams rp;
  PlOperatorParams op;
  pl_window_get_settings(self, &rp, &op);
  rp.steps = pl_run_params(parent)->steps;   /* a branch keeps the parent's schedule */
  rp.preview_every = 0;
  GError *error = NULL;
  g_autoptr(PlRun) run = pl_run_new_branch(parent, step, &rp, &error);
  if (!run) {
    g_autofree char *msg = g_strdup_printf("Cannot branch: %s", error->message);
    pl_window_show_error(self, msg);
    g_error_free(error);
    return;
  }
  pl_run_controller_cancel(self->current);   /* a paused parent is done with */
  g_autofree char *base = pl_window_run_label(&rp);
  g_autofree char *label = g_strdup_printf("%s, branch at step %d", base, pl_run_params(run)->start_step);
  g_autoptr(PlRunController) ctl = make_controller(self, run, label);
  show_single(self, ctl);
  start_meter(self);
  pl_run_controller_start(ctl);
  pl_window_update_actions(self);
}

static void act_scrub(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  PlWindow *self = data;
  if (!pl_live_view_scrub_to(self->live_view, g_variant_get_int32(p)))
    pl_window_show_error(self, "Scrubbing needs a paused or finished run");
  pl_window_update_actions(self);
}

/* --- --measure --- */

static gboolean measure_tick(gpointer data) {
  PlWindow *self = data;
  if (!pl_window_is_ready(self))
    return G_SOURCE_CONTINUE;
  if (!g_object_get_data(G_OBJECT(self), "measure-preset")) {
    g_object_set_data(G_OBJECT(self), "measure-preset", GINT_TO_POINTER(1));
    pl_window_apply_preset(self, MEASURE_PRESET);
    return G_SOURCE_CONTINUE;   /* the measurement is recomputed first */
  }
  PlRunParams rp;
  PlOperatorParams op;
  pl_window_get_settings(self, &rp, &op);
  rp.steps = self->measure_steps;
  rp.preview_every = 1;
  pl_solver_panel_set_params(self->solver_panel, &rp);
  self->measure_id = 0;
  g_action_group_activate_action(G_ACTION_GROUP(self), "run", NULL);
  return G_SOURCE_REMOVE;
}

void pl_window_measure(PlWindow *self, int steps) {
  self->measure_steps = MAX(2, steps);
  g_clear_handle_id(&self->measure_id, g_source_remove);
  self->measure_id = g_timeout_add(100, measure_tick, self);
}

static const GActionEntry run_actions[] = {
    {"run", act_run, NULL, NULL, NULL, {0}},
    {"pause", act_pause, NULL, NULL, NULL, {0}},
    {"resume", act_resume, NULL, NULL, NULL, {0}},
    {"toggle-pause", act_toggle_pause, NULL, NULL, NULL, {0}},
    {"step", act_step, NULL, NULL, NULL, {0}},
    {"cancel", act_cancel, NULL, NULL, NULL, {0}},
    {"compare", act_compare, NULL, NULL, NULL, {0}},
    {"compare-add", act_compare_add, NULL, NULL, NULL, {0}},
    {"branch", act_branch, NULL, NULL, NULL, {0}},
    {"scrub", act_scrub, "i", NULL, NULL, {0}},
};

void pl_window_run_actions_init(PlWindow *self) {
  g_action_map_add_action_entries(G_ACTION_MAP(self), run_actions, G_N_ELEMENTS(run_actions), self);
}
