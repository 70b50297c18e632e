/* PLoRG inside the engine: the update a guided step applies lies in the subspace of the
 * top-r singular vectors of z_t, with the SVD and the rank computed here independently
 * (LAPACKE, own rank rules) rather than with the core's projection.
 * The applied update is isolated by running the same step from the same z_t twice, with
 * the step sizes and with omega = gamma = 0: the DDIM part is identical (deterministic),
 * so the difference is exactly the projected gradient, up to float32 rounding of a
 * latent of magnitude ~1 (~1e-7 per entry), hence the 1e-3 relative tolerance. */
#include "engine_test_util.h"
#include <lapacke.h>
#include <math.h>
#include <string.h>

typedef struct {
  PlStepReport *report;
  PlRun *run;
} OneStep;

static void stop_after_first(const PlStepReport *r, gpointer data) {
  OneStep *o = data;
  if (!o->report)
    o->report = pl_step_report_copy(r);
  pl_run_cancel(o->run);
}

/* Run step s of a run from z_t; returns the output latent and the step's report. */
static float *one_step(const PlImage *clean, const float *z_t, int s, const PlRunParams *p0,
                       PlStepReport **report) {
  PlRunParams p = *p0;
  p.start_step = s;
  PlRunInputs in = {0};
  pl_operator_params_init(&in.op, PL_TASK_INPAINT_BOX, pl_model_image_size(etu_model()));
  in.clean = clean;
  in.z_start = z_t;
  GError *e = NULL;
  PlRun *run = pl_run_new(etu_model(), &in, &p, &e);
  g_assert_no_error(e);
  OneStep o = {NULL, run};
  pl_run_add_observer(run, stop_after_first, NULL, &o);
  etu_execute(run);
  g_assert_cmpint(pl_run_current_step(run), ==, s + 1);
  float *z = pl_run_current_latent(run);
  pl_run_unref(run);
  g_assert_nonnull(o.report);
  if (report)
    *report = o.report;
  else
    pl_step_report_free(o.report);
  return z;
}

typedef struct {
  int C, H, W, k;
  double *u[8], *s[8], *vt[8];
  int rank[8];
} Svd;

static void svd_of(const float *z, int C, int H, int W, Svd *out) {
  out->C = C;
  out->H = H;
  out->W = W;
  out->k = MIN(H, W);
  for (int c = 0; c < C; c++) {
    double *a = g_new(double, H * W);
    for (int k = 0; k < H * W; k++)
      a[k] = z[c * H * W + k];
    out->u[c] = g_new(double, H * out->k);
    out->s[c] = g_new(double, out->k);
    out->vt[c] = g_new(double, out->k * W);
    double *superb = g_new(double, out->k);
    int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', H, W, a, W, out->s[c], out->u[c],
                              out->k, out->vt[c], W, superb);
    g_assert_cmpint(info, ==, 0);
    g_free(superb);
    g_free(a);
  }
}

static void svd_free(Svd *s) {
  for (int c = 0; c < s->C; c++) {
    g_free(s->u[c]);
    g_free(s->s[c]);
    g_free(s->vt[c]);
  }
}

/* Rank rules written out from the paper / DiffStateGrad code (DESIGN.md section 5). */
static void choose_ranks(Svd *s, double tau, PlRankRule rule) {
  if (rule == PL_RANK_PAPER) {
    for (int c = 0; c < s->C; c++) {
      double tot = 0, acc = 0;
      for (int j = 0; j < s->k; j++)
        tot += s->s[c][j] * s->s[c][j];
      int r = s->k;
      for (int j = 0; j < s->k; j++) {
        acc += s->s[c][j] * s->s[c][j];
        if (acc / tot >= tau) {
          r = j + 1;
          break;
        }
      }
      s->rank[c] = r;
    }
    return;
  }
  double tot = 0, acc = 0;
  for (int c = 0; c < s->C; c++)
    for (int j = 0; j < s->k; j++)
      tot += s->s[c][j] * s->s[c][j];
  int idx = s->C * s->k - 1;
  for (int c = 0, i = 0; c < s->C; c++)
    for (int j = 0; j < s->k; j++, i++) {
      acc += s->s[c][j] * s->s[c][j];
      if (acc / tot >= tau && i < idx)
        idx = i;
    }
  int r = CLAMP((idx + 1) / s->C, 1, s->k);
  for (int c = 0; c < s->C; c++)
    s->rank[c] = r;
}

/* ||P(d) - d|| / ||d|| with P the projection of `side` onto the chosen subspaces. */
static double outside_fraction(const Svd *s, const float *d, PlProjectionSide side) {
  double num = 0, den = 0;
  int H = s->H, W = s->W, k = s->k;
  double *t = g_new(double, H * W), *p = g_new(double, H * W);
  for (int c = 0; c < s->C; c++) {
    const float *g = d + c * H * W;
    int r = s->rank[c];
    for (int q = 0; q < H * W; q++)
      t[q] = g[q];
    if (side != PL_SIDE_RIGHT) { /* t <- U_r U_r^T t */
      memset(p, 0, sizeof(double) * H * W);
      for (int j = 0; j < r; j++)
        for (int x = 0; x < W; x++) {
          double dot = 0;
          for (int y = 0; y < H; y++)
            dot += s->u[c][y * k + j] * t[y * W + x];
          for (int y = 0; y < H; y++)
            p[y * W + x] += s->u[c][y * k + j] * dot;
        }
      memcpy(t, p, sizeof(double) * H * W);
    }
    if (side != PL_SIDE_LEFT) { /* t <- t V_r V_r^T */
      memset(p, 0, sizeof(double) * H * W);
      for (int j = 0; j < r; j++)
        for (int y = 0; y < H; y++) {
          double dot = 0;
          for (int x = 0; x < W; x++)
            dot += t[y * W + x] * s->vt[c][j * W + x];
          for (int x = 0; x < W; x++)
            p[y * W + x] += dot * s->vt[c][j * W + x];
        }
      memcpy(t, p, sizeof(double) * H * W);
    }
    for (int q = 0; q < H * W; q++) {
      num += (t[q] - g[q]) * (t[q] - g[q]);
      den += (double)g[q] * g[q];
    }
  }
  g_free(t);
  g_free(p);
  return sqrt(num / den);
}

/* A structured z_t: the latent at step s of an unconditional run. */
static float *latent_at(const PlImage *clean, int steps, int s) {
  PlRunParams p;
  etu_quick_params(&p, PL_SOLVER_DDIM, steps);
  PlRun *run = etu_new_run(clean, PL_TASK_INPAINT_BOX, &p, 0);
  g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
  int idx = -1;
  for (int i = 0; i < pl_run_history_count(run); i++)
    if (pl_run_history_step(run, i) == s)
      idx = i;
  g_assert_cmpint(idx, >=, 0);
  float *z = g_memdup2(pl_run_history_latent(run, idx), etu_latent_len() * sizeof(float));
  pl_run_unref(run);
  return z;
}

static void check_case(PlSolver solver, double tau, PlRankRule rule, PlProjectionSide side) {
  const int steps = 20, s = 14;
  GPtrArray *imgs = etu_images(1);
  const PlImage *clean = g_ptr_array_index(imgs, 0);
  float *z_t = latent_at(clean, steps, s);
  int C, H, W;
  pl_model_latent_shape(etu_model(), &C, &H, &W);
  size_t n = etu_latent_len();

  PlRunParams p;
  etu_quick_params(&p, solver, steps);
  p.plorg.enabled = TRUE;
  p.plorg.proj.tau = tau;
  p.plorg.proj.rule = rule;
  p.plorg.proj.side = side;
  PlStepReport *rep = NULL;
  float *z_guided = one_step(clean, z_t, s, &p, &rep);
  PlRunParams p0 = p;
  p0.omega = p0.gamma = 0.0;
  float *z_plain = one_step(clean, z_t, s, &p0, NULL);
  PlRunParams poff = p;
  poff.plorg.enabled = FALSE;
  float *z_off = one_step(clean, z_t, s, &poff, NULL);

  float *d = g_new(float, n), *d_off = g_new(float, n);
  double dn = 0;
  for (size_t k = 0; k < n; k++) {
    d[k] = z_plain[k] - z_guided[k];
    d_off[k] = z_plain[k] - z_off[k];
    dn += (double)d[k] * d[k];
  }
  dn = sqrt(dn);
  Svd svd;
  svd_of(z_t, C, H, W, &svd);
  choose_ranks(&svd, tau, rule);
  for (int c = 0; c < C; c++) {
    g_assert_cmpint(rep->sample[0].ranks[c], ==, svd.rank[c]);
    for (int j = 0; j < svd.k; j++)
      g_assert_cmpfloat_with_epsilon(rep->sample[0].singular_values[c * svd.k + j], svd.s[c][j],
                                     1e-5 * svd.s[c][0]);
  }
  double out_on = outside_fraction(&svd, d, side), out_off = outside_fraction(&svd, d_off, side);
  g_test_message("%s tau %.2f %s %s: ranks %d %d %d of %d, |update| %.4g, outside the "
                 "subspace: PLoRG %.2e, without PLoRG %.2e", pl_solver_name(solver), tau,
                 pl_rank_rule_name(rule), pl_projection_side_name(side), svd.rank[0],
                 svd.rank[1], svd.rank[2], svd.k, dn, out_on, out_off);
  g_assert_cmpfloat(dn, >, 0.0);
  g_assert_cmpfloat(out_on, <, 1e-3);
  /* the applied update is the reported projected gradient */
  g_assert_cmpfloat(fabs(dn - rep->sample[0].grad_norm_projected), <=,
                    1e-3 * rep->sample[0].grad_norm_projected + 1e-6);
  g_assert_cmpfloat(rep->sample[0].grad_norm_projected, <=, rep->sample[0].grad_norm * (1 + 1e-6));
  gboolean restrictive = TRUE;
  for (int c = 0; c < C; c++)
    restrictive = restrictive && svd.rank[c] < svd.k;
  if (restrictive) /* sanity: without PLoRG the update leaves the subspace */
    g_assert_cmpfloat(out_off, >, 1e-2);
  svd_free(&svd);
  pl_step_report_free(rep);
  g_free(d);
  g_free(d_off);
  g_free(z_guided);
  g_free(z_plain);
  g_free(z_off);
  g_free(z_t);
  g_ptr_array_unref(imgs);
}

static void test_psld_paper_both(void) { check_case(PL_SOLVER_PSLD, 0.99, PL_RANK_PAPER, PL_SIDE_BOTH); }
static void test_psld_tau90(void) { check_case(PL_SOLVER_PSLD, 0.9, PL_RANK_PAPER, PL_SIDE_BOTH); }
static void test_psld_pooled(void) { check_case(PL_SOLVER_PSLD, 0.9, PL_RANK_POOLED, PL_SIDE_BOTH); }
static void test_psld_left(void) { check_case(PL_SOLVER_PSLD, 0.9, PL_RANK_PAPER, PL_SIDE_LEFT); }
static void test_psld_right(void) { check_case(PL_SOLVER_PSLD, 0.9, PL_RANK_PAPER, PL_SIDE_RIGHT); }
static void test_dps(void) { check_case(PL_SOLVER_DPS, 0.9, PL_RANK_PAPER, PL_SIDE_BOTH); }

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/plorg/psld-paper-tau0.99-both", test_psld_paper_both);
  g_test_add_func("/engine/plorg/psld-paper-tau0.9-both", test_psld_tau90);
  g_test_add_func("/engine/plorg/psld-pooled", test_psld_pooled);
  g_test_add_func("/engine/plorg/psld-left", test_psld_left);
  g_test_add_func("/engine/plorg/psld-right", test_psld_right);
  g_test_add_func("/engine/plorg/dps", test_dps);
  int rc = g_test_run();
  pl_model_unref(etu_model());
  return rc;
}
