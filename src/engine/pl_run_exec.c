/* The step loop: pause/cancel handling, parameter changes, the step under the model
 * lock, divergence detection, history, observers, and the end of the run. */
#include "pl_run_private.h"
#include "pl_solver.h"
#include <math.h>
#include <string.h>

static GArray *observers_snapshot(PlRun *run) {
  g_mutex_lock(&run->lock);
  GArray *obs = g_array_copy(run->observers);
  g_mutex_unlock(&run->lock);
  return obs;
}

/* Blocks while paused; consumes a single-step grant. FALSE when cancelled. */
static gboolean wait_while_paused(PlRun *run) {
  g_mutex_lock(&run->lock);
  while (run->pause_requested && run->step_grants == 0 && !g_atomic_int_get(&run->cancel)) {
    run->state = PL_RUN_PAUSED;
    g_cond_broadcast(&run->cond);
    g_cond_wait(&run->cond, &run->lock);
  }
  if (run->step_grants > 0)
    run->step_grants--;
  gboolean go = !g_atomic_int_get(&run->cancel);
  if (go)
    run->state = PL_RUN_RUNNING;
  g_mutex_unlock(&run->lock);
  return go;
}

static double *live_field(PlRunParams *p, const char *name) {
  if (!strcmp(name, "omega")) return &p->omega;
  if (!strcmp(name, "gamma")) return &p->gamma;
  if (!strcmp(name, "tau")) return &p->plorg.proj.tau;
  return NULL;
}

/* Pending changes take effect at step i (scheduled ones at their step) and are logged there. */
static void apply_pending(PlRun *run, int i) {
  g_mutex_lock(&run->lock);
  guint keep = 0;
  for (guint k = 0; k < run->pending->len; k++) {
    PlPendingChange *c = &g_array_index(run->pending, PlPendingChange, k);
    if (c->step > i) {
      g_array_index(run->pending, PlPendingChange, keep++) = *c;
      continue;
    }
    PlParamChange *log = g_new0(PlParamChange, 1);
    log->step = i;
    log->name = c->name; /* ownership moves to the log */
    log->new_value = c->value;
    if (!strcmp(c->name, "plorg")) {
      log->old_value = run->live.plorg.enabled ? 1.0 : 0.0;
      run->live.plorg.enabled = c->value != 0.0;
    } else {
      double *f = live_field(&run->live, c->name);
      log->old_value = *f;
      *f = c->value;
    }
    g_ptr_array_add(run->changes, log);
  }
  g_array_set_size(run->pending, keep);
  g_mutex_unlock(&run->lock);
}

static gboolean wants_preview(PlRun *run, int i) {
  g_mutex_lock(&run->lock);
  gboolean req = run->preview_requested;
  run->preview_requested = FALSE;
  g_mutex_unlock(&run->lock);
  int every = run->live.preview_every;
  return req || (every > 0 && (i % every == 0 || i == run->params.steps - 1));
}

/* Images of x0_hat and z_t, and the residual when the solver did not compute one. */
static gboolean add_previews(PlRun *run, PlSampler *s, const float *z_in, const float *z0,
                             PlStepReport *rep, GError **error) {
  if (!s->x0_valid) {
    if (!pl_sampler_decode(s, z0, s->x0, rep, error))
      return FALSE;
    pl_sampler_data_term(s, s->x0, run->live.norm, NULL, NULL, rep);
  }
  rep->x0_preview = g_new0(PlImage *, s->batch);
  rep->zt_preview = g_new0(PlImage *, s->batch);
  for (int b = 0; b < s->batch; b++) {
    rep->x0_preview[b] = pl_x_to_unit_image(s->x0 + (size_t)b * s->xlen, s->n);
    rep->zt_preview[b] = pl_latent_to_image(z_in + (size_t)b * s->zlen, s->C, s->H, s->W);
  }
  return TRUE;
}

static gboolean latent_ok(const float *z, size_t n, double limit, double *maxabs) {
  double m = 0.0;
  for (size_t k = 0; k < n; k++) {
    double a = fabs((double)z[k]);
    if (!isfinite(a)) {
      *maxabs = a;
      return FALSE;
    }
    m = MAX(m, a);
  }
  *maxabs = m;
  return m <= limit;
}

static void finish_timings(PlStepReport *rep, gint64 t0, gint64 run_t0) {
  rep->ms_total = pl_ms_since(t0);
  double parts = rep->ms_unet + rep->ms_decoder + rep->ms_encoder + rep->ms_operator +
                 rep->ms_projection + rep->ms_guided;
  rep->ms_other = MAX(0.0, rep->ms_total - parts); /* engine overhead and the update itself */
  rep->elapsed_s = (double)(g_get_monotonic_time() - run_t0) / 1e6;
}

static void keep_step(PlRun *run, int i, const float *z_in, const float *z_out, const float *z0,
                      const PlStepReport *rep) {
  size_t n = run->zlen * (size_t)run->params.batch;
  g_mutex_lock(&run->lock);
  if (!run->z_current)
    run->z_current = g_new(float, n);
  memcpy(run->z_current, z_out, n * sizeof(float));
  if (i % run->params.keep_every == 0 || i == run->params.start_step) {
    PlHistoryEntry *e = g_new0(PlHistoryEntry, 1);
    e->step = i;
    e->z = g_memdup2(z_in, n * sizeof(float));
    e->z0 = g_memdup2(z0, n * sizeof(float));
    e->report = pl_step_report_copy_no_images(rep);
    g_ptr_array_add(run->history, e);
  }
  g_ptr_array_add(run->reports, pl_step_report_copy_no_images(rep));
  memcpy(run->z0_last, z0, n * sizeof(float));
  run->have_z0 = TRUE;
  run->current_step = i + 1;
  run->elapsed = rep->elapsed_s;
  g_mutex_unlock(&run->lock);
}

static void notify_step(PlRun *run, const PlStepReport *rep) {
  GArray *obs = observers_snapshot(run);
  for (guint k = 0; k < obs->len; k++) {
    PlObserver *o = &g_array_index(obs, PlObserver, k);
    if (o->on_step)
      o->on_step(rep, o->user_data);
  }
  g_array_unref(obs);
}

/* One step with everything around it. Returns the state to end in, or RUNNING to go on. */
static PlRunState run_step(PlRun *run, PlSampler *s, int i, float *z, float *z_in, float *z0,
                           gint64 run_t0, GError **error) {
  size_t n = run->zlen * (size_t)run->params.batch;
  apply_pending(run, i);
  gboolean preview = wants_preview(run, i);
  PlStepReport *rep = pl_step_report_new(s->batch, s->C, s->kmax);
  rep->omega = run->live.omega;
  rep->gamma = run->live.gamma;
  rep->tau = run->live.plorg.proj.tau;
  rep->plorg = run->live.plorg.enabled;
  memcpy(z_in, z, n * sizeof(float));
  gint64 t0 = g_get_monotonic_time();
  pl_model_lock(run->model);
  gboolean ok = pl_sampler_latent_spectrum(s, &run->live, i, z, rep, error) &&
                pl_solver_ops(run->live.solver)->step(s, &run->live, i, z, z0, rep, error);
  if (ok && preview)
    ok = add_previews(run, s, z_in, z0, rep, error);
  pl_model_unlock(run->model);
  PlRunState end = PL_RUN_RUNNING;
  double maxabs = 0.0;
  if (!ok) {
    end = g_error_matches(*error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_CANCELLED) ? PL_RUN_CANCELLED
          : g_error_matches(*error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED) ? PL_RUN_DIVERGED
                                                                              : PL_RUN_FAILED;
  } else if (!latent_ok(z, n, run->live.divergence_limit, &maxabs)) {
    char *kept = i > run->params.start_step
                     ? g_strdup_printf("the last good step (%d) is kept", i - 1)
                     : g_strdup("no step completed");
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED,
                "diverged at step %d (t = %d): max |z| = %g exceeds the limit %g; %s; lower the "
                "step size (omega/gamma) or switch PLoRG on",
                i, s->ts[i], maxabs, run->live.divergence_limit, kept);
    g_free(kept);
    end = PL_RUN_DIVERGED;
  }
  if (end == PL_RUN_RUNNING) {
    finish_timings(rep, t0, run_t0);
    keep_step(run, i, z_in, z, z0, rep);
    notify_step(run, rep);
  } else {
    memcpy(z, z_in, n * sizeof(float)); /* back to the last good latent */
  }
  pl_step_report_free(rep);
  return end;
}

static void set_end_state(PlRun *run, PlRunState state, GError *error) {
  g_mutex_lock(&run->lock);
  run->state = state;
  g_clear_error(&run->error);
  run->error = error;
  g_cond_broadcast(&run->cond);
  g_mutex_unlock(&run->lock);
}

static void notify_done(PlRun *run) {
  GArray *obs = observers_snapshot(run);
  for (guint k = 0; k < obs->len; k++) {
    PlObserver *o = &g_array_index(obs, PlObserver, k);
    if (o->on_done)
      o->on_done(run->state, run->error, o->user_data);
  }
  g_array_unref(obs);
}

void pl_run_execute_loop(PlRun *run) {
  const PlRunParams *p = &run->params;
  size_t n = run->zlen * (size_t)p->batch;
  GError *error = NULL;
  plshim_set_num_threads(pl_model_threads(run->model));
  PlSampler *s = pl_sampler_new(run->model, run->op, run->y, p, &run->cancel, &error);
  if (s) {
    const PlSolverOps *ops = pl_solver_ops(p->solver);
    if (ops->plan)
      ops->plan(s, p);
    s->noise_tap = run->noise_tap;
    s->noise_tap_data = run->noise_tap_data;
  }
  PlRunState end = s ? PL_RUN_RUNNING : PL_RUN_FAILED;
  float *z = g_memdup2(run->z_init, n * sizeof(float));
  float *z_in = g_new(float, n), *z0 = g_new(float, n);
  run->z0_last = g_new0(float, n);
  gint64 run_t0 = g_get_monotonic_time();
  for (int i = p->start_step; i < p->steps && end == PL_RUN_RUNNING; i++) {
    if (!wait_while_paused(run)) {
      end = PL_RUN_CANCELLED;
      break;
    }
    end = run_step(run, s, i, z, z_in, z0, run_t0, &error);
  }
  if (end == PL_RUN_RUNNING && g_atomic_int_get(&run->cancel))
    end = PL_RUN_CANCELLED;
  if (end == PL_RUN_RUNNING) {
    end = PL_RUN_FINISHED;
    run->z_final = g_memdup2(z, n * sizeof(float));
    if (!pl_run_make_results(run, z, &error))
      end = PL_RUN_FAILED;
  } else if (run->have_z0) {
    GError *e2 = NULL; /* keep the first error: it says why the run ended */
    pl_run_make_results(run, run->z0_last, &e2);
    g_clear_error(&e2);
  }
  if (end == PL_RUN_CANCELLED && !error)
    g_set_error(&error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_CANCELLED, "cancelled at step %d",
                pl_run_current_step(run));
  pl_sampler_free(s);
  g_free(z);
  g_free(z_in);
  g_free(z0);
  set_end_state(run, end, error);
  notify_done(run);
}

static gpointer worker(gpointer data) {
  PlRun *run = data;
  pl_run_execute_loop(run);
  pl_run_unref(run);
  return NULL;
}

static gboolean claim_start(PlRun *run) {
  g_mutex_lock(&run->lock);
  gboolean ok = !run->started;
  if (ok) {
    run->started = TRUE;
    run->state = PL_RUN_RUNNING;
  }
  g_mutex_unlock(&run->lock);
  return ok;
}

gboolean pl_run_execute(PlRun *run, GError **error) {
  if (!claim_start(run)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "the run was already started");
    return FALSE;
  }
  pl_run_execute_loop(run);
  if (run->state == PL_RUN_FINISHED)
    return TRUE;
  if (error && run->error)
    *error = g_error_copy(run->error);
  return FALSE;
}

void pl_run_start(PlRun *run) {
  if (!claim_start(run))
    return;
  GThread *t = g_thread_new("plorg-run", worker, pl_run_ref(run));
  g_mutex_lock(&run->lock);
  run->thread = t;
  g_mutex_unlock(&run->lock);
}

PlRunState pl_run_wait(PlRun *run) {
  g_mutex_lock(&run->lock);
  GThread *t = run->thread;
  run->thread = NULL;
  g_mutex_unlock(&run->lock);
  if (t)
    g_thread_join(t);
  return pl_run_state(run);
}
