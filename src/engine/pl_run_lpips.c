/* LPIPS of a finished run's results against its ground truth. Kept apart from
 * pl_run_results.c because it needs a network the caller loaded, and runs after the run. */
#include "pl_run_private.h"
#include "pl_lpips.h"
#include <math.h>

static gboolean ended(PlRunState s) {
  return s == PL_RUN_FINISHED || s == PL_RUN_DIVERGED || s == PL_RUN_CANCELLED ||
         s == PL_RUN_FAILED;
}

gboolean pl_run_compute_lpips(PlRun *run, PlLpips *net, GError **error) {
  g_return_val_if_fail(net != NULL, FALSE);
  int B = run->params.batch;
  g_mutex_lock(&run->lock);
  gboolean ready = ended(run->state) && run->results;
  g_mutex_unlock(&run->lock);
  if (!ready) {
    g_set_error_literal(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                        "LPIPS needs the run's results (the run has not ended or has none)");
    return FALSE;
  }
  double *v = g_new(double, B), *vp = g_new(double, B);
  gboolean ok = TRUE;
  /* results and clean do not change once the run has ended: no lock while the net runs */
  for (int b = 0; b < B; b++) {
    v[b] = vp[b] = NAN;
    if (ok && run->clean)
      ok = !isnan(v[b] = pl_lpips_distance(net, run->results[b], run->clean, error));
    PlImage *pasted = ok ? pl_run_paste_known(run, run->results[b]) : NULL;
    if (pasted) {
      ok = !isnan(vp[b] = pl_lpips_distance(net, pasted, run->clean, error));
      pl_image_free(pasted);
    }
  }
  if (!ok) {
    g_free(v);
    g_free(vp);
    return FALSE;
  }
  g_mutex_lock(&run->lock);
  g_free(run->lpips);
  g_free(run->lpips_net);
  run->lpips = v;
  g_free(run->lpips_pasted);
  run->lpips_pasted = vp;
  run->lpips_net = g_strdup(pllpips_net(net));
  g_mutex_unlock(&run->lock);
  return TRUE;
}

double pl_run_lpips(PlRun *run, int sample) {
  g_mutex_lock(&run->lock);
  double r = run->lpips && sample >= 0 && sample < run->params.batch ? run->lpips[sample] : NAN;
  g_mutex_unlock(&run->lock);
  return r;
}

double pl_run_lpips_pasted(PlRun *run, int sample) {
  g_mutex_lock(&run->lock);
  double r = run->lpips_pasted && sample >= 0 && sample < run->params.batch
                 ? run->lpips_pasted[sample]
                 : NAN;
  g_mutex_unlock(&run->lock);
  return r;
}

const char *pl_run_lpips_net(PlRun *run) {
  g_mutex_lock(&run->lock);
  const char *name = run->lpips_net;
  g_mutex_unlock(&run->lock);
  return name;
}
