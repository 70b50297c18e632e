/* PLoRG: projection of a latent gradient onto the low-rank subspace of the current latent.
 *
 * For each latent channel (an h x w matrix Z_c = U S V^T) the rank r_c is chosen from the
 * squared singular values lambda_j = s_j^2 and the threshold tau, then
 *   both  : G' = U_r U_r^T G V_r V_r^T      (paper, Alg. 1)
 *   left  : G' = U_r U_r^T G
 *   right : G' = G V_r V_r^T
 * Rank rules:
 *   PL_RANK_PAPER    per channel: smallest k with sum_{j<=k} lambda_j / sum_j lambda_j >= tau
 *   PL_RANK_POOLED   the public DiffStateGrad code: the lambdas of all channels concatenated
 *                    in channel order into one list, i = first index (0-based) where the
 *                    cumulative share reaches tau, one rank floor((i+1)/C) for every channel
 *                    (clamped to 1..min(h,w)).
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

#define PL_PROJECTION_ERROR (pl_projection_error_quark())
GQuark pl_projection_error_quark(void);
typedef enum { PL_PROJECTION_ERROR_INVALID, PL_PROJECTION_ERROR_SVD } PlProjectionError;

typedef enum { PL_RANK_PAPER, PL_RANK_POOLED } PlRankRule;
typedef enum { PL_SIDE_BOTH, PL_SIDE_LEFT, PL_SIDE_RIGHT } PlProjectionSide;

const char *pl_rank_rule_name(PlRankRule rule);        /* "paper", "pooled" */
gboolean pl_rank_rule_from_name(const char *name, PlRankRule *out);
const char *pl_projection_side_name(PlProjectionSide side);  /* "both", "left", "right" */
gboolean pl_projection_side_from_name(const char *name, PlProjectionSide *out);

typedef struct {
  double tau;               /* variance threshold in (0,1]; paper 0.99 */
  PlRankRule rule;
  PlProjectionSide side;
} PlProjectionParams;

void pl_projection_params_init(PlProjectionParams *p);  /* tau 0.99, paper rule, both sides */

/* Rank from one descending list of squared singular values (paper rule), 1..n. */
int pl_rank_for_tau(const double *lambda, int n, double tau);

/* The subspace of one latent (C x h x w): SVD per channel plus chosen ranks. Compute once,
 * project many times (ReSample's inner loop). Buffers are reused between computes. */
typedef struct PlSubspace PlSubspace;

PlSubspace *pl_subspace_new(int channels, int h, int w);
void pl_subspace_free(PlSubspace *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlSubspace, pl_subspace_free)

/* SVD of every channel of z (C*h*w floats) with LAPACKE (double precision) and the ranks
 * for `params`. FALSE with error on non-finite input or LAPACK failure. */
gboolean pl_subspace_compute(PlSubspace *s, const float *z, const PlProjectionParams *params,
                             GError **error);
/* Re-choose the ranks for a new tau / rule without a new SVD. */
void pl_subspace_set_rank_params(PlSubspace *s, double tau, PlRankRule rule);

int pl_subspace_channels(const PlSubspace *s);
int pl_subspace_kmax(const PlSubspace *s);                   /* min(h,w) */
const double *pl_subspace_singular_values(const PlSubspace *s, int ch);  /* kmax, descending */
int pl_subspace_rank(const PlSubspace *s, int ch);
/* Share of sum lambda kept by the chosen rank of channel ch: sum_{j<=r} lambda_j / sum lambda */
double pl_subspace_energy_kept(const PlSubspace *s, int ch);
/* Left / right singular vectors of channel ch: U is h x kmax (column j = u_j, row-major
 * h rows), Vt is kmax x w (row j = v_j^T). */
const double *pl_subspace_u(const PlSubspace *s, int ch);
const double *pl_subspace_vt(const PlSubspace *s, int ch);

/* out = P(g) for every channel, with the side given; out may equal g. */
void pl_subspace_project(const PlSubspace *s, PlProjectionSide side, const float *g, float *out);

/* One call: compute + project. sv_out (C*kmax) and rank_out (C) may be NULL. */
gboolean pl_project_gradient(const float *z, const float *g, int channels, int h, int w,
                             const PlProjectionParams *params, float *out,
                             double *sv_out, int *rank_out, GError **error);

G_END_DECLS
