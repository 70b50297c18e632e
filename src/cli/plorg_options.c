/* Command-line options shared by `plorg run` and `plorg sweep`. Unset options keep the
 * engine's per-solver defaults (pl_run_params_init), so the CLI never duplicates them. */
#include "plorg_cli.h"
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Numeric options are parsed here, not by GOption's G_OPTION_ARG_INT/DOUBLE: those
 * accept "nan", out-of-range and sentinel values that used to mean "not set" (NaN and
 * -1), so --omega nan ran with the default and --steps -1 ran 250 steps. Each option is
 * parsed strictly, checked against its range (a usage error naming the option and the
 * range) and recorded as given. GOption hands a callback only its group's user data, and
 * the subcommand owns the main group, so the options being filled are kept here (the
 * CLI parses one command line per process). */
typedef enum { NUM_INT, NUM_INT64, NUM_DOUBLE } NumKind;
typedef struct {
  const char *name;      /* long option */
  NumKind kind;
  size_t offset;         /* into PlorgSolverOpts */
  double min, max;       /* inclusive, unless min_open */
  gboolean min_open;
} NumOpt;

#define OFF(f) offsetof(PlorgSolverOpts, f)
#define BIG 1.7976931348623157e308
static const NumOpt num_opts[] = {
    {"threads", NUM_INT, OFF(threads), 0, 0 /* the machine's processors, below */, FALSE},
    {"steps", NUM_INT, OFF(steps), 1, PL_RUN_MAX_STEPS, FALSE},
    {"eta", NUM_DOUBLE, OFF(eta), 0, 1, FALSE},
    {"seed", NUM_INT64, OFF(seed), 0, (double)G_MAXINT64, FALSE},
    {"omega", NUM_DOUBLE, OFF(omega), 0, BIG, FALSE},
    {"gamma", NUM_DOUBLE, OFF(gamma), 0, BIG, FALSE},
    {"tau", NUM_DOUBLE, OFF(tau), 0, 1, TRUE},
    {"plorg-every", NUM_INT, OFF(plorg_every), 1, PL_RUN_MAX_OPT_ITERS, FALSE},
    {"keep-every", NUM_INT, OFF(keep_every), 1, PL_RUN_MAX_STEPS, FALSE},
    {"divergence-limit", NUM_DOUBLE, OFF(divergence_limit), 0, BIG, TRUE},
    {"events-every", NUM_INT, OFF(rs_event_every), 1, PL_RUN_MAX_STEPS, FALSE},
    {"time-travel", NUM_INT, OFF(rs_time_travel), 1, PL_RUN_MAX_STEPS, FALSE},
    {"pixel-iters", NUM_INT, OFF(rs_pixel_iters), 0, PL_RUN_MAX_OPT_ITERS, FALSE},
    {"latent-iters", NUM_INT, OFF(rs_latent_iters), 0, PL_RUN_MAX_OPT_ITERS, FALSE},
    {"pixel-lr", NUM_DOUBLE, OFF(rs_pixel_lr), 0, BIG, TRUE},
    {"latent-lr", NUM_DOUBLE, OFF(rs_latent_lr), 0, BIG, TRUE},
    {"resample-gamma", NUM_DOUBLE, OFF(rs_gamma), 0, BIG, TRUE},
    {"noise-sigma", NUM_DOUBLE, OFF(noise_sigma), 0, BIG, FALSE},
    {"op-seed", NUM_INT64, OFF(op_seed), 0, (double)G_MAXINT64, FALSE},
};

static PlorgSolverOpts *parsing = NULL;

static int max_threads(void) { return MAX(1, (int)g_get_num_processors()); }

static char *range_text(const NumOpt *n, double max) {
  char lo[40], hi[40];
  if (n->kind == NUM_DOUBLE) {
    g_ascii_formatd(lo, sizeof lo, "%g", n->min);
    if (max >= BIG)
      g_strlcpy(hi, "a finite number", sizeof hi);
    else
      g_ascii_formatd(hi, sizeof hi, "%g", max);
    return max >= BIG ? g_strdup_printf("%s %s", n->min_open ? ">" : ">=", lo)
                      : g_strdup_printf("%s%s, %s]", n->min_open ? "(" : "[", lo, hi);
  }
  return g_strdup_printf("[%.0f, %.0f]", n->min, max);
}

static gboolean parse_num_cb(const char *option_name, const char *value, gpointer data,
                             GError **error) {
  (void)data;
  const char *name = option_name + (option_name[0] == '-' && option_name[1] == '-' ? 2 : 0);
  for (size_t k = 0; k < G_N_ELEMENTS(num_opts); k++) {
    const NumOpt *n = &num_opts[k];
    if (strcmp(n->name, name) != 0)
      continue;
    double max = n->offset == OFF(threads) ? max_threads() : n->max;
    void *field = (char *)parsing + n->offset;
    gboolean ok = FALSE;
    char *range = range_text(n, max);
    char *end = NULL;
    if (n->kind == NUM_DOUBLE) {
      double d = g_ascii_strtod(value, &end);
      ok = end != value && *end == '\0' && isfinite(d) && d <= max &&
           (n->min_open ? d > n->min : d >= n->min);
      if (ok)
        *(double *)field = d;
    } else {
      gint64 v = 0;
      ok = g_ascii_string_to_signed(value, 10, (gint64)n->min,
                                    n->kind == NUM_INT64 ? G_MAXINT64 : (gint64)max, &v, NULL);
      if (ok && n->kind == NUM_INT)
        *(int *)field = (int)v;
      else if (ok)
        *(gint64 *)field = v;
    }
    if (!ok)
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "--%s must be %s %s, not \"%s\"", n->name,
                  n->kind == NUM_DOUBLE ? "a number" : "a whole number in", range, value);
    else
      g_hash_table_add(parsing->given, (gpointer)n->name);
    g_free(range);
    return ok;
  }
  g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "internal: no parser for %s",
              option_name);
  return FALSE;
}

gboolean plorg_solver_opts_given(const PlorgSolverOpts *o, const char *name) {
  return o->given && g_hash_table_contains(o->given, name);
}

void plorg_solver_opts_init(PlorgSolverOpts *o) {
  memset(o, 0, sizeof *o);
  o->given = g_hash_table_new(g_str_hash, g_str_equal);
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
  g_clear_pointer(&o->given, g_hash_table_unref);
  if (parsing == o)
    parsing = NULL;
}

#define NUM(name, help, arg) {name, 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)parse_num_cb, help, arg}

void plorg_solver_opts_add(GOptionContext *ctx, PlorgSolverOpts *o) {
  parsing = o;
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &o->model_dir,
       "Model bundle folder (default: $PLORG_MODEL_DIR or the bundled models/emoji64)", "DIR"},
      {"lpips", 0, 0, G_OPTION_ARG_FILENAME, &o->lpips_dir,
       "LPIPS bundle folder from models/export_lpips.py (default: $PLORG_LPIPS_DIR; "
       "without one LPIPS is not computed)", "DIR"},
      {"device", 0, 0, G_OPTION_ARG_STRING, &o->device, "auto, cpu or cuda (default auto)", "DEV"},
      NUM("threads", "Torch threads, at most the machine's processors (default 1)", "N"),
      NUM("steps", "DDIM steps (default: the solver's)", "N"),
      NUM("eta", "DDIM eta in [0,1] (default 0)", "ETA"),
      NUM("seed", "Noise seed >= 0 (default 0)", "N"),
      NUM("omega", "Measurement step size: PSLD omega / DPS zeta / ReSample DPS scale", "W"),
      NUM("gamma", "PSLD gluing weight", "G"),
      {"norm", 0, 0, G_OPTION_ARG_STRING, &o->norm, "Data term: l2 (public code, default) or l2sq", "NORM"},
      {"timesteps", 0, 0, G_OPTION_ARG_STRING, &o->timesteps,
       "DDIM timesteps: ldm (k*c+1, as LDM/PSLD/ReSample code; default) or zero (k*c)", "RULE"},
      {"glue-transpose", 0, 0, G_OPTION_ARG_STRING, &o->glue_transpose,
       "PSLD gluing's A^T: official (the code's transpose: nearest upsampling for SR, identity "
       "otherwise; default) or adjoint (exact)", "MODE"},
      {"meas-noise", 0, 0, G_OPTION_ARG_STRING, &o->meas_noise,
       "PSLD measurement term: noised (||noiser(A(D(z0))) - y||, the code; default) or clean",
       "MODE"},
      NUM("tau", "PLoRG variance threshold in (0,1] (default 0.99)", "TAU"),
      {"rank-rule", 0, 0, G_OPTION_ARG_STRING, &o->rank_rule,
       "PLoRG rank rule: paper (per channel, default) or pooled (reference code)", "RULE"},
      {"side", 0, 0, G_OPTION_ARG_STRING, &o->side, "PLoRG projection: both (default), left, right", "SIDE"},
      NUM("plorg-every", "ReSample: project every F-th optimiser iteration (default 1)", "F"),
      {"plorg-resample-svd", 0, 0, G_OPTION_ARG_STRING, &o->resample_svd,
       "PLoRG-ReSample: SVD of the state before time travel, latent optimisation only (paper, "
       "default: Algorithm 5), or of the time-travelled latent and its decoding, latent and pixel "
       "optimisation (diffstategrad: the public code)", "WHERE"},
      NUM("keep-every", "Keep the latent every k-th step (default 1)", "K"),
      NUM("divergence-limit", "Stop when max |z| exceeds this (default 1000)", "L"),
      NUM("events-every", "ReSample: hard data consistency every k-th step (default 10)", "K"),
      NUM("time-travel", "ReSample: DDIM steps run ahead at an event (default 5)", "N"),
      NUM("pixel-iters", "ReSample: pixel-space AdamW iterations at most (default 2000)", "N"),
      NUM("latent-iters", "ReSample: latent-space AdamW iterations at most (default 100; reference 500)", "N"),
      NUM("pixel-lr", "ReSample: pixel AdamW lr (1e-2)", "LR"),
      NUM("latent-lr", "ReSample: latent AdamW lr (5e-3)", "LR"),
      NUM("resample-gamma", "ReSample: resampling variance scale (default 40)", "G"),
      {"no-final-opt", 0, 0, G_OPTION_ARG_NONE, &o->rs_no_final_opt,
       "ReSample: skip the final latent optimisation", NULL},
      NUM("noise-sigma", "Measurement noise std in --noise-units (default 0.01)", "S"),
      {"noise-units", 0, 0, G_OPTION_ARG_STRING, &o->noise_units,
       "Units of --noise-sigma: model (images in [-1,1], the public code; default) or unit "
       "(images in [0,1], the paper: twice the std in [-1,1])", "UNITS"},
      NUM("op-seed", "Degradation seed: box placement, random mask, motion kernel, noise (default: --seed)", "N"),
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
  mp->threads = o->threads; /* 0..processors, checked when parsed */
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

#define GIVEN(name) plorg_solver_opts_given(o, name)

gboolean plorg_solver_opts_apply(const PlorgSolverOpts *o, PlSolver solver, gboolean plorg,
                                 PlRunParams *p, GError **error) {
  pl_run_params_init(p, solver);
  if (GIVEN("steps")) p->steps = o->steps;
  if (GIVEN("eta")) p->eta = o->eta;
  p->seed = (guint64)o->seed;
  if (GIVEN("omega")) p->omega = o->omega;
  if (GIVEN("gamma")) p->gamma = o->gamma;
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
  if (GIVEN("tau")) p->plorg.proj.tau = o->tau;
  if (o->rank_rule && !pl_rank_rule_from_name(o->rank_rule, &p->plorg.proj.rule))
    return usage(error, "--rank-rule must be paper or pooled, not \"%s\"", o->rank_rule);
  if (o->side && !pl_projection_side_from_name(o->side, &p->plorg.proj.side))
    return usage(error, "--side must be both, left or right, not \"%s\"", o->side);
  if (GIVEN("plorg-every")) p->plorg.every = o->plorg_every;
  if (o->resample_svd && !pl_resample_svd_from_name(o->resample_svd, &p->plorg.resample_svd))
    return usage(error, "--plorg-resample-svd must be paper or diffstategrad, not \"%s\"",
                 o->resample_svd);
  if (GIVEN("keep-every")) p->keep_every = o->keep_every;
  if (GIVEN("divergence-limit")) p->divergence_limit = o->divergence_limit;
  PlResampleParams *r = &p->resample;
  if (GIVEN("events-every")) r->event_every = o->rs_event_every;
  if (GIVEN("time-travel")) r->time_travel = o->rs_time_travel;
  if (GIVEN("pixel-iters")) r->pixel_max_iters = o->rs_pixel_iters;
  if (GIVEN("latent-iters")) r->latent_max_iters = o->rs_latent_iters;
  if (GIVEN("pixel-lr")) r->pixel_lr = o->rs_pixel_lr;
  if (GIVEN("latent-lr")) r->latent_lr = o->rs_latent_lr;
  if (GIVEN("resample-gamma")) r->gamma = o->rs_gamma;
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
  if (GIVEN("noise-sigma"))
    op->noise_sigma = o->noise_sigma;
  if (o->noise_units) /* checked in plorg_solver_opts_apply */
    pl_noise_units_from_name(o->noise_units, &op->noise_units);
  op->seed = GIVEN("op-seed") ? (guint64)o->op_seed : seed;
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
