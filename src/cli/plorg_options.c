/* Command-line options shared by `plorg run` and `plorg sweep`. Unset options keep the
 * engine's per-solver defaults (pl_run_params_init), so the CLI never duplicates them. */
#include "plorg_cli.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define UNSET_I (-1)
#define UNSET_SEED G_MININT64

void plorg_solver_opts_init(PlorgSolverOpts *o) {
  memset(o, 0, sizeof *o);
  o->threads = 0;
  o->steps = UNSET_I;
  o->eta = o->omega = o->gamma = o->tau = NAN;
  o->plorg_every = UNSET_I;
  o->keep_every = UNSET_I;
  o->divergence_limit = NAN;
  o->rs_event_every = o->rs_time_travel = o->rs_pixel_iters = o->rs_latent_iters = UNSET_I;
  o->rs_pixel_lr = o->rs_latent_lr = o->rs_gamma = NAN;
  o->noise_sigma = NAN;
  o->seed = 0;
  o->op_seed = UNSET_SEED;
}

void plorg_solver_opts_clear(PlorgSolverOpts *o) {
  g_free(o->model_dir);
  g_free(o->lpips_dir);
  g_free(o->device);
  g_free(o->norm);
  g_free(o->rank_rule);
  g_free(o->side);
  g_free(o->timesteps);
  g_free(o->glue_transpose);
  g_free(o->meas_noise);
  g_free(o->noise_units);
  g_free(o->resample_svd);
}

void plorg_solver_opts_add(GOptionContext *ctx, PlorgSolverOpts *o) {
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &o->model_dir,
       "Model bundle folder (default: $PLORG_MODEL_DIR or the bundled models/emoji64)", "DIR"},
      {"lpips", 0, 0, G_OPTION_ARG_FILENAME, &o->lpips_dir,
       "LPIPS bundle folder from models/export_lpips.py (default: $PLORG_LPIPS_DIR; "
       "without one LPIPS is not computed)", "DIR"},
      {"device", 0, 0, G_OPTION_ARG_STRING, &o->device, "auto, cpu or cuda (default auto)", "DEV"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "Torch threads (default 1)", "N"},
      {"steps", 0, 0, G_OPTION_ARG_INT, &o->steps, "DDIM steps (default: the solver's)", "N"},
      {"eta", 0, 0, G_OPTION_ARG_DOUBLE, &o->eta, "DDIM eta (default 0)", "ETA"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "Noise seed (default 0)", "N"},
      {"omega", 0, 0, G_OPTION_ARG_DOUBLE, &o->omega,
       "Measurement step size: PSLD omega / DPS zeta / ReSample DPS scale", "W"},
      {"gamma", 0, 0, G_OPTION_ARG_DOUBLE, &o->gamma, "PSLD gluing weight", "G"},
      {"norm", 0, 0, G_OPTION_ARG_STRING, &o->norm, "Data term: l2 (public code, default) or l2sq", "NORM"},
      {"timesteps", 0, 0, G_OPTION_ARG_STRING, &o->timesteps,
       "DDIM timesteps: ldm (k*c+1, as LDM/PSLD/ReSample code; default) or zero (k*c)", "RULE"},
      {"glue-transpose", 0, 0, G_OPTION_ARG_STRING, &o->glue_transpose,
       "PSLD gluing's A^T: official (the code's transpose: nearest upsampling for SR, identity "
       "otherwise; default) or adjoint (exact)", "MODE"},
      {"meas-noise", 0, 0, G_OPTION_ARG_STRING, &o->meas_noise,
       "PSLD measurement term: noised (||noiser(A(D(z0))) - y||, the code; default) or clean",
       "MODE"},
      {"tau", 0, 0, G_OPTION_ARG_DOUBLE, &o->tau, "PLoRG variance threshold (default 0.99)", "TAU"},
      {"rank-rule", 0, 0, G_OPTION_ARG_STRING, &o->rank_rule,
       "PLoRG rank rule: paper (per channel, default) or pooled (reference code)", "RULE"},
      {"side", 0, 0, G_OPTION_ARG_STRING, &o->side, "PLoRG projection: both (default), left, right", "SIDE"},
      {"plorg-every", 0, 0, G_OPTION_ARG_INT, &o->plorg_every,
       "ReSample: project every F-th optimiser iteration (default 1)", "F"},
      {"plorg-resample-svd", 0, 0, G_OPTION_ARG_STRING, &o->resample_svd,
       "PLoRG-ReSample: SVD of the state before time travel, latent optimisation only (paper, "
       "default: Algorithm 5), or of the time-travelled latent and its decoding, latent and pixel "
       "optimisation (diffstategrad: the public code)", "WHERE"},
      {"keep-every", 0, 0, G_OPTION_ARG_INT, &o->keep_every, "Keep the latent every k-th step (default 1)", "K"},
      {"divergence-limit", 0, 0, G_OPTION_ARG_DOUBLE, &o->divergence_limit,
       "Stop when max |z| exceeds this (default 1000)", "L"},
      {"events-every", 0, 0, G_OPTION_ARG_INT, &o->rs_event_every,
       "ReSample: hard data consistency every k-th step (default 10)", "K"},
      {"time-travel", 0, 0, G_OPTION_ARG_INT, &o->rs_time_travel,
       "ReSample: DDIM steps run ahead at an event (default 5)", "N"},
      {"pixel-iters", 0, 0, G_OPTION_ARG_INT, &o->rs_pixel_iters,
       "ReSample: pixel-space AdamW iterations at most (default 2000)", "N"},
      {"latent-iters", 0, 0, G_OPTION_ARG_INT, &o->rs_latent_iters,
       "ReSample: latent-space AdamW iterations at most (default 100; reference 500)", "N"},
      {"pixel-lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->rs_pixel_lr, "ReSample: pixel AdamW lr (1e-2)", "LR"},
      {"latent-lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->rs_latent_lr, "ReSample: latent AdamW lr (5e-3)", "LR"},
      {"resample-gamma", 0, 0, G_OPTION_ARG_DOUBLE, &o->rs_gamma,
       "ReSample: resampling variance scale (default 40)", "G"},
      {"no-final-opt", 0, 0, G_OPTION_ARG_NONE, &o->rs_no_final_opt,
       "ReSample: skip the final latent optimisation", NULL},
      {"noise-sigma", 0, 0, G_OPTION_ARG_DOUBLE, &o->noise_sigma,
       "Measurement noise std in --noise-units (default 0.01)", "S"},
      {"noise-units", 0, 0, G_OPTION_ARG_STRING, &o->noise_units,
       "Units of --noise-sigma: model (images in [-1,1], the public code; default) or unit "
       "(images in [0,1], the paper: twice the std in [-1,1])", "UNITS"},
      {"op-seed", 0, 0, G_OPTION_ARG_INT64, &o->op_seed,
       "Degradation seed: box placement, random mask, motion kernel, noise (default: --seed)", "N"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_option_context_add_main_entries(ctx, entries, NULL); /* copied by GLib */
}

static gboolean usage(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean usage(GError **error, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, msg);
  g_free(msg);
  return FALSE;
}

gboolean plorg_solver_opts_model_params(const PlorgSolverOpts *o, PlModelParams *mp,
                                        GError **error) {
  pl_model_params_init(mp);
  if (o->threads < 0)
    return usage(error, "--threads must be >= 0");
  mp->threads = o->threads;
  if (!o->device || !g_ascii_strcasecmp(o->device, "auto"))
    mp->device = PLSHIM_DEVICE_AUTO;
  else if (!g_ascii_strcasecmp(o->device, "cpu"))
    mp->device = PLSHIM_DEVICE_CPU;
  else if (!g_ascii_strcasecmp(o->device, "cuda"))
    mp->device = PLSHIM_DEVICE_CUDA;
  else
    return usage(error, "--device must be auto, cpu or cuda, not \"%s\"", o->device);
  return TRUE;
}

gboolean plorg_solver_opts_apply(const PlorgSolverOpts *o, PlSolver solver, gboolean plorg,
                                 PlRunParams *p, GError **error) {
  pl_run_params_init(p, solver);
  if (o->steps != UNSET_I) p->steps = o->steps;
  if (!isnan(o->eta)) p->eta = o->eta;
  if (o->seed < 0)
    return usage(error, "--seed must be >= 0");
  p->seed = (guint64)o->seed;
  if (!isnan(o->omega)) p->omega = o->omega;
  if (!isnan(o->gamma)) p->gamma = o->gamma;
  if (o->norm && !pl_norm_from_name(o->norm, &p->norm))
    return usage(error, "--norm must be l2 or l2sq, not \"%s\"", o->norm);
  if (o->timesteps && !pl_timestep_rule_from_name(o->timesteps, &p->timesteps))
    return usage(error, "--timesteps must be ldm or zero, not \"%s\"", o->timesteps);
  if (o->glue_transpose && !pl_glue_transpose_from_name(o->glue_transpose, &p->glue_transpose))
    return usage(error, "--glue-transpose must be official or adjoint, not \"%s\"",
                 o->glue_transpose);
  if (o->meas_noise && !pl_meas_noise_from_name(o->meas_noise, &p->meas_noise))
    return usage(error, "--meas-noise must be noised or clean, not \"%s\"", o->meas_noise);
  if (o->noise_units && !pl_noise_units_from_name(o->noise_units, NULL))
    return usage(error, "--noise-units must be model or unit, not \"%s\"", o->noise_units);
  p->plorg.enabled = plorg;
  if (!isnan(o->tau)) p->plorg.proj.tau = o->tau;
  if (o->rank_rule && !pl_rank_rule_from_name(o->rank_rule, &p->plorg.proj.rule))
    return usage(error, "--rank-rule must be paper or pooled, not \"%s\"", o->rank_rule);
  if (o->side && !pl_projection_side_from_name(o->side, &p->plorg.proj.side))
    return usage(error, "--side must be both, left or right, not \"%s\"", o->side);
  if (o->plorg_every != UNSET_I) p->plorg.every = o->plorg_every;
  if (o->resample_svd && !pl_resample_svd_from_name(o->resample_svd, &p->plorg.resample_svd))
    return usage(error, "--plorg-resample-svd must be paper or diffstategrad, not \"%s\"",
                 o->resample_svd);
  if (o->keep_every != UNSET_I) p->keep_every = o->keep_every;
  if (!isnan(o->divergence_limit)) p->divergence_limit = o->divergence_limit;
  PlResampleParams *r = &p->resample;
  if (o->rs_event_every != UNSET_I) r->event_every = o->rs_event_every;
  if (o->rs_time_travel != UNSET_I) r->time_travel = o->rs_time_travel;
  if (o->rs_pixel_iters != UNSET_I) r->pixel_max_iters = o->rs_pixel_iters;
  if (o->rs_latent_iters != UNSET_I) r->latent_max_iters = o->rs_latent_iters;
  if (!isnan(o->rs_pixel_lr)) r->pixel_lr = o->rs_pixel_lr;
  if (!isnan(o->rs_latent_lr)) r->latent_lr = o->rs_latent_lr;
  if (!isnan(o->rs_gamma)) r->gamma = o->rs_gamma;
  if (o->rs_no_final_opt) r->final_opt = FALSE;
  return TRUE;
}

PlLpips *plorg_solver_opts_load_lpips(const PlorgSolverOpts *o, const PlModelParams *mp,
                                      int image_size, GError **error) {
  const char *dir = o->lpips_dir && *o->lpips_dir ? o->lpips_dir : pl_lpips_default_dir();
  if (!dir)
    return NULL;
  PlLpips *net = pl_lpips_load(dir, mp, error);
  if (net && !pl_lpips_check_size(net, image_size, error)) {
    pllpips_free(net);
    net = NULL;
  }
  return net;
}

void plorg_solver_opts_operator(const PlorgSolverOpts *o, PlTask task, int size, guint64 seed,
                                PlOperatorParams *op) {
  pl_operator_params_init(op, task, size);
  if (!isnan(o->noise_sigma))
    op->noise_sigma = o->noise_sigma;
  if (o->noise_units) /* checked in plorg_solver_opts_apply */
    pl_noise_units_from_name(o->noise_units, &op->noise_units);
  op->seed = o->op_seed != UNSET_SEED ? (guint64)o->op_seed : seed;
}

PlImage *plorg_load_image(const char *path, int size, GError **error) {
  PlImage *img = pl_image_load(path, error);
  if (!img)
    return NULL;
  PlImage *fit = pl_image_fit_square(img, size, PL_FIT_CENTER_CROP);
  pl_image_free(img);
  return fit;
}

int plorg_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "plorg %s: %s\n(see plorg %s --help)\n", cmd, msg, cmd);
  g_free(msg);
  return PLORG_EXIT_USAGE;
}

int plorg_failure(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "plorg %s: error: %s\n", cmd, msg);
  g_free(msg);
  return PLORG_EXIT_FAILURE;
}

char **plorg_split_list(const char *s) {
  GPtrArray *out = g_ptr_array_new();
  if (s) {
    char **parts = g_strsplit(s, ",", -1);
    for (char **q = parts; *q; q++) {
      char *t = g_strstrip(g_strdup(*q));
      if (*t)
        g_ptr_array_add(out, t);
      else
        g_free(t);
    }
    g_strfreev(parts);
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);
}
