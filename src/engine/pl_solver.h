/* The solvers: one table entry per PlSolver (pl_solver_table.c) with its names, its plan
 * (once per run) and its step; each solver in its own file, built from the sampler's
 * pieces (pl_sampler.h). The step loop (pl_run_exec.c) calls them through the table only.
 * Not installed. */
#pragma once
#include "pl_sampler.h"

G_BEGIN_DECLS

/* Step i: z (batch x zlen) goes from z_{t_i} to the next latent in place; z0_out gets
 * the Tweedie estimate z0_hat of this step. Caller holds the model lock and has run
 * pl_sampler_latent_spectrum for this step. */
typedef gboolean (*PlSolverStepFunc)(PlSampler *s, const PlRunParams *p, int i, float *z,
                                     float *z0_out, PlStepReport *rep, GError **error);
/* Once per run, after the sampler is made (NULL: nothing to plan). */
typedef void (*PlSolverPlanFunc)(PlSampler *s, const PlRunParams *p);

typedef struct {
  const char *name;          /* CLI and record name: "psld" */
  const char *label;         /* for people: "PSLD" */
  PlSolverPlanFunc plan;
  PlSolverStepFunc step;
} PlSolverOps;

/* The entry of a valid solver (pl_run_params_validate checks p->solver first). */
const PlSolverOps *pl_solver_ops(PlSolver solver);

gboolean pl_solver_uncond_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                               float *z0_out, PlStepReport *rep, GError **error);
gboolean pl_solver_dps_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                            float *z0_out, PlStepReport *rep, GError **error);
gboolean pl_solver_psld_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                             float *z0_out, PlStepReport *rep, GError **error);
gboolean pl_solver_resample_step(PlSampler *s, const PlRunParams *p, int i, float *z,
                                 float *z0_out, PlStepReport *rep, GError **error);
void pl_solver_resample_plan(PlSampler *s, const PlRunParams *p);
/* ReSample's event schedule for a step count: kind[i] of every step index. */
void pl_resample_plan(const PlResampleParams *r, int steps, PlResampleEvent *kind);

/* ReSample's hard data consistency (pl_resample_opt.c). z0 (batch x zlen) in, optimised
 * latent out; iterations done (max over samples) returned in *iters.
 * x_state (batch x xlen, may be NULL): the image whose per-channel SVD projects the pixel
 * gradient every F-th iteration (DiffStateGrad's placement); NULL = no projection. */
gboolean pl_resample_pixel_opt(PlSampler *s, const PlRunParams *p, const float *z0,
                               const float *x_state, float *z_out, int *iters,
                               PlStepReport *rep, GError **error);
gboolean pl_resample_latent_opt(PlSampler *s, const PlRunParams *p, const float *z0,
                                const float *z_state, float *z_out, int *iters,
                                PlStepReport *rep, GError **error);

G_END_DECLS
