/* Kept latents for scrubbing and branching. */
#include "pl_run_private.h"
#include "pl_shim_error.h"
#include <string.h>

void pl_history_entry_free(gpointer p) {
  PlHistoryEntry *e = p;
  g_free(e->z);
  g_free(e->z0);
  pl_step_report_free(e->report);
  g_free(e);
}

static PlHistoryEntry *entry(PlRun *run, int i) {
  return (i >= 0 && (guint)i < run->history->len) ? g_ptr_array_index(run->history, i) : NULL;
}

int pl_run_history_count(PlRun *run) {
  g_mutex_lock(&run->lock);
  int n = (int)run->history->len;
  g_mutex_unlock(&run->lock);
  return n;
}

int pl_run_history_step(PlRun *run, int i) {
  g_mutex_lock(&run->lock);
  PlHistoryEntry *e = entry(run, i);
  int s = e ? e->step : -1;
  g_mutex_unlock(&run->lock);
  return s;
}

const float *pl_run_history_latent(PlRun *run, int i) {
  g_mutex_lock(&run->lock);
  PlHistoryEntry *e = entry(run, i);
  const float *z = e ? e->z : NULL; /* entries are never freed while the run lives */
  g_mutex_unlock(&run->lock);
  return z;
}

PlStepReport *pl_run_history_report(PlRun *run, int i) {
  g_mutex_lock(&run->lock);
  PlHistoryEntry *e = entry(run, i);
  PlStepReport *r = e ? pl_step_report_copy(e->report) : NULL;
  g_mutex_unlock(&run->lock);
  return r;
}

PlImage *pl_run_history_decode(PlRun *run, int i, int sample, GError **error) {
  g_mutex_lock(&run->lock);
  PlHistoryEntry *e = entry(run, i);
  float *z0 = (e && sample >= 0 && sample < run->params.batch)
                  ? g_memdup2(e->z0 + (size_t)sample * run->zlen, run->zlen * sizeof(float))
                  : NULL;
  g_mutex_unlock(&run->lock);
  if (!z0) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "no kept latent %d / sample %d", i, sample);
    return NULL;
  }
  int n = pl_model_image_size(run->model);
  float *x = g_new(float, (size_t)3 * n * n);
  pl_model_lock(run->model);
  plshim_set_num_threads(pl_model_threads(run->model));
  PlShimStatus st = plshim_decode(pl_model_shim(run->model), z0, 1, x);
  pl_model_unlock(run->model);
  PlImage *img = pl_shim_check(st, error, "the decoder") ? pl_x_to_unit_image(x, n) : NULL;
  g_free(x);
  g_free(z0);
  return img;
}
