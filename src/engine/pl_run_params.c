/* Run parameters: per-solver defaults, names, and validation against a model.
 *
 * Defaults. The references run 1000 (PSLD) and 500 (ReSample) DDIM steps on LDM-VQ-4 at
 * 256x256. The bundled model is small (64x64, latent 3x16x16) and the CLI and app should
 * finish a run in tens of seconds on a laptop CPU, so every DDIM-based solver defaults to
 * 250 steps ("quick"). Step sizes were chosen with `plorg sweep` on 3 held-out images
 * (box inpainting and 4x SR, emoji64 with its UNet at 3000 steps; numbers in the engine
 * issue note):
 * - PSLD omega: mean PSNR at 250 steps was 23.5 / 24.5 / 24.2 dB (box) and 22.9 / 24.3 /
 *   25.1 dB (SR) for omega 0.2 / 0.5 / 1; 0.5 is the best compromise. The reference's
 *   0.1 is tuned for 1000 steps and 256x256 images: here it under-guides (box 21.9 dB,
 *   SR 19.4 dB at 100 steps). The guidance a run receives grows with the step count, so
 *   with N steps start near 0.5 * 250 / N. gamma stays at the reference's 0.1.
 * - Latent-DPS zeta: DPS's public configs use 1.0. At 250 steps on 2 images zeta 0.3 / 1 /
 *   3 gave 21.8 / 14.7 / 13.8 dB (box) and 21.9 / 23.1 / 16.6 dB (SR): 0.3 is the safer
 *   default (1 collapses box inpainting).
 * - ReSample: the reference's latent DPS step 0.5 * abar_t, resampling gamma 40, AdamW
 *   settings and event window rule, except the latent optimisation's iteration limit:
 *   100 instead of 500. At 100 steps on 2 images, 100 iterations gave 21.4 dB (box) and
 *   24.0 dB (SR) against 17.6 and 23.3 dB with 500, in a third of the time (500 its
 *   over-fit the measurement in latent space; the reference's own comment suggests 200
 *   for inpainting). --latent-iters 500 restores the reference.
 */
#include "pl_run.h"
#include <math.h>
#include <string.h>

/* Chosen on the bundled model, see the comment at the top of this file. */
#define PL_QUICK_STEPS 250
#define PL_PSLD_OMEGA 0.5
#define PL_PSLD_GAMMA 0.1
#define PL_DPS_ZETA 0.3
#define PL_RESAMPLE_LATENT_ITERS 100
#define PL_RESAMPLE_STEPS 250
#define PL_RESAMPLE_DPS_SCALE 0.5

static const char *const resample_svd_names[] = {"paper", "diffstategrad"};

const char *pl_resample_svd_name(PlResampleSvd v) {
  return (unsigned)v < G_N_ELEMENTS(resample_svd_names) ? resample_svd_names[v] : "unknown";
}

gboolean pl_resample_svd_from_name(const char *name, PlResampleSvd *out) {
  for (unsigned i = 0; name && i < G_N_ELEMENTS(resample_svd_names); i++)
    if (g_ascii_strcasecmp(name, resample_svd_names[i]) == 0) {
      *out = (PlResampleSvd)i;
      return TRUE;
    }
  return FALSE;
}

const char *pl_run_state_name(PlRunState s) {
  switch (s) {
  case PL_RUN_IDLE: return "idle";
  case PL_RUN_RUNNING: return "running";
  case PL_RUN_PAUSED: return "paused";
  case PL_RUN_FINISHED: return "finished";
  case PL_RUN_CANCELLED: return "cancelled";
  case PL_RUN_DIVERGED: return "diverged";
  case PL_RUN_FAILED: return "failed";
  }
  return "unknown";
}

const char *pl_meas_noise_name(PlMeasNoise m) { return m == PL_MEAS_CLEAN ? "clean" : "noised"; }

gboolean pl_meas_noise_from_name(const char *name, PlMeasNoise *out) {
  PlMeasNoise v;
  if (g_strcmp0(name, "noised") == 0)
    v = PL_MEAS_NOISED;
  else if (g_strcmp0(name, "clean") == 0)
    v = PL_MEAS_CLEAN;
  else
    return FALSE;
  if (out)
    *out = v;
  return TRUE;
}

static void resample_params_init(PlResampleParams *r) {
  r->event_every = 10;
  r->window_start = -1;
  r->window_end = -1;
  r->pixel_events = -1;
  r->time_travel = 5;      /* the reference sets inter_timesteps = 5 */
  r->pixel_max_iters = 2000;
  r->pixel_lr = 1e-2;
  r->latent_max_iters = PL_RESAMPLE_LATENT_ITERS; /* reference 500, see the top */
  r->latent_lr = 5e-3;
  r->stop_loss = 1e-6;     /* eps^2 with eps = 1e-3, on the MSE, for both stages */
  r->gamma = 40.0;
  r->weight_decay = 1e-2;
  r->final_opt = TRUE;
  r->loss_window = 200;
}

void pl_run_params_init(PlRunParams *p, PlSolver solver) {
  memset(p, 0, sizeof *p);
  p->solver = solver;
  p->steps = PL_QUICK_STEPS;
  p->eta = 0.0;
  p->seed = 0;
  p->batch = 1;
  p->norm = PL_NORM_L2;
  /* the public code's choices, docs/FIDELITY.md items 1, 2, 5 */
  p->timesteps = PL_TIMESTEPS_LDM;
  p->glue_transpose = PL_GLUE_OFFICIAL;
  p->meas_noise = PL_MEAS_NOISED;
  p->omega = 0.0;
  p->gamma = 0.0;
  p->plorg.enabled = FALSE;
  pl_projection_params_init(&p->plorg.proj);
  p->plorg.every = 1;
  p->plorg.resample_svd = PL_RESAMPLE_SVD_PAPER;
  resample_params_init(&p->resample);
  p->preview_every = 0;
  p->keep_every = 1;
  p->divergence_limit = 1e3;
  p->start_step = 0;
  switch (solver) {
  case PL_SOLVER_DDPM:
    p->steps = 1000; /* all T steps; fewer steps fall back to DDIM with eta 1 (pl_solver_uncond.c) */
    p->eta = 1.0;
    break;
  case PL_SOLVER_DPS:
    p->omega = PL_DPS_ZETA;
    break;
  case PL_SOLVER_PSLD:
    p->omega = PL_PSLD_OMEGA;
    p->gamma = PL_PSLD_GAMMA;
    break;
  case PL_SOLVER_RESAMPLE:
    p->steps = PL_RESAMPLE_STEPS;
    p->omega = PL_RESAMPLE_DPS_SCALE;
    break;
  default:
    break;
  }
}

#define INVALID(...)                                                                   \
  do {                                                                                 \
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, __VA_ARGS__);        \
    return FALSE;                                                                      \
  } while (0)

/* Every field, with the allowed range in the message (they reach here from files, the
 * CLI and the app). Integer fields are compared before any arithmetic on them, so no
 * value can overflow (e.g. i + time_travel in pl_solver_resample.c). */
gboolean pl_run_params_validate(const PlRunParams *p, int T, GError **error) {
  if ((unsigned)p->solver >= PL_SOLVER_COUNT)
    INVALID("unknown solver %d", (int)p->solver);
  if (p->steps < 1 || p->steps > T)
    INVALID("steps must be between 1 and %d (the model's T), not %d", T, p->steps);
  if (!(p->eta >= 0.0 && p->eta <= 1.0))
    INVALID("eta must be in [0,1], not %g", p->eta);
  if (p->batch < 1 || p->batch > PL_RUN_MAX_BATCH)
    INVALID("batch must be between 1 and %d, not %d", PL_RUN_MAX_BATCH, p->batch);
  if (!isfinite(p->omega) || p->omega < 0.0)
    INVALID("the step size (omega) must be a finite number >= 0, not %g", p->omega);
  if (!isfinite(p->gamma) || p->gamma < 0.0)
    INVALID("gamma must be a finite number >= 0, not %g", p->gamma);
  if (p->norm != PL_NORM_L2 && p->norm != PL_NORM_L2_SQUARED)
    INVALID("unknown norm %d", (int)p->norm);
  if (p->timesteps != PL_TIMESTEPS_LDM && p->timesteps != PL_TIMESTEPS_ZERO)
    INVALID("unknown timestep rule %d (ldm or zero)", (int)p->timesteps);
  if (p->glue_transpose != PL_GLUE_OFFICIAL && p->glue_transpose != PL_GLUE_ADJOINT)
    INVALID("unknown gluing transpose %d (official or adjoint)", (int)p->glue_transpose);
  if (p->meas_noise != PL_MEAS_NOISED && p->meas_noise != PL_MEAS_CLEAN)
    INVALID("unknown measurement-term noise %d (noised or clean)", (int)p->meas_noise);
  if (!(p->plorg.proj.tau > 0.0 && p->plorg.proj.tau <= 1.0))
    INVALID("tau must be in (0,1], not %g", p->plorg.proj.tau);
  if (p->plorg.every < 1 || p->plorg.every > PL_RUN_MAX_OPT_ITERS)
    INVALID("the PLoRG frequency F must be between 1 and %d, not %d", PL_RUN_MAX_OPT_ITERS,
            p->plorg.every);
  if (p->keep_every < 1 || p->keep_every > PL_RUN_MAX_STEPS)
    INVALID("keep_every must be between 1 and %d, not %d", PL_RUN_MAX_STEPS, p->keep_every);
  if (p->preview_every < 0 || p->preview_every > PL_RUN_MAX_STEPS)
    INVALID("preview_every must be between 0 and %d, not %d", PL_RUN_MAX_STEPS, p->preview_every);
  if (!(p->divergence_limit > 0.0) || isnan(p->divergence_limit))
    INVALID("divergence_limit must be > 0 (inf: no limit), not %g", p->divergence_limit);
  if (p->plorg.resample_svd != PL_RESAMPLE_SVD_PAPER &&
      p->plorg.resample_svd != PL_RESAMPLE_SVD_DIFFSTATEGRAD)
    INVALID("unknown ReSample SVD placement %d", (int)p->plorg.resample_svd);
  if (p->start_step < 0 || p->start_step >= p->steps)
    INVALID("start_step must be between 0 and steps-1 (%d), not %d", p->steps - 1, p->start_step);
  const PlResampleParams *r = &p->resample;
  if (p->solver == PL_SOLVER_RESAMPLE) {
    /* intervals longer than the run are harmless (no event / clamped): bounded by the
     * largest schedule only */
    const int M = PL_RUN_MAX_STEPS;
    if (r->event_every < 1 || r->event_every > M)
      INVALID("ReSample's event interval must be between 1 and %d, not %d", M, r->event_every);
    if (r->time_travel < 1 || r->time_travel > M)
      INVALID("ReSample's time travel must be between 1 and %d steps, not %d", M, r->time_travel);
    if (r->window_start < -1 || r->window_start > M || r->window_end < -1 || r->window_end > M)
      INVALID("ReSample's event window ends must be -1 (the reference's rule) or between 0 "
              "and %d, not %d..%d", M, r->window_start, r->window_end);
    if (r->pixel_events < -1 || r->pixel_events > M)
      INVALID("ReSample's pixel events must be -1 (the reference's rule) or between 0 and %d, "
              "not %d", M, r->pixel_events);
    if (r->pixel_max_iters < 0 || r->pixel_max_iters > PL_RUN_MAX_OPT_ITERS)
      INVALID("ReSample's pixel iteration limit must be between 0 and %d, not %d",
              PL_RUN_MAX_OPT_ITERS, r->pixel_max_iters);
    if (r->latent_max_iters < 0 || r->latent_max_iters > PL_RUN_MAX_OPT_ITERS)
      INVALID("ReSample's latent iteration limit must be between 0 and %d, not %d",
              PL_RUN_MAX_OPT_ITERS, r->latent_max_iters);
    if (!(r->pixel_lr > 0.0 && isfinite(r->pixel_lr)))
      INVALID("ReSample's pixel learning rate must be a finite number > 0, not %g", r->pixel_lr);
    if (!(r->latent_lr > 0.0 && isfinite(r->latent_lr)))
      INVALID("ReSample's latent learning rate must be a finite number > 0, not %g", r->latent_lr);
    if (!(r->gamma > 0.0 && isfinite(r->gamma)))
      INVALID("ReSample's resampling gamma must be a finite number > 0, not %g", r->gamma);
    if (!(r->weight_decay >= 0.0 && isfinite(r->weight_decay)))
      INVALID("ReSample's weight decay must be a finite number >= 0, not %g", r->weight_decay);
    if (!(r->stop_loss >= 0.0 && isfinite(r->stop_loss)))
      INVALID("ReSample's stop loss must be a finite number >= 0, not %g", r->stop_loss);
    if (r->loss_window < 1 || r->loss_window > PL_RUN_MAX_OPT_ITERS)
      INVALID("ReSample's loss window must be between 1 and %d, not %d", PL_RUN_MAX_OPT_ITERS,
              r->loss_window);
  }
  return TRUE;
}
