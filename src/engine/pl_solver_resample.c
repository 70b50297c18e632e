/* ReSample (Song et al. 2024; official code), step i of the DDIM schedule:
 * 1. a latent DPS step: z' = DDIM(z_t, eps) - omega * abar_t * grad ||y - A(D(z0_hat))||
 *    (the reference's scale a_t * 0.5, plain norm);
 * 2. at an event step (every 10th in the reference's index window): "time travel" a few
 *    unconditional DDIM steps ahead from z' to get z0_hat, make it measurement-consistent
 *    by AdamW in pixel space (early events; then encode) or latent space (late events),
 *    and resample back: z ~ N(mean, var) with sigma^2 = gamma (1-ap)/(1-a) (1 - a/ap),
 *    mean = (sigma^2 sqrt(ap) z_opt + (1-ap) z') / (sigma^2 + 1 - ap),
 *    var = 1 / (1/sigma^2 + 1/(1-ap)), a = abar_t, ap = abar of the next step;
 * 3. after the last step the reference optimises the final latent once more.
 * Deliberate differences to the reference code, both index slips there: its time-travel
 * steps pair the UNet's timestep with the previous step's abar, and its "pseudo_x0"
 * subtracts (1-abar) eps instead of sqrt(1-abar) eps; we use consistent abar and the
 * Tweedie estimate (as the shim's guided forward does for the DPS step).
 * PLoRG-ReSample projects the optimisation gradient with one SVD per event ("once per outer
 * step"); plorg.resample_svd says of what: the paper's Algorithm 5 takes the diffusion state
 * z' and projects the latent optimisation only; DiffStateGrad's code takes the time-travelled
 * latent (its `img` after the time-travel loop, one DDIM update past the latent z0_hat came
 * from) and also projects the pixel optimisation with the SVD of that latent's decoding. */
#include "pl_solver.h"
#include <math.h>
#include <string.h>

void pl_resample_plan(const PlResampleParams *r, int steps, PlResampleEvent *kind) {
  int wstart = r->window_start >= 0 ? r->window_start : steps - steps / 3;
  int wend = r->window_end >= 0 ? r->window_end : 1;
  int split = steps / 3;
  int pixel_left = r->pixel_events;
  for (int i = 0; i < steps; i++) {
    int idx = steps - 1 - i; /* the reference counts down */
    kind[i] = PL_RESAMPLE_EVENT_NONE;
    if (idx <= 0 || idx < wend || idx > wstart || idx % r->event_every != 0)
      continue;
    if (r->pixel_events < 0) {
      kind[i] = idx >= split ? PL_RESAMPLE_EVENT_PIXEL : PL_RESAMPLE_EVENT_LATENT;
    } else {
      kind[i] = pixel_left > 0 ? PL_RESAMPLE_EVENT_PIXEL : PL_RESAMPLE_EVENT_LATENT;
      pixel_left--;
    }
  }
}

void pl_solver_resample_plan(PlSampler *s, const PlRunParams *p) {
  pl_resample_plan(&p->resample, p->steps, s->event_kind);
}

/* Unconditional DDIM (eta 0) from z (at step i+1) ahead; z0hat from the last UNet call.
 * z_tt (may be NULL) gets the latent after that call's DDIM update as well. */
static gboolean time_travel(PlSampler *s, const PlRunParams *p, int i, const float *z,
                            float *z0hat, float *z_tt, PlStepReport *rep, GError **error) {
  size_t n = (size_t)s->batch * s->zlen;
  float *zc = g_new(float, n), *znext = g_new(float, n);
  memcpy(zc, z, n * sizeof(float));
  gboolean ok = TRUE;
  /* no i + time_travel: that overflows for time_travel near INT_MAX */
  int last = p->resample.time_travel >= s->steps - 1 - i ? s->steps - 1 : i + p->resample.time_travel;
  for (int j = i + 1; j <= last && ok; j++) {
    ok = pl_sampler_eps(s, zc, s->ts[j], s->eps, rep, error);
    if (!ok)
      break;
    double a = pl_sampler_abar(s, j);
    if (j == last) {
      pl_predict_z0(zc, s->eps, a, z0hat, n);
      if (z_tt)
        pl_ddim_step(zc, s->eps, a, pl_sampler_abar_prev(s, j), 0.0, NULL, NULL, z_tt, n);
    } else {
      pl_ddim_step(zc, s->eps, a, pl_sampler_abar_prev(s, j), 0.0, NULL, NULL, znext, n);
      memcpy(zc, znext, n * sizeof(float));
    }
  }
  g_free(zc);
  g_free(znext);
  return ok;
}

static void stochastic_resample(PlSampler *s, const PlRunParams *p, int i, const float *z_opt,
                                const float *x_t, float *z) {
  double a = pl_sampler_abar(s, i), ap = pl_sampler_abar_prev(s, i);
  double sigma2 = p->resample.gamma * (1.0 - ap) / (1.0 - a) * (1.0 - a / ap);
  if (!(sigma2 > 0.0)) {
    memcpy(z, x_t, (size_t)s->batch * s->zlen * sizeof(float));
    return;
  }
  double denom = sigma2 + 1.0 - ap;
  double w_opt = sigma2 * sqrt(ap) / denom, w_xt = (1.0 - ap) / denom;
  double sd = sqrt(1.0 / (1.0 / sigma2 + 1.0 / (1.0 - ap)));
  for (int b = 0; b < s->batch; b++) {
    float *noise = s->noise + (size_t)b * s->zlen;
    pl_sampler_noise(s, PL_NOISE_RESAMPLE, i, b, noise);
    size_t o = (size_t)b * s->zlen;
    for (size_t k = 0; k < s->zlen; k++)
      z[o + k] = (float)(w_opt * z_opt[o + k] + w_xt * x_t[o + k] + sd * noise[k]);
  }
}

static gboolean event(PlSampler *s, const PlRunParams *p, int i, PlResampleEvent kind, float *z,
                      PlStepReport *rep, GError **error) {
  size_t n = (size_t)s->batch * s->zlen;
  gboolean dsg = p->plorg.enabled && p->plorg.resample_svd == PL_RESAMPLE_SVD_DIFFSTATEGRAD;
  float *x_t = g_memdup2(z, n * sizeof(float));
  float *z0hat = g_new(float, n), *z_opt = g_new(float, n);
  float *z_tt = dsg ? g_new(float, n) : NULL;
  float *x_tt = NULL;
  int iters = 0;
  gboolean ok = time_travel(s, p, i, x_t, z0hat, z_tt, rep, error);
  if (ok && kind == PL_RESAMPLE_EVENT_PIXEL && dsg) {
    x_tt = g_new(float, (size_t)s->batch * s->xlen);
    ok = pl_sampler_decode(s, z_tt, x_tt, rep, error);
  }
  if (ok && kind == PL_RESAMPLE_EVENT_PIXEL)
    ok = pl_resample_pixel_opt(s, p, z0hat, x_tt, z_opt, &iters, rep, error);
  else if (ok)
    ok = pl_resample_latent_opt(s, p, z0hat, dsg ? z_tt : x_t, z_opt, &iters, rep, error);
  if (ok) {
    gint64 t0 = g_get_monotonic_time();
    stochastic_resample(s, p, i, z_opt, x_t, z);
    rep->ms_other += pl_ms_since(t0);
  }
  rep->resample_event = kind;
  rep->opt_iters = iters;
  g_free(x_t);
  g_free(z0hat);
  g_free(z_opt);
  g_free(z_tt);
  g_free(x_tt);
  return ok;
}

gboolean pl_solver_resample_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                                 float *z0_out, PlStepReport *rep, GError **error) {
  size_t n = (size_t)s->batch * s->zlen;
  if (!pl_sampler_guided_forward(s, i, z, rep, error))
    return FALSE;
  double scale[PL_RUN_MAX_BATCH];
  for (int b = 0; b < s->batch; b++)
    scale[b] = p->omega * pl_sampler_abar(s, i);
  pl_sampler_data_term(s, s->x0, p->norm, scale, s->gx, rep);
  if (!pl_sampler_guided_vjp(s, s->gx, NULL, s->gz, rep, error))
    return FALSE;
  PlRunParams no_proj = *p; /* the DPS step is not projected (DiffStateGrad's code) */
  no_proj.plorg.enabled = FALSE;
  pl_sampler_project(s, &no_proj, s->gz, rep);
  gint64 t0 = g_get_monotonic_time();
  pl_sampler_ddim_update(s, p, i, z, s->za, NULL);
  memcpy(z0_out, s->z0, n * sizeof(float));
  for (size_t k = 0; k < n; k++)
    z[k] = s->za[k] - s->gz[k];
  rep->ms_other += pl_ms_since(t0);

  PlResampleEvent kind = s->event_kind[i];
  if (kind != PL_RESAMPLE_EVENT_NONE && !event(s, p, i, kind, z, rep, error))
    return FALSE;
  if (i == s->steps - 1 && p->resample.final_opt) {
    float *z_in = g_memdup2(z, n * sizeof(float));
    int iters = 0;
    gboolean ok = pl_resample_latent_opt(s, p, z_in, z_in, z, &iters, rep, error);
    g_free(z_in);
    rep->resample_event = PL_RESAMPLE_EVENT_FINAL;
    rep->opt_iters = iters;
    if (!ok)
      return FALSE;
  }
  return TRUE;
}
