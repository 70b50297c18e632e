/* Steering a run from any thread: observers, cancel, pause, resume, single step,
 * preview requests and parameter changes (applied at the next step, logged there). */
#include "pl_run_private.h"
#include <math.h>
#include <string.h>

void pl_run_add_observer(PlRun *run, PlStepCallback on_step, PlDoneCallback on_done,
                         gpointer user_data) {
  PlObserver o = {on_step, on_done, user_data};
  g_mutex_lock(&run->lock);
  g_array_append_val(run->observers, o);
  g_mutex_unlock(&run->lock);
}

void pl_run_cancel(PlRun *run) {
  g_atomic_int_set(&run->cancel, 1);
  g_mutex_lock(&run->lock);
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
}

void pl_run_pause(PlRun *run) {
  g_mutex_lock(&run->lock);
  run->pause_requested = TRUE;
  g_mutex_unlock(&run->lock);
}

void pl_run_resume(PlRun *run) {
  g_mutex_lock(&run->lock);
  run->pause_requested = FALSE;
  run->step_grants = 0;
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
}

void pl_run_step_once(PlRun *run) {
  g_mutex_lock(&run->lock);
  if (run->pause_requested) {
    run->step_grants++;
    g_cond_broadcast(&run->cond);
  }
  g_mutex_unlock(&run->lock);
}

void pl_run_request_preview(PlRun *run) {
  g_mutex_lock(&run->lock);
  run->preview_requested = TRUE;
  g_mutex_unlock(&run->lock);
}

static gboolean value_ok(PlRun *run, const char *name, double v) {
  if (!strcmp(name, "omega"))
    return isfinite(v) && v >= 0.0;
  if (!strcmp(name, "gamma"))
    return isfinite(v) && v >= 0.0 && (v == 0.0 || pl_operator_is_linear(run->op) ||
                                       run->params.solver != PL_SOLVER_PSLD);
  if (!strcmp(name, "tau"))
    return v > 0.0 && v <= 1.0;
  if (!strcmp(name, "plorg"))
    return isfinite(v);
  return FALSE;
}

gboolean pl_run_set_param(PlRun *run, const char *name, double value) {
  return pl_run_schedule_param(run, -1, name, value);
}

gboolean pl_run_schedule_param(PlRun *run, int step, const char *name, double value) {
  g_return_val_if_fail(run && name, FALSE);
  if (!value_ok(run, name, value)) {
    g_warning("run parameter %s = %g rejected (unknown name or out of range)", name, value);
    return FALSE;
  }
  PlPendingChange c = {g_strdup(name), value, step};
  g_mutex_lock(&run->lock);
  g_array_append_val(run->pending, c);
  g_mutex_unlock(&run->lock);
  return TRUE;
}

void pl_param_change_free(gpointer p) {
  PlParamChange *c = p;
  g_free(c->name);
  g_free(c);
}

GPtrArray *pl_run_param_changes(PlRun *run) {
  GPtrArray *out = g_ptr_array_new_with_free_func(pl_param_change_free);
  g_mutex_lock(&run->lock);
  for (guint k = 0; k < run->changes->len; k++) {
    const PlParamChange *c = g_ptr_array_index(run->changes, k);
    PlParamChange *d = g_new(PlParamChange, 1);
    *d = *c;
    d->name = g_strdup(c->name);
    g_ptr_array_add(out, d);
  }
  g_mutex_unlock(&run->lock);
  return out;
}

void pl_run_set_noise_tap(PlRun *run, PlNoiseTap tap, gpointer user_data) {
  g_mutex_lock(&run->lock);
  run->noise_tap = tap;
  run->noise_tap_data = user_data;
  g_mutex_unlock(&run->lock);
}
