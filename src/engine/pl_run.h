/* A sampling run: one solver configuration on one measurement, observable and steerable
 * step by step. A run executes on a worker thread (pl_run_start) or on the calling
 * thread (pl_run_execute). Observers receive a plain-data PlStepReport after every step
 * ON THE WORKER THREAD: copy what you need (pl_step_report_copy) and hand it to your
 * own thread (e.g. g_idle_add); never block in the callback.
 *
 * Steering (thread-safe, any thread): cancel, pause, resume, single-step, and parameter
 * changes (omega, gamma, tau, PLoRG on/off). A change applies from the next step and is
 * logged with the step index it took effect at (PlParamChange).
 */
#pragma once
#include <glib.h>
#include "pl_model.h"
#include "plorg_lpips.h"
#include "pl_operator.h"
#include "pl_projection.h"
#include "pl_image.h"
#include "pl_schedule.h"

G_BEGIN_DECLS

typedef enum {
  PL_SOLVER_DDIM,       /* unconditional DDIM (eta) */
  PL_SOLVER_DDPM,       /* unconditional ancestral sampling over all T steps */
  PL_SOLVER_DPS,        /* Latent-DPS: z -= zeta * grad ||y - A(D(z0_hat))|| */
  PL_SOLVER_PSLD,       /* PSLD: measurement + gluing gradients */
  PL_SOLVER_RESAMPLE,   /* ReSample: latent DPS steps + hard data consistency events */
  PL_SOLVER_COUNT
} PlSolver;
const char *pl_solver_name(PlSolver s);          /* "ddim", "ddpm", "dps", "psld", "resample" */
const char *pl_solver_label(PlSolver s);         /* "DDIM", ..., "PSLD", "ReSample", "Latent-DPS" */
gboolean pl_solver_from_name(const char *name, PlSolver *out);

/* Where PLoRG-ReSample takes its SVD at a hard data-consistency event (docs/FIDELITY.md):
 *  PAPER          the paper's Algorithm 5: one SVD of the diffusion state z'_t (before time
 *                 travel); only the latent-space optimisation is projected (default: only
 *                 the paper defines PLoRG)
 *  DIFFSTATEGRAD  the public DiffStateGrad code: the latent optimisation is projected with
 *                 the SVD of the time-travelled latent, and the pixel-space optimisation with
 *                 the per-channel SVD of that latent's decoded image */
typedef enum { PL_RESAMPLE_SVD_PAPER, PL_RESAMPLE_SVD_DIFFSTATEGRAD } PlResampleSvd;
const char *pl_resample_svd_name(PlResampleSvd v);   /* "paper", "diffstategrad" */
gboolean pl_resample_svd_from_name(const char *name, PlResampleSvd *out);

typedef struct {
  gboolean enabled;
  PlProjectionParams proj;   /* tau, rank rule, side */
  int every;                 /* ReSample inner loop: project every F-th iteration (1 = all) */
  PlResampleSvd resample_svd;/* ReSample: SVD placement at an event (paper) */
} PlPlorgParams;

typedef struct {
  int event_every;           /* hard data consistency every k-th step (10) */
  int window_start;          /* step index window, counted as in the reference code:   */
  int window_end;            /*  events where window_end <= (steps - 1 - i) <= window_start (330..10) */
                             /*  -1 = the reference's own rule for any step count: window
                              *  1 .. steps - steps/3 (330..10 at 500 steps) */
  int pixel_events;          /* the first this-many events optimise in pixel space, the rest in latent space;
                              * -1 = the reference's rule: pixel while (steps-1-i) >= steps/3 */
  int time_travel;           /* DDIM steps run ahead to get z0_hat at an event (unconditional, eta 0) */
  int pixel_max_iters;       /* AdamW in pixel space: (2000) */
  double pixel_lr;           /* 1e-2 */
  int latent_max_iters;      /* AdamW in latent space: reference 500, our default 100 (pl_run_params.c) */
  double latent_lr;          /* 5e-3 */
  double stop_loss;          /* early stop when the data loss falls below (1e-6 pixel; latent: see code) */
  double gamma;              /* stochastic resampling variance scale (40) */
  double weight_decay;       /* AdamW decoupled weight decay (torch's default 1e-2, as the reference) */
  gboolean final_opt;        /* latent optimisation of the final latent after the last step (reference: yes) */
  int loss_window;           /* latent early stop: loss higher than this many iterations ago (200) */
} PlResampleParams;

/* PSLD's measurement term: the official code compares y with a freshly noised prediction,
 * ||noiser(A(D(z0_hat))) - y|| (NOISED, a new draw of the measurement noise each step and
 * sample); CLEAN compares the clean prediction, ||A(D(z0_hat)) - y||. FIDELITY.md item 2. */
typedef enum { PL_MEAS_NOISED, PL_MEAS_CLEAN } PlMeasNoise;
const char *pl_meas_noise_name(PlMeasNoise m);     /* "noised", "clean" */
gboolean pl_meas_noise_from_name(const char *name, PlMeasNoise *out);

typedef struct {
  PlSolver solver;
  int steps;                 /* DDIM steps (PSLD's reference: 1000; ReSample: 500) */
  double eta;                /* DDIM eta (0) */
  guint64 seed;              /* initial noise and sampling noise */
  int batch;                 /* samples run together (same y, seeds seed+i ... see pl_run.c) */
  /* guidance */
  double omega;              /* PSLD measurement step / Latent-DPS zeta / ReSample latent DPS step */
  double gamma;              /* PSLD gluing weight */
  PlNorm norm;               /* plain L2 (public code, default) or squared */
  /* fidelity choices (docs/FIDELITY.md); defaults are the public code's */
  PlTimestepRule timesteps;  /* DDIM timesteps k*c + 1 (LDM, PSLD, ReSample code) or k*c */
  PlGlueTranspose glue_transpose; /* PSLD gluing with the code's transpose or the exact adjoint */
  PlMeasNoise meas_noise;    /* PSLD measurement term on a noised or the clean prediction */
  PlPlorgParams plorg;
  PlResampleParams resample;
  /* observation */
  int preview_every;         /* decoded x0_hat / z_t images in the report every N steps (0 = never) */
  int keep_every;            /* keep z_t every k-th step for scrubbing and branching (1 = all) */
  double divergence_limit;   /* stop when max|z_t| exceeds this (default 1e3) or on NaN/Inf */
  int start_step;            /* branching: start at this step from the given latent (0 = fresh) */
} PlRunParams;

/* Hard limits on what a run can ask for (every file and option is checked against
 * them before anything is sized by it): steps and step intervals by the largest
 * schedule a bundle may declare (model.json num_timesteps <= 1e6), batch by the
 * engine's per-step buffers, optimiser iterations by a day of CPU at ~1 ms each. */
#define PL_RUN_MAX_STEPS 1000000
#define PL_RUN_MAX_BATCH 64
#define PL_RUN_MAX_OPT_ITERS 1000000

/* Defaults per solver, the reference settings (paper / public code) scaled to the model. */
void pl_run_params_init(PlRunParams *p, PlSolver solver);

typedef struct {
  PlOperatorParams op;       /* degradation (op.size must equal the model's image size) */
  const PlImage *clean;      /* ground truth, [0,1], model size; may be NULL when y is given */
  const float *y;            /* measurement; NULL = make it from clean with op noise & seed */
  const float *z_start;      /* batch x latent: initial noise (NULL = from seed), or branch latent */
  const char *image_path;    /* file `clean` came from, for the run record (may be NULL) */
} PlRunInputs;

typedef enum {
  PL_RUN_IDLE, PL_RUN_RUNNING, PL_RUN_PAUSED, PL_RUN_FINISHED,
  PL_RUN_CANCELLED, PL_RUN_DIVERGED, PL_RUN_FAILED
} PlRunState;
const char *pl_run_state_name(PlRunState s);

/* ReSample's hard data-consistency event at a step (values are written in run records). */
typedef enum {
  PL_RESAMPLE_EVENT_NONE = 0,
  PL_RESAMPLE_EVENT_PIXEL = 1,   /* optimisation in pixel space, then resampling */
  PL_RESAMPLE_EVENT_LATENT = 2,  /* optimisation in latent space, then resampling */
  PL_RESAMPLE_EVENT_FINAL = 3,   /* latent optimisation of the final latent */
} PlResampleEvent;

/* Per-sample numbers of one step. */
typedef struct {
  double loss_meas;          /* data term as used (plain or squared) */
  double loss_glue;          /* PSLD gluing term (0 otherwise) */
  double residual;           /* ||A(x0_hat) - y|| */
  double grad_norm;          /* ||g_z|| before projection */
  double grad_norm_projected;/* ||g_z'|| after (== grad_norm without PLoRG) */
  double z_norm;             /* ||z_t|| */
  int *ranks;                /* channels (all 0 when PLoRG is off) */
  double *singular_values;   /* channels x kmax, descending, of z_t (always computed) */
} PlSampleStats;

typedef struct {
  int index;                 /* 0-based step index, 0 .. steps-1 */
  int steps;
  int t;                     /* diffusion timestep */
  double elapsed_s;          /* since the run started */
  double ms_unet, ms_decoder, ms_encoder, ms_operator, ms_projection, ms_other, ms_total;
  double omega, gamma, tau;  /* in effect at this step */
  gboolean plorg;
  int batch, channels, kmax;
  PlSampleStats *sample;     /* batch entries */
  PlImage **x0_preview;      /* batch images [0,1] or NULL when not a preview step */
  PlImage **zt_preview;      /* batch latents shown as images [0,1] (per-channel normalised) or NULL */
  /* The guided solvers run UNet + decoder (+ autograd) as one shim call, forward and VJP:
   * that time is here, not in ms_unet / ms_decoder (those count UNet-only / decoder-only calls). */
  double ms_guided;
  PlResampleEvent resample_event; /* ReSample's hard data consistency at this step, if any */
  int opt_iters;             /* ReSample: optimiser iterations of this step's event (max over samples) */
} PlStepReport;

PlStepReport *pl_step_report_copy(const PlStepReport *r);
void pl_step_report_free(PlStepReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlStepReport, pl_step_report_free)

typedef struct {
  int step;                  /* first step index that used the new value */
  char *name;                /* "omega", "gamma", "tau", "plorg" */
  double old_value, new_value;
} PlParamChange;

typedef void (*PlStepCallback)(const PlStepReport *report, gpointer user_data);
/* Called once on the worker when the run ends (any final state). */
typedef void (*PlDoneCallback)(PlRunState state, const GError *error, gpointer user_data);

typedef struct PlRun PlRun;

PlRun *pl_run_new(PlModel *model, const PlRunInputs *inputs, const PlRunParams *params,
                  GError **error);
/* Branch: a new run that starts at `step` of `parent` from its kept latent (the nearest
 * kept step at or before `step`), with new parameters; same y, same noise stream. */
PlRun *pl_run_new_branch(PlRun *parent, int step, const PlRunParams *params, GError **error);
PlRun *pl_run_ref(PlRun *run);
void pl_run_unref(PlRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlRun, pl_run_unref)

void pl_run_add_observer(PlRun *run, PlStepCallback on_step, PlDoneCallback on_done,
                         gpointer user_data);

gboolean pl_run_execute(PlRun *run, GError **error);  /* on this thread, until done */
void pl_run_start(PlRun *run);                         /* on a new worker thread */
PlRunState pl_run_wait(PlRun *run);                    /* join the worker */

void pl_run_cancel(PlRun *run);
void pl_run_pause(PlRun *run);
void pl_run_resume(PlRun *run);
void pl_run_step_once(PlRun *run);                     /* when paused: one step, then pause */
void pl_run_request_preview(PlRun *run);               /* next report carries images */
/* omega|gamma|tau|plorg (plorg: 0 off, nonzero on). Returns FALSE (and changes nothing)
 * for an unknown name, a value out of range, or gamma != 0 with a nonlinear operator. */
gboolean pl_run_set_param(PlRun *run, const char *name, double value);
/* The same change, taking effect at step `step` (or the next step if that has passed):
 * re-running a record replays its logged changes this way. */
gboolean pl_run_schedule_param(PlRun *run, int step, const char *name, double value);

/* Noise tap: called on the worker with every Gaussian draw a step makes, in the order the
 * step uses them ("step": DDIM eta noise; "resample": ReSample's resampling noise), so a
 * reference implementation can replay them (parity tests). Set before the run starts. */
typedef void (*PlNoiseTap)(const char *purpose, int step, int sample, const float *noise,
                           size_t n, gpointer user_data);
void pl_run_set_noise_tap(PlRun *run, PlNoiseTap tap, gpointer user_data);

PlRunState pl_run_state(PlRun *run);
const GError *pl_run_error(PlRun *run);
const PlRunParams *pl_run_params(PlRun *run);         /* initial parameters */
int pl_run_current_step(PlRun *run);                   /* steps completed */
GPtrArray *pl_run_param_changes(PlRun *run);           /* of PlParamChange*, a copy */

/* Results ([0,1] images). Valid after the run ended (FINISHED; DIVERGED keeps the last good:
 * x0_hat of the last good step; CANCELLED likewise). Returned images are new copies: the
 * caller frees them (pl_image_free); NULL while running or when no step completed. */
PlImage *pl_run_result(PlRun *run, int sample);
PlImage *pl_run_clean(PlRun *run);                     /* copy of the ground truth or NULL */
const float *pl_run_measurement(PlRun *run);           /* y (owned by the run) */
PlImage *pl_run_measurement_preview(PlRun *run);       /* new image, caller frees */
/* The run's operator (owned by the run). Not thread-safe: use it only while the run is not
 * executing (before start or after it ended). */
PlOperator *pl_run_operator(PlRun *run);
/* The inputs as the run copied them (its own y, clean, mask and z_start). */
const PlRunInputs *pl_run_inputs(PlRun *run);
PlModel *pl_run_model(PlRun *run);                     /* borrowed */
/* Decoded final latents' x0 before the [0,1] mapping are not kept; the final latent is: */
const float *pl_run_final_latent(PlRun *run);          /* batch x latent, NULL unless FINISHED */
double pl_run_elapsed(PlRun *run);                     /* seconds the steps took so far */
/* Copy of the latest latent (batch x latent): the input of the next step, i.e. the
 * output of the last completed step (the start latent before any). g_free it. */
float *pl_run_current_latent(PlRun *run);

/* History: kept latents (every keep_every steps) for scrubbing and branching. */
int pl_run_history_count(PlRun *run);
int pl_run_history_step(PlRun *run, int i);           /* step index of the i-th kept latent */
/* The i-th kept entry: latent z (batch x latent) and its report copy (without images). */
const float *pl_run_history_latent(PlRun *run, int i);
PlStepReport *pl_run_history_report(PlRun *run, int i);  /* a copy: pl_step_report_free */
/* Decode a kept latent's x0_hat for display (takes the model lock; not on the UI thread). */
PlImage *pl_run_history_decode(PlRun *run, int i, int sample, GError **error);

/* Metrics against the ground truth (NaN when none): PSNR/SSIM of sample's result. */
double pl_run_psnr(PlRun *run, int sample);
double pl_run_ssim(PlRun *run, int sample);
double pl_run_residual(PlRun *run, int sample);       /* ||A(x) - y|| in model units */
/* Inpainting: the official PSLD pastes the known pixels into its output before saving it
 * (scripts/inverse.py: mask * image + (1 - mask) * sample). These are the metrics of that
 * pasted image (mask * clean + (1 - mask) * result); NaN for the other tasks or without
 * a ground truth. docs/FIDELITY.md, item 6. */
gboolean pl_run_pastes(PlRun *run);                    /* inpainting with a ground truth */
double pl_run_psnr_pasted(PlRun *run, int sample);
double pl_run_ssim_pasted(PlRun *run, int sample);
double pl_run_lpips_pasted(PlRun *run, int sample);   /* NaN unless LPIPS was computed */
PlImage *pl_run_result_pasted(PlRun *run, int sample); /* new image, or NULL */

/* LPIPS needs a network (pl_lpips.h), so it is computed on request once the run has ended:
 * every sample's result against the ground truth (NaN without one), kept in the run and
 * written to its record. FALSE with error when the run has no results or the network fails. */
gboolean pl_run_compute_lpips(PlRun *run, PlLpips *net, GError **error);
double pl_run_lpips(PlRun *run, int sample);           /* NaN when not computed */
const char *pl_run_lpips_net(PlRun *run);              /* "alex"/"vgg", NULL when not computed */

/* Best of k (the batch's samples): phase retrieval's protocol. RESIDUAL needs no ground
 * truth; PSNR_ORACLE picks by PSNR against the ground truth, as the paper did, and must
 * be labelled as an oracle wherever it is reported. Returns the sample index, -1 when
 * the rule cannot apply (no results; no ground truth for PSNR). */
typedef enum { PL_SELECT_RESIDUAL, PL_SELECT_PSNR_ORACLE } PlSelectRule;
const char *pl_select_rule_name(PlSelectRule rule);    /* "residual", "psnr-oracle" */
int pl_run_select_best(PlRun *run, PlSelectRule rule);

G_END_DECLS
