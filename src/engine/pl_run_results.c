/* Results: decoded images, metrics against the ground truth, and best-of-k selection. */
#include "pl_run_private.h"
#include "pl_metrics.h"
#include "pl_shim_error.h"
#include <math.h>
#include <string.h>

PlImage *pl_run_paste_known(PlRun *run, const PlImage *result) {
  const float *mask = pl_operator_mask(run->op);
  if (!mask || !run->clean || !result)
    return NULL;
  PlImage *out = pl_image_copy(result);
  const size_t np = (size_t)out->h * out->w;
  for (int c = 0; c < out->c; c++)
    for (size_t k = 0; k < np; k++) {
      float *v = &out->data[c * np + k];
      *v = mask[k] * run->clean->data[c * np + k] + (1.0f - mask[k]) * *v;
    }
  return out;
}

gboolean pl_run_make_results(PlRun *run, const float *z, GError **error) {
  int B = run->params.batch;
  int n = pl_model_image_size(run->model);
  size_t xlen = (size_t)3 * n * n;
  float *x = g_new(float, xlen * B);
  pl_model_lock(run->model);
  PlShimStatus st = plshim_decode(pl_model_shim(run->model), z, B, x);
  pl_model_unlock(run->model);
  if (!pl_shim_check(st, error, "decoding the result")) {
    g_free(x);
    return FALSE;
  }
  PlImage **res = g_new0(PlImage *, B);
  double *psnr = g_new(double, B), *ssim = g_new(double, B), *resid = g_new(double, B);
  double *psnr_p = g_new(double, B), *ssim_p = g_new(double, B);
  float *xm = g_new(float, xlen), *ay = g_new(float, pl_operator_y_len(run->op));
  for (int b = 0; b < B; b++) {
    res[b] = pl_x_to_unit_image(x + xlen * b, n);
    psnr[b] = ssim[b] = NAN;
    if (run->clean) {
      psnr[b] = pl_psnr(res[b]->data, run->clean->data, xlen);
      ssim[b] = pl_ssim(res[b]->data, run->clean->data, 3, n, n);
    }
    psnr_p[b] = ssim_p[b] = NAN;
    PlImage *pasted = pl_run_paste_known(run, res[b]);
    if (pasted) {
      psnr_p[b] = pl_psnr(pasted->data, run->clean->data, xlen);
      ssim_p[b] = pl_ssim(pasted->data, run->clean->data, 3, n, n);
      pl_image_free(pasted);
    }
    /* residual of the image as saved ([0,1], clamped), in model units */
    for (size_t k = 0; k < xlen; k++)
      xm[k] = 2.0f * res[b]->data[k] - 1.0f;
    pl_operator_forward(run->op, xm, ay);
    resid[b] = pl_l2_distance(ay, run->y, pl_operator_y_len(run->op));
  }
  g_free(xm);
  g_free(ay);
  g_free(x);
  g_mutex_lock(&run->lock);
  run->results = res;
  run->psnr = psnr;
  run->ssim = ssim;
  run->residual = resid;
  run->psnr_pasted = psnr_p;
  run->ssim_pasted = ssim_p;
  g_mutex_unlock(&run->lock);
  return TRUE;
}

static gboolean ended(PlRunState s) {
  return s == PL_RUN_FINISHED || s == PL_RUN_DIVERGED || s == PL_RUN_CANCELLED ||
         s == PL_RUN_FAILED;
}

typedef enum { M_PSNR, M_SSIM, M_RESIDUAL, M_PSNR_PASTED, M_SSIM_PASTED } Metric;

static double metric(PlRun *run, Metric m, int sample) {
  g_mutex_lock(&run->lock);
  const double *v = m == M_PSNR          ? run->psnr
                    : m == M_SSIM        ? run->ssim
                    : m == M_PSNR_PASTED ? run->psnr_pasted
                    : m == M_SSIM_PASTED ? run->ssim_pasted
                                         : run->residual;
  double r = (ended(run->state) && v && sample >= 0 && sample < run->params.batch) ? v[sample]
                                                                                   : NAN;
  g_mutex_unlock(&run->lock);
  return r;
}

PlImage *pl_run_result(PlRun *run, int sample) {
  g_mutex_lock(&run->lock);
  PlImage *img = (ended(run->state) && run->results && sample >= 0 && sample < run->params.batch)
                     ? pl_image_copy(run->results[sample])
                     : NULL;
  g_mutex_unlock(&run->lock);
  return img;
}

double pl_run_psnr(PlRun *run, int sample) { return metric(run, M_PSNR, sample); }
double pl_run_ssim(PlRun *run, int sample) { return metric(run, M_SSIM, sample); }
double pl_run_residual(PlRun *run, int sample) { return metric(run, M_RESIDUAL, sample); }
double pl_run_psnr_pasted(PlRun *run, int sample) { return metric(run, M_PSNR_PASTED, sample); }
double pl_run_ssim_pasted(PlRun *run, int sample) { return metric(run, M_SSIM_PASTED, sample); }

gboolean pl_run_pastes(PlRun *run) { return pl_operator_mask(run->op) != NULL && run->clean; }

PlImage *pl_run_result_pasted(PlRun *run, int sample) {
  g_autoptr(PlImage) res = pl_run_result(run, sample);
  return res ? pl_run_paste_known(run, res) : NULL;
}

const char *pl_select_rule_name(PlSelectRule rule) {
  return rule == PL_SELECT_PSNR_ORACLE ? "psnr-oracle" : "residual";
}

int pl_run_select_best(PlRun *run, PlSelectRule rule) {
  int best = -1;
  double best_v = 0.0;
  for (int b = 0; b < run->params.batch; b++) {
    double v = rule == PL_SELECT_PSNR_ORACLE ? pl_run_psnr(run, b) : -pl_run_residual(run, b);
    if (isnan(v))
      continue;
    if (best < 0 || v > best_v) {
      best = b;
      best_v = v;
    }
  }
  return best;
}
