/* Noise schedules and the DDIM update (LDM conventions). */
#pragma once
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

typedef struct {
  int T;                     /* training steps (1000) */
  double *betas;             /* T */
  double *alphas_cumprod;    /* T: abar_t = prod_{s<=t} (1 - beta_s) */
} PlSchedule;

/* LDM's "linear" schedule: betas = linspace(sqrt(b0), sqrt(b1), T)^2 (0.0015..0.0195). */
PlSchedule *pl_schedule_new_linear(int T, double beta_start, double beta_end);
void pl_schedule_free(PlSchedule *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlSchedule, pl_schedule_free)

/* DDIM's uniform timestep subset, in sampling (descending) order: c = T / steps,
 * t_i = (steps - 1 - i) * c (LDM adds 1, which overflows at steps = T; we do not). Returns the count
 * written (== steps for 1 <= steps <= T), 0 for an invalid count. */
int pl_schedule_ddim_timesteps(const PlSchedule *s, int steps, int *out);

/* Which uniform DDIM timesteps: LDM's make_ddim_timesteps (used by PSLD's and ReSample's
 * public code) takes t_k = k c + 1, the engine's former rule t_k = k c. At steps = T the
 * LDM rule would ask for t = T, outside the model's 0..T-1: PSLD's code then keeps the
 * UNet at k + 1 but indexes abar at k; ReSample's cannot run. We take t_k = k there
 * (abar as PSLD's; the UNet one step earlier). docs/FIDELITY.md, item 5. */
typedef enum { PL_TIMESTEPS_LDM, PL_TIMESTEPS_ZERO } PlTimestepRule;
const char *pl_timestep_rule_name(PlTimestepRule r);     /* "ldm", "zero" */
gboolean pl_timestep_rule_from_name(const char *name, PlTimestepRule *out);
/* As pl_schedule_ddim_timesteps with the rule's offset. */
int pl_schedule_ddim_timesteps_rule(const PlSchedule *s, int steps, PlTimestepRule rule, int *out);

/* abar at timestep t, and abar of the step after t in a descending list ts of n steps
 * (index i): ts[i+1], or abar[0] for the last step (as LDM). */
double pl_schedule_abar(const PlSchedule *s, int t);
double pl_schedule_abar_prev(const PlSchedule *s, const int *ts, int n, int i);

/* Tweedie's estimate z0 = (z - sqrt(1 - abar) eps) / sqrt(abar). */
void pl_predict_z0(const float *z, const float *eps, double abar, float *z0, size_t n);

/* sigma_t of DDIM with eta: eta * sqrt((1 - a_prev)/(1 - a)) * sqrt(1 - a/a_prev). */
double pl_ddim_sigma(double abar, double abar_prev, double eta);

/* z_prev = sqrt(a_prev) z0 + sqrt(1 - a_prev - sigma^2) eps + sigma * noise.
 * noise may be NULL when sigma == 0. z0 = Tweedie estimate (written to z0_out if non-NULL). */
void pl_ddim_step(const float *z, const float *eps, double abar, double abar_prev, double eta,
                  const float *noise, float *z0_out, float *z_prev, size_t n);

/* DDPM ancestral step from t to t-1 (posterior mean + sqrt(beta_tilde) noise). */
void pl_ddpm_step(const PlSchedule *s, int t, const float *z, const float *eps,
                  const float *noise, float *z_prev, size_t n);

G_END_DECLS
