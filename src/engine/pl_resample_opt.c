/* ReSample's hard data consistency: AdamW on the MSE ||A(x) - y||^2 / m (the reference's
 * torch.nn.MSELoss), per sample,
 * - in pixel space from x = D(z0_hat), stopping when the loss falls below stop_loss,
 *   then encoded back to a latent;
 * - in latent space from z0_hat with the decoder's VJP, stopping below stop_loss or when
 *   the loss is higher than loss_window iterations earlier (the reference's rule).
 * PLoRG projects the latent gradient every F-th iteration (iteration % F == 0, as
 * DiffStateGrad's code) onto the subspace of a state latent, one SVD per event; with
 * DiffStateGrad's placement the pixel gradient likewise, onto the subspace of an image. */
#include "pl_solver.h"
#include "pl_shim_error.h"
#include "pl_adamw.h"
#include <math.h>
#include <string.h>

/* MSE of one sample and its gradient (scaled l2sq data term). */
static double mse(PlSampler *s, const float *x, float *grad) {
  double loss = pl_operator_data_term(s->op, x, s->y, PL_NORM_L2_SQUARED, grad, NULL);
  double inv = 1.0 / (double)s->ylen;
  if (grad)
    for (size_t k = 0; k < s->xlen; k++)
      grad[k] = (float)(grad[k] * inv);
  return loss * inv;
}

/* SVD of every sample's image x_state (3 x n x n, one matrix per colour channel). */
static gboolean pixel_subspaces(PlSampler *s, const PlRunParams *p, const float *x_state,
                                PlStepReport *rep, GError **error) {
  gint64 t0 = g_get_monotonic_time();
  if (!s->sub_pixel) {
    s->sub_pixel = g_new0(PlSubspace *, s->batch);
    for (int b = 0; b < s->batch; b++)
      s->sub_pixel[b] = pl_subspace_new(3, s->n, s->n);
  }
  for (int b = 0; b < s->batch; b++) {
    GError *e = NULL;
    if (!pl_subspace_compute(s->sub_pixel[b], x_state + (size_t)b * s->xlen, &p->plorg.proj, &e)) {
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED,
                  "SVD of the decoded ReSample state failed: %s", e->message);
      g_error_free(e);
      return FALSE;
    }
  }
  rep->ms_projection += pl_ms_since(t0);
  return TRUE;
}

gboolean pl_resample_pixel_opt(PlSampler *s, const PlRunParams *p, const float *z0,
                               const float *x_state, float *z_out, int *iters,
                               PlStepReport *rep, GError **error) {
  const PlResampleParams *r = &p->resample;
  float *x = s->xa;
  if (x_state && !pixel_subspaces(s, p, x_state, rep, error))
    return FALSE;
  if (!pl_sampler_decode(s, z0, x, rep, error))
    return FALSE;
  *iters = 0;
  PlAdamW opt;
  pl_adamw_init(&opt, s->xlen, r->pixel_lr, r->weight_decay);
  for (int b = 0; b < s->batch; b++) {
    float *xb = x + (size_t)b * s->xlen;
    pl_adamw_reset(&opt);
    int it = 0;
    while (it < r->pixel_max_iters) {
      if (!pl_sampler_cancel_point(s, error)) {
        pl_adamw_clear(&opt);
        return FALSE;
      }
      gint64 t0 = g_get_monotonic_time();
      double loss = mse(s, xb, s->gsample);
      rep->ms_operator += pl_ms_since(t0);
      if (x_state && it % p->plorg.every == 0) {
        t0 = g_get_monotonic_time();
        pl_subspace_project(s->sub_pixel[b], p->plorg.proj.side, s->gsample, s->gsample);
        rep->ms_projection += pl_ms_since(t0);
      }
      t0 = g_get_monotonic_time();
      pl_adamw_step(&opt, xb, s->gsample);
      rep->ms_other += pl_ms_since(t0);
      it++;
      if (loss < r->stop_loss)
        break;
    }
    *iters = MAX(*iters, it);
  }
  pl_adamw_clear(&opt);
  return pl_sampler_encode(s, x, z_out, rep, error);
}

typedef struct {
  PlAdamW opt;
  double *window; /* ring of the last loss_window losses */
  gboolean active;
  int iters;
} LatentState;

/* Per-sample stopping rules after iteration `it` with loss `cur` (computed before the step). */
/* The ring holds min(loss_window, latent_max_iters) losses: a longer window can never
 * compare (it < latent_max_iters), so memory follows the iterations that can run, not a
 * number from a file ("loss_window": 2e9 asked for 16 GB). */
static int ring_len(const PlResampleParams *r) {
  return MAX(1, MIN(r->loss_window, r->latent_max_iters));
}

static void latent_stop_check(LatentState *ls, const PlResampleParams *r, int it, double cur) {
  int w = ring_len(r);
  if (it >= w && ls->window[it % w] < cur)
    ls->active = FALSE; /* worse than loss_window iterations ago */
  ls->window[it % w] = cur;
  if (cur < r->stop_loss)
    ls->active = FALSE;
}

static gboolean event_subspaces(PlSampler *s, const PlRunParams *p, const float *z_state,
                                PlStepReport *rep, GError **error) {
  gint64 t0 = g_get_monotonic_time();
  for (int b = 0; b < s->batch; b++) {
    GError *e = NULL;
    if (!pl_subspace_compute(s->sub_event[b], z_state + (size_t)b * s->zlen, &p->plorg.proj, &e)) {
      g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED,
                  "SVD of the ReSample state failed: %s", e->message);
      g_error_free(e);
      return FALSE;
    }
  }
  rep->ms_projection += pl_ms_since(t0);
  return TRUE;
}

gboolean pl_resample_latent_opt(PlSampler *s, const PlRunParams *p, const float *z0,
                                const float *z_state, float *z_out, int *iters,
                                PlStepReport *rep, GError **error) {
  const PlResampleParams *r = &p->resample;
  size_t n = (size_t)s->batch * s->zlen;
  gboolean project = p->plorg.enabled;
  if (project && !event_subspaces(s, p, z_state, rep, error))
    return FALSE;
  if (z_out != z0)
    memcpy(z_out, z0, n * sizeof(float));
  LatentState *ls = g_new0(LatentState, s->batch);
  for (int b = 0; b < s->batch; b++) {
    pl_adamw_init(&ls[b].opt, s->zlen, r->latent_lr, r->weight_decay);
    ls[b].window = g_new0(double, ring_len(r));
    ls[b].active = TRUE;
  }
  gboolean ok = TRUE;
  for (int it = 0; it < r->latent_max_iters && ok; it++) {
    gboolean any = FALSE;
    for (int b = 0; b < s->batch; b++)
      any = any || ls[b].active;
    if (!any)
      break;
    if (!pl_sampler_cancel_point(s, error)) {
      ok = FALSE;
      break;
    }
    /* x = D(z) to form the pixel cotangent, then its VJP (the shim has no split decoder graph) */
    if (!(ok = pl_sampler_decode(s, z_out, s->xa, rep, error)))
      break;
    double loss[64];
    gint64 t0 = g_get_monotonic_time();
    for (int b = 0; b < s->batch; b++)
      loss[b] = mse(s, s->xa + (size_t)b * s->xlen, s->gx + (size_t)b * s->xlen);
    rep->ms_operator += pl_ms_since(t0);
    t0 = g_get_monotonic_time();
    PlShimStatus st = plshim_decode_vjp(s->shim, z_out, s->gx, s->batch, NULL, s->gz);
    rep->ms_decoder += pl_ms_since(t0);
    if (!(ok = pl_shim_check(st, error, "the decoder VJP")))
      break;
    for (int b = 0; b < s->batch; b++) {
      if (!ls[b].active)
        continue;
      float *g = s->gz + (size_t)b * s->zlen;
      if (project && it % p->plorg.every == 0) {
        t0 = g_get_monotonic_time();
        pl_subspace_project(s->sub_event[b], p->plorg.proj.side, g, g);
        rep->ms_projection += pl_ms_since(t0);
      }
      t0 = g_get_monotonic_time();
      pl_adamw_step(&ls[b].opt, z_out + (size_t)b * s->zlen, g);
      rep->ms_other += pl_ms_since(t0);
      ls[b].iters = it + 1;
      latent_stop_check(&ls[b], r, it, loss[b]);
    }
  }
  *iters = 0;
  for (int b = 0; b < s->batch; b++) {
    *iters = MAX(*iters, ls[b].iters);
    pl_adamw_clear(&ls[b].opt);
    g_free(ls[b].window);
  }
  g_free(ls);
  return ok;
}
