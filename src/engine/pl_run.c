/* Run creation (fresh and branched), lifetime and plain getters. */
#include "pl_run_private.h"
#include "pl_noise.h"
#include <string.h>

static gboolean invalid(GError **error, const char *msg) {
  g_set_error_literal(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, msg);
  return FALSE;
}

static gboolean check_inputs(PlModel *model, const PlRunInputs *in, const PlRunParams *p,
                             GError **error) {
  int n = pl_model_image_size(model);
  if (in->op.size != n) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "the degradation is set up for %dx%d images but the model makes %dx%d",
                in->op.size, in->op.size, n, n);
    return FALSE;
  }
  if (in->clean && (in->clean->c != 3 || in->clean->h != n || in->clean->w != n)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "the clean image is %dx%dx%d; the model needs 3x%dx%d (fit it first)",
                in->clean->c, in->clean->h, in->clean->w, n, n);
    return FALSE;
  }
  if (!in->clean && !in->y)
    return invalid(error, "a run needs a measurement y or a clean image to degrade");
  if (in->op.task == PL_TASK_INPAINT_MASK && !in->op.mask)
    return invalid(error, "mask inpainting needs a mask");
  if (p->start_step > 0 && !in->z_start)
    return invalid(error, "starting at a later step needs the latent to start from (z_start)");
  return TRUE;
}

static void copy_inputs(PlRun *run, const PlRunInputs *in) {
  int n = pl_model_image_size(run->model);
  run->inputs.op = in->op;
  run->inputs.op.mask = NULL;
  if (in->op.mask && in->op.task == PL_TASK_INPAINT_MASK) {
    run->mask = g_memdup2(in->op.mask, sizeof(float) * n * n);
    run->inputs.op.mask = run->mask;
  }
  if (in->clean) {
    run->clean = pl_image_copy(in->clean);
    run->inputs.clean = run->clean;
  }
  run->image_path = g_strdup(in->image_path);
  run->inputs.image_path = run->image_path;
}

static gboolean make_measurement(PlRun *run, const PlRunInputs *in) {
  size_t ylen = pl_operator_y_len(run->op);
  if (in->y) {
    run->y = g_memdup2(in->y, sizeof(float) * ylen);
  } else {
    run->y = g_new0(float, ylen);
    PlImage *x = pl_image_copy(run->clean);
    pl_image_to_model_range(x);
    pl_operator_measure(run->op, x->data, run->inputs.op.seed, run->y);
    pl_image_free(x);
  }
  run->inputs.y = run->y;
  return TRUE;
}

static void make_initial_latent(PlRun *run, const PlRunInputs *in) {
  size_t total = run->zlen * (size_t)run->params.batch;
  if (in->z_start) {
    run->z_init = g_memdup2(in->z_start, sizeof(float) * total);
    run->z_init_given = TRUE;
    run->inputs.z_start = run->z_init;
    return;
  }
  run->z_init = g_new(float, total);
  for (int b = 0; b < run->params.batch; b++)
    pl_noise_initial(run->params.seed, b, run->z_init + (size_t)b * run->zlen, run->zlen);
  run->inputs.z_start = NULL;
}

PlRun *pl_run_new(PlModel *model, const PlRunInputs *inputs, const PlRunParams *params,
                  GError **error) {
  g_return_val_if_fail(model && inputs && params, NULL);
  if (!pl_run_params_validate(params, pl_model_schedule(model)->T, error) ||
      !check_inputs(model, inputs, params, error))
    return NULL;
  GError *op_error = NULL;
  PlOperator *op = pl_operator_new(&inputs->op, &op_error);
  if (!op) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "degradation: %s",
                op_error->message);
    g_error_free(op_error);
    return NULL;
  }
  if (params->solver == PL_SOLVER_PSLD && params->gamma != 0.0 && !pl_operator_is_linear(op)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_UNSUPPORTED,
                "PSLD's gluing term needs a linear degradation; %s is not: set gamma to 0 or "
                "use dps or resample", pl_task_label(pl_operator_task(op)));
    pl_operator_free(op);
    return NULL;
  }
  PlRun *run = g_new0(PlRun, 1);
  g_atomic_ref_count_init(&run->ref);
  run->model = pl_model_ref(model);
  run->params = *params;
  run->live = *params;
  run->op = op;
  pl_model_latent_shape(model, &run->C, &run->H, &run->W);
  run->zlen = (size_t)run->C * run->H * run->W;
  run->branch_parent_step = -1;
  copy_inputs(run, inputs);
  make_measurement(run, inputs);
  make_initial_latent(run, inputs);
  g_mutex_init(&run->lock);
  g_cond_init(&run->cond);
  run->state = PL_RUN_IDLE;
  run->pending = g_array_new(FALSE, FALSE, sizeof(PlPendingChange));
  run->changes = g_ptr_array_new_with_free_func(pl_param_change_free);
  run->observers = g_array_new(FALSE, FALSE, sizeof(PlObserver));
  run->history = g_ptr_array_new_with_free_func(pl_history_entry_free);
  run->reports = g_ptr_array_new_with_free_func((GDestroyNotify)pl_step_report_free);
  run->current_step = params->start_step;
  return run;
}

PlRun *pl_run_new_branch(PlRun *parent, int step, const PlRunParams *params, GError **error) {
  g_return_val_if_fail(parent && params, NULL);
  const PlRunParams *pp = &parent->params;
  if (params->steps != pp->steps) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "a branch keeps the parent's step count (%d), not %d", pp->steps, params->steps);
    return NULL;
  }
  g_mutex_lock(&parent->lock);
  PlHistoryEntry *found = NULL;
  for (guint k = 0; k < parent->history->len; k++) {
    PlHistoryEntry *e = g_ptr_array_index(parent->history, k);
    if (e->step <= step && (!found || e->step > found->step))
      found = e;
  }
  float *z = found ? g_memdup2(found->z, sizeof(float) * parent->zlen * pp->batch) : NULL;
  int at = found ? found->step : -1;
  g_mutex_unlock(&parent->lock);
  if (!z) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "the parent run kept no latent at or before step %d", step);
    return NULL;
  }
  PlRunParams q = *params;
  q.seed = pp->seed;   /* same noise stream */
  q.batch = pp->batch;
  q.start_step = at;
  PlRunInputs in = parent->inputs;
  in.z_start = z;
  PlRun *run = pl_run_new(parent->model, &in, &q, error);
  g_free(z);
  if (run)
    run->branch_parent_step = at;
  return run;
}

PlRun *pl_run_ref(PlRun *run) {
  g_return_val_if_fail(run != NULL, NULL);
  g_atomic_ref_count_inc(&run->ref);
  return run;
}

void pl_run_unref(PlRun *run) {
  if (!run || !g_atomic_ref_count_dec(&run->ref))
    return;
  /* the worker holds a ref while it runs, so a thread left here has finished */
  if (run->thread) {
    if (run->thread == g_thread_self())
      g_thread_unref(run->thread);
    else
      g_thread_join(run->thread);
  }
  g_ptr_array_unref(run->history);
  g_ptr_array_unref(run->reports);
  g_ptr_array_unref(run->changes);
  for (guint k = 0; k < run->pending->len; k++)
    g_free(g_array_index(run->pending, PlPendingChange, k).name);
  g_array_unref(run->pending);
  g_array_unref(run->observers);
  if (run->results)
    for (int b = 0; b < run->params.batch; b++)
      pl_image_free(run->results[b]);
  g_free(run->results);
  g_free(run->psnr);
  g_free(run->ssim);
  g_free(run->psnr_pasted);
  g_free(run->ssim_pasted);
  g_free(run->lpips_pasted);
  g_free(run->residual);
  g_free(run->lpips);
  g_free(run->lpips_net);
  g_free(run->z_final);
  g_free(run->z0_last);
  g_free(run->z_current);
  g_free(run->z_init);
  g_free(run->y);
  g_free(run->mask);
  g_free(run->image_path);
  pl_image_free(run->clean);
  pl_operator_free(run->op);
  g_clear_error(&run->error);
  g_mutex_clear(&run->lock);
  g_cond_clear(&run->cond);
  pl_model_unref(run->model);
  g_free(run);
}

const PlRunParams *pl_run_params(PlRun *run) { return &run->params; }
const PlRunInputs *pl_run_inputs(PlRun *run) { return &run->inputs; }
PlOperator *pl_run_operator(PlRun *run) { return run->op; }
const float *pl_run_measurement(PlRun *run) { return run->y; }
PlModel *pl_run_model(PlRun *run) { return run->model; }
const char *pl_run_record_image_path(PlRun *run) { return run->image_path; }

PlImage *pl_run_clean(PlRun *run) { return run->clean ? pl_image_copy(run->clean) : NULL; }

PlImage *pl_run_measurement_preview(PlRun *run) {
  g_mutex_lock(&run->lock);
  gboolean busy = run->started && run->state != PL_RUN_FINISHED &&
                  run->state != PL_RUN_CANCELLED && run->state != PL_RUN_DIVERGED &&
                  run->state != PL_RUN_FAILED;
  g_mutex_unlock(&run->lock);
  if (!busy)
    return pl_operator_measurement_preview(run->op, run->y);
  /* the worker owns the operator while it runs: use a private one */
  PlOperator *op = pl_operator_new(&run->inputs.op, NULL);
  PlImage *img = op ? pl_operator_measurement_preview(op, run->y) : NULL;
  pl_operator_free(op);
  return img;
}

PlRunState pl_run_state(PlRun *run) {
  g_mutex_lock(&run->lock);
  PlRunState s = run->state;
  g_mutex_unlock(&run->lock);
  return s;
}

const GError *pl_run_error(PlRun *run) {
  g_mutex_lock(&run->lock);
  const GError *e = run->error;
  g_mutex_unlock(&run->lock);
  return e;
}

int pl_run_current_step(PlRun *run) {
  g_mutex_lock(&run->lock);
  int s = run->current_step;
  g_mutex_unlock(&run->lock);
  return s;
}

double pl_run_elapsed(PlRun *run) {
  g_mutex_lock(&run->lock);
  double e = run->elapsed;
  g_mutex_unlock(&run->lock);
  return e;
}

float *pl_run_current_latent(PlRun *run) {
  g_mutex_lock(&run->lock);
  const float *z = run->z_current ? run->z_current : run->z_init;
  float *copy = g_memdup2(z, run->zlen * run->params.batch * sizeof(float));
  g_mutex_unlock(&run->lock);
  return copy;
}

const float *pl_run_final_latent(PlRun *run) {
  return pl_run_state(run) == PL_RUN_FINISHED ? run->z_final : NULL;
}
