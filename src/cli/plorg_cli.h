/* Shared pieces of the `plorg` subcommands: exit codes, solver/degradation options,
 * image loading, the progress bar. */
#pragma once
#include <glib.h>
#include "pl_run.h"
#include "pl_lpips.h"

G_BEGIN_DECLS

enum {
  PLORG_EXIT_OK = 0,
  PLORG_EXIT_FAILURE = 1,  /* runtime failure (message on stderr) */
  PLORG_EXIT_USAGE = 2,    /* bad command line (message says what to fix) */
  PLORG_EXIT_DIVERGED = 3, /* the run diverged (NaN/Inf or exploding latent) */
};

int plorg_cmd_run(int argc, char **argv);
int plorg_cmd_sweep(int argc, char **argv);
int plorg_cmd_info(int argc, char **argv);

/* Options shared by run and sweep: model, device, solver settings. Strings are owned
 * by the GOptionContext machinery (g_free them with plorg_solver_opts_clear). */
typedef struct {
  char *model_dir;
  char *lpips_dir;         /* --lpips; NULL: $PLORG_LPIPS_DIR or none */
  char *device;
  int threads;
  int steps;
  double eta;
  gint64 seed;
  double omega, gamma, tau;
  char *norm, *rank_rule, *side;
  char *timesteps, *glue_transpose, *meas_noise, *noise_units; /* docs/FIDELITY.md */
  int plorg_every;
  char *resample_svd;      /* --plorg-resample-svd */
  int keep_every;
  double divergence_limit;
  /* ReSample */
  int rs_event_every, rs_time_travel, rs_pixel_iters, rs_latent_iters;
  double rs_pixel_lr, rs_latent_lr, rs_gamma;
  gboolean rs_no_final_opt;
  /* degradation */
  double noise_sigma;
  gint64 op_seed;
  GHashTable *given;       /* long names of the numeric options on the command line */
} PlorgSolverOpts;

/* TRUE when the numeric option `name` ("steps", "omega", ...) was given: values are
 * range-checked as parsed, so no value stands for "not set". */
gboolean plorg_solver_opts_given(const PlorgSolverOpts *o, const char *name);

void plorg_solver_opts_init(PlorgSolverOpts *o);
void plorg_solver_opts_clear(PlorgSolverOpts *o);
/* Adds the shared options to ctx's main group (so --help lists them). */
void plorg_solver_opts_add(GOptionContext *ctx, PlorgSolverOpts *o);
/* Fill run parameters for `solver` from the options (unset ones keep the solver's
 * defaults). FALSE with a usage message on bad values. */
gboolean plorg_solver_opts_apply(const PlorgSolverOpts *o, PlSolver solver, gboolean plorg,
                                 PlRunParams *p, GError **error);
gboolean plorg_solver_opts_model_params(const PlorgSolverOpts *o, PlModelParams *mp,
                                        GError **error);
/* The LPIPS network of --lpips (else $PLORG_LPIPS_DIR), loaded like the model (mp) and
 * checked against the model's image size. NULL without error when neither names one. */
PlLpips *plorg_solver_opts_load_lpips(const PlorgSolverOpts *o, const PlModelParams *mp,
                                      int image_size, GError **error);
/* The degradation for `task` at the model's size with the options' noise and seed. */
void plorg_solver_opts_operator(const PlorgSolverOpts *o, PlTask task, int size, guint64 seed,
                                PlOperatorParams *op);

/* Load a PNG/JPEG, fit it to size x size (centre crop), [0,1]. */
PlImage *plorg_load_image(const char *path, int size, GError **error);

/* Usage error helper: prints "plorg CMD: message" and a hint; returns PLORG_EXIT_USAGE. */
int plorg_usage_error(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
int plorg_failure(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Split "a,b,c" into a NULL-terminated vector without empty items. */
char **plorg_split_list(const char *s);

/* Progress bar with ETA on stderr when it is a terminal; silent otherwise. */
typedef struct PlorgProgress PlorgProgress;
PlorgProgress *plorg_progress_new(const char *label, gboolean quiet);
void plorg_progress_update(PlorgProgress *p, int done, int total, double elapsed_s);
void plorg_progress_finish(PlorgProgress *p);
/* An observer that updates the bar from step reports (user_data = PlorgProgress*). */
void plorg_progress_on_step(const PlStepReport *r, gpointer user_data);

/* SIGINT/SIGTERM (plorg_signals.c): the first cancels the run given here (NULL to forget
 * it) at once, the second exits. plorg_signals_init() comes first in main. */
void plorg_signals_init(void);
void plorg_cancel_on_signal(PlRun *run);
gboolean plorg_interrupted(void);

G_END_DECLS
