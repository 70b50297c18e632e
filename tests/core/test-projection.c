/* PLoRG projection. Latents are built as Z = Q1 diag(s) Q2^T from random orthogonal
 * matrices (Gram-Schmidt here), so the spectrum is known without trusting LAPACK; ranks are
 * compared with brute-force counts over that known spectrum, and thresholds tau are put
 * halfway between cumulative shares so float storage of Z (relative error ~1e-7) cannot
 * move the answer. Projections are checked by their defining algebra. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "pl_projection.h"
#include "test-util.h"

/* m x k matrix with orthonormal columns (row-major), modified Gram-Schmidt run twice */
static double *random_orthonormal(PlRng *rng, int m, int k)
{
  double *q = g_new(double, (size_t)m * k);
  for (int i = 0; i < m * k; i++)
    q[i] = pl_rng_normal(rng);
  for (int pass = 0; pass < 2; pass++)
    for (int j = 0; j < k; j++) {
      for (int p = 0; p < j; p++) {
        double d = 0;
        for (int i = 0; i < m; i++)
          d += q[i * k + j] * q[i * k + p];
        for (int i = 0; i < m; i++)
          q[i * k + j] -= d * q[i * k + p];
      }
      double nn = 0;
      for (int i = 0; i < m; i++)
        nn += q[i * k + j] * q[i * k + j];
      nn = sqrt(nn);
      for (int i = 0; i < m; i++)
        q[i * k + j] /= nn;
    }
  return q;
}

/* channel c of z (h x w) = Q1 diag(s) Q2^T */
static void build_channel(PlRng *rng, int h, int w, const double *s, float *z)
{
  const int k = MIN(h, w);
  g_autofree double *q1 = random_orthonormal(rng, h, k), *q2 = random_orthonormal(rng, w, k);
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++) {
      double acc = 0;
      for (int a = 0; a < k; a++)
        acc += q1[i * k + a] * s[a] * q2[j * k + a];
      z[i * w + j] = (float)acc;
    }
}

/* A descending spectrum whose smallest lambda is still 1.6e-3 of the largest: every gap
 * between cumulative shares (>= 1e-4 here) dwarfs the ~1e-7 error of a float latent. */
static void spectrum(double *s, int k, double power, double scale)
{
  for (int j = 0; j < k; j++)
    s[j] = scale * pow(1.0 - 0.8 * j / k, power);
}

/* brute force, paper rule: count entries until the share reaches tau */
static int brute_paper(const double *s, int k, double tau)
{
  double total = 0, cum = 0;
  for (int j = 0; j < k; j++)
    total += s[j] * s[j];
  int r = 0;
  while (r < k && cum < tau * total)
    cum += s[r] * s[r], r++;
  return MAX(r, 1);
}

/* brute force, pooled rule: all lambdas in channel order, first index reaching tau */
static int brute_pooled(double **s, int c, int k, double tau)
{
  double total = 0, cum = 0;
  for (int ch = 0; ch < c; ch++)
    for (int j = 0; j < k; j++)
      total += s[ch][j] * s[ch][j];
  int idx = -1;
  for (int ch = 0; ch < c && idx < 0; ch++)
    for (int j = 0; j < k; j++) {
      cum += s[ch][j] * s[ch][j];
      if (cum >= tau * total) {
        idx = ch * k + j;
        break;
      }
    }
  if (idx < 0)
    idx = c * k - 1;
  return CLAMP((idx + 1) / c, 1, k);
}

/* taus halfway between consecutive cumulative shares of one channel */
static double mid_tau(const double *s, int k, int r)
{
  double total = 0, a = 0;
  for (int j = 0; j < k; j++)
    total += s[j] * s[j];
  for (int j = 0; j < r; j++)
    a += s[j] * s[j];
  return (a - 0.5 * s[r - 1] * s[r - 1]) / total;  /* between share(r-1) and share(r) */
}

static void test_names(void)
{
  PlRankRule rule;
  PlProjectionSide side;
  g_assert_true(pl_rank_rule_from_name("pooled", &rule));
  g_assert_cmpint(rule, ==, PL_RANK_POOLED);
  g_assert_cmpstr(pl_rank_rule_name(PL_RANK_PAPER), ==, "paper");
  g_assert_false(pl_rank_rule_from_name("x", &rule));
  for (int sd = PL_SIDE_BOTH; sd <= PL_SIDE_RIGHT; sd++) {
    g_assert_true(pl_projection_side_from_name(pl_projection_side_name(sd), &side));
    g_assert_cmpint(side, ==, sd);
  }
  g_assert_false(pl_projection_side_from_name("up", &side));
  PlProjectionParams p;
  pl_projection_params_init(&p);
  g_assert_cmpfloat(p.tau, ==, 0.99);
  g_assert_cmpint(p.rule, ==, PL_RANK_PAPER);
  g_assert_cmpint(p.side, ==, PL_SIDE_BOTH);
}

static void test_rank_for_tau(void)
{
  const double l[5] = { 50, 25, 15, 7, 3 };  /* shares 0.5 0.75 0.9 0.97 1 */
  g_assert_cmpint(pl_rank_for_tau(l, 5, 0.5), ==, 1);
  g_assert_cmpint(pl_rank_for_tau(l, 5, 0.51), ==, 2);
  g_assert_cmpint(pl_rank_for_tau(l, 5, 0.9), ==, 3);
  g_assert_cmpint(pl_rank_for_tau(l, 5, 0.95), ==, 4);
  g_assert_cmpint(pl_rank_for_tau(l, 5, 0.99), ==, 5);
  g_assert_cmpint(pl_rank_for_tau(l, 5, 1.0), ==, 5);
  g_assert_cmpint(pl_rank_for_tau(l, 5, 1.5), ==, 5);
  g_assert_cmpint(pl_rank_for_tau(l, 5, 0.0), ==, 1);
  const double z[4] = { 0, 0, 0, 0 };
  g_assert_cmpint(pl_rank_for_tau(z, 4, 0.99), ==, 1);
  g_assert_cmpint(pl_rank_for_tau(z, 4, 1.0), ==, 4);
}

/* known spectra, both rules, several shapes */
static void test_rank_brute_force(void)
{
  const int shapes[][2] = { { 16, 16 }, { 32, 32 }, { 24, 40 }, { 40, 24 }, { 64, 64 } };
  PlRng rng;
  pl_rng_seed(&rng, 77);
  for (size_t sh = 0; sh < G_N_ELEMENTS(shapes); sh++) {
    const int h = shapes[sh][0], w = shapes[sh][1], k = MIN(h, w), C = 3;
    double *s[3];
    g_autofree float *z = g_new(float, (size_t)C * h * w);
    for (int c = 0; c < C; c++) {
      s[c] = g_new(double, k);
      spectrum(s[c], k, 1.0 + 0.5 * c, 1.0 + c);
      build_channel(&rng, h, w, s[c], z + (size_t)c * h * w);
    }
    g_autoptr(PlSubspace) sub = pl_subspace_new(C, h, w);
    PlProjectionParams p;
    pl_projection_params_init(&p);
    g_assert_true(pl_subspace_compute(sub, z, &p, NULL));
    g_assert_cmpint(pl_subspace_kmax(sub), ==, k);
    g_assert_cmpint(pl_subspace_channels(sub), ==, C);
    for (int c = 0; c < C; c++) {
      /* singular values: descending, equal to the construction to float accuracy */
      const double *sv = pl_subspace_singular_values(sub, c);
      for (int j = 0; j < k; j++) {
        g_assert_cmpfloat_with_epsilon(sv[j], s[c][j], 1e-5 * s[c][0]);
        if (j > 0)
          g_assert_cmpfloat(sv[j], <=, sv[j - 1]);
      }
      /* paper rule: every rank 1..k hit by a tau halfway into its interval */
      for (int r = 1; r <= k; r += MAX(1, k / 8)) {
        const double tau = mid_tau(s[c], k, r);
        pl_subspace_set_rank_params(sub, tau, PL_RANK_PAPER);
        g_assert_cmpint(pl_subspace_rank(sub, c), ==, brute_paper(s[c], k, tau));
        g_assert_cmpint(pl_subspace_rank(sub, c), ==, r);
        g_assert_cmpfloat(pl_subspace_energy_kept(sub, c), >=, tau);
      }
    }
    /* pooled rule: taus halfway between pooled cumulative shares */
    double total = 0;
    for (int c = 0; c < C; c++)
      for (int j = 0; j < k; j++)
        total += s[c][j] * s[c][j];
    for (int idx = 0; idx < C * k; idx += 7) {
      double cum = 0;
      for (int i = 0; i <= idx; i++)
        cum += s[i / k][i % k] * s[i / k][i % k];
      const double last = s[idx / k][idx % k];
      const double tau = (cum - 0.5 * last * last) / total;
      pl_subspace_set_rank_params(sub, tau, PL_RANK_POOLED);
      const int want = brute_pooled(s, C, k, tau);
      g_assert_cmpint(want, ==, CLAMP((idx + 1) / C, 1, k));
      for (int c = 0; c < C; c++)
        g_assert_cmpint(pl_subspace_rank(sub, c), ==, want);
    }
    pl_subspace_set_rank_params(sub, 1.0, PL_RANK_POOLED);
    g_assert_cmpint(pl_subspace_rank(sub, 0), ==, k);
    for (int c = 0; c < C; c++)
      g_free(s[c]);
  }
}

/* (I - U_r U_r^T) M and M (I - V_r V_r^T), max abs, with the subspace's own vectors */
static double left_residual(const PlSubspace *s, int ch, int h, int w, int r, const float *m)
{
  const double *u = pl_subspace_u(s, ch);
  const int k = pl_subspace_kmax(s);
  double worst = 0;
  for (int x = 0; x < w; x++) {
    double coef[64] = { 0 };
    for (int a = 0; a < r; a++)
      for (int i = 0; i < h; i++)
        coef[a] += u[i * k + a] * m[i * w + x];
    for (int i = 0; i < h; i++) {
      double v = m[i * w + x];
      for (int a = 0; a < r; a++)
        v -= u[i * k + a] * coef[a];
      worst = fmax(worst, fabs(v));
    }
  }
  return worst;
}

static double right_residual(const PlSubspace *s, int ch, int h, int w, int r, const float *m)
{
  const double *vt = pl_subspace_vt(s, ch);
  double worst = 0;
  for (int i = 0; i < h; i++) {
    double coef[64] = { 0 };
    for (int b = 0; b < r; b++)
      for (int x = 0; x < w; x++)
        coef[b] += vt[b * w + x] * m[i * w + x];
    for (int x = 0; x < w; x++) {
      double v = m[i * w + x];
      for (int b = 0; b < r; b++)
        v -= vt[b * w + x] * coef[b];
      worst = fmax(worst, fabs(v));
    }
  }
  return worst;
}

static void test_projection_algebra(void)
{
  const int shapes[][2] = { { 16, 16 }, { 32, 32 }, { 20, 36 }, { 36, 20 }, { 64, 64 } };
  PlRng rng;
  pl_rng_seed(&rng, 5);
  for (size_t sh = 0; sh < G_N_ELEMENTS(shapes); sh++) {
    const int h = shapes[sh][0], w = shapes[sh][1], C = 3;
    const size_t len = (size_t)C * h * w, hw = (size_t)h * w;
    g_autofree float *z = tu_normal(&rng, len), *g = tu_normal(&rng, len);
    g_autofree float *out = g_new(float, len), *again = g_new(float, len);
    g_autoptr(PlSubspace) sub = pl_subspace_new(C, h, w);
    PlProjectionParams p = { .tau = 0.6, .rule = PL_RANK_PAPER, .side = PL_SIDE_BOTH };
    g_assert_true(pl_subspace_compute(sub, z, &p, NULL));
    const double gmax = 4.0 + tu_norm(g, len) / sqrt(len);
    for (int side = PL_SIDE_BOTH; side <= PL_SIDE_RIGHT; side++) {
      pl_subspace_project(sub, side, g, out);
      /* idempotent: P(P(g)) = P(g) */
      pl_subspace_project(sub, side, out, again);
      g_assert_cmpfloat(tu_max_abs_diff(out, again, len), <, 1e-5 * gmax);
      for (int c = 0; c < C; c++) {
        const int r = pl_subspace_rank(sub, c);
        g_assert_cmpint(r, <, MIN(h, w));  /* a real projection at tau = 0.6 */
        const float *oc = out + c * hw;
        if (side != PL_SIDE_RIGHT)
          g_assert_cmpfloat(left_residual(sub, c, h, w, r, oc), <, 1e-5 * gmax);
        if (side != PL_SIDE_LEFT)
          g_assert_cmpfloat(right_residual(sub, c, h, w, r, oc), <, 1e-5 * gmax);
      }
      /* the residual g - P(g) is orthogonal to P(g) (orthogonal projector) */
      for (size_t i = 0; i < len; i++)
        again[i] = g[i] - out[i];
      for (int c = 0; c < C; c++)
        g_assert_cmpfloat(fabs(tu_dot(again + c * hw, out + c * hw, hw)), <, 1e-5 * hw * gmax);
      /* in place */
      memcpy(again, g, len * sizeof(float));
      pl_subspace_project(sub, side, again, again);
      g_assert_cmpfloat(tu_max_abs_diff(out, again, len), <, 1e-6 * gmax);
    }
    /* the singular vectors reconstruct Z: sum_j s_j u_j v_j^T */
    for (int c = 0; c < C; c++) {
      const double *u = pl_subspace_u(sub, c), *vt = pl_subspace_vt(sub, c);
      const double *sv = pl_subspace_singular_values(sub, c);
      const int k = pl_subspace_kmax(sub);
      double worst = 0;
      for (int i = 0; i < h; i++)
        for (int x = 0; x < w; x++) {
          double acc = 0;
          for (int j = 0; j < k; j++)
            acc += u[i * k + j] * sv[j] * vt[j * w + x];
          worst = fmax(worst, fabs(acc - z[c * hw + i * w + x]));
        }
      g_assert_cmpfloat(worst, <, 1e-9);
    }
  }
}

static void test_full_rank_identity(void)
{
  /* tau = 1 keeps every direction: for a square full-rank latent U U^T = V V^T = I */
  const int n = 32, C = 3;
  const size_t len = (size_t)C * n * n;
  PlRng rng;
  pl_rng_seed(&rng, 9);
  g_autofree float *z = tu_normal(&rng, len), *g = tu_normal(&rng, len), *out = g_new(float, len);
  PlProjectionParams p = { .tau = 1.0, .rule = PL_RANK_PAPER, .side = PL_SIDE_BOTH };
  int ranks[3];
  g_autofree double *sv = g_new(double, C * n);
  g_assert_true(pl_project_gradient(z, g, C, n, n, &p, out, sv, ranks, NULL));
  for (int c = 0; c < C; c++)
    g_assert_cmpint(ranks[c], ==, n);
  g_assert_cmpfloat(tu_max_abs_diff(out, g, len), <, 1e-5);
  for (int c = 0; c < C; c++)
    for (int j = 1; j < n; j++)
      g_assert_cmpfloat(sv[c * n + j], <=, sv[c * n + j - 1]);
  p.rule = PL_RANK_POOLED;
  g_assert_true(pl_project_gradient(z, g, C, n, n, &p, out, NULL, ranks, NULL));
  g_assert_cmpint(ranks[0], ==, n);
  g_assert_cmpfloat(tu_max_abs_diff(out, g, len), <, 1e-5);
}

static void test_low_rank_latent(void)
{
  /* Z of exact rank 2: at tau = 0.99 the rank is at most 2 and G' lies in span(Z) */
  const int n = 16, C = 1;
  PlRng rng;
  pl_rng_seed(&rng, 10);
  double s[16] = { 5, 3 };
  g_autofree float *z = g_new(float, n * n), *g = tu_normal(&rng, n * n), *out = g_new(float, n * n);
  build_channel(&rng, n, n, s, z);
  int rank;
  PlProjectionParams p;
  pl_projection_params_init(&p);
  g_autoptr(PlSubspace) sub = pl_subspace_new(C, n, n);
  g_assert_true(pl_subspace_compute(sub, z, &p, NULL));
  g_assert_cmpint(pl_subspace_rank(sub, 0), ==, 2);  /* shares 25/34 = 0.735, then 1 */
  pl_subspace_project(sub, PL_SIDE_BOTH, g, out);
  g_assert_cmpfloat(left_residual(sub, 0, n, n, 2, out), <, 1e-5);
  g_assert_cmpfloat(right_residual(sub, 0, n, n, 2, out), <, 1e-5);
  /* the one-call form agrees */
  g_autofree float *out2 = g_new(float, n * n);
  g_assert_true(pl_project_gradient(z, g, C, n, n, &p, out2, NULL, &rank, NULL));
  g_assert_cmpint(rank, ==, 2);
  g_assert_cmpfloat(tu_max_abs_diff(out, out2, n * n), ==, 0.0);
}

static void test_degenerate(void)
{
  /* an all-zero channel: rank 1, energy 1, no NaN anywhere */
  const int n = 8, C = 3;
  PlRng rng;
  pl_rng_seed(&rng, 11);
  g_autofree float *z = tu_normal(&rng, C * n * n), *g = tu_normal(&rng, C * n * n);
  g_autofree float *out = g_new(float, C * n * n);
  memset(z + n * n, 0, n * n * sizeof(float));
  g_autoptr(PlSubspace) sub = pl_subspace_new(C, n, n);
  PlProjectionParams p;
  pl_projection_params_init(&p);
  g_assert_true(pl_subspace_compute(sub, z, &p, NULL));
  g_assert_cmpint(pl_subspace_rank(sub, 1), ==, 1);
  g_assert_cmpfloat(pl_subspace_energy_kept(sub, 1), ==, 1.0);
  pl_subspace_project(sub, PL_SIDE_BOTH, g, out);
  for (int i = 0; i < C * n * n; i++)
    g_assert_true(isfinite(out[i]));
  /* everything zero, pooled */
  memset(z, 0, C * n * n * sizeof(float));
  p.rule = PL_RANK_POOLED;
  g_assert_true(pl_subspace_compute(sub, z, &p, NULL));
  for (int c = 0; c < C; c++) {
    g_assert_cmpint(pl_subspace_rank(sub, c), ==, 1);
    g_assert_true(isfinite(pl_subspace_energy_kept(sub, c)));
  }
  pl_subspace_project(sub, PL_SIDE_LEFT, g, out);
  for (int i = 0; i < C * n * n; i++)
    g_assert_true(isfinite(out[i]));
  /* non-finite input is refused */
  z[5] = NAN;
  g_autoptr(GError) error = NULL;
  g_assert_false(pl_subspace_compute(sub, z, &p, &error));
  g_assert_error(error, PL_PROJECTION_ERROR, PL_PROJECTION_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(pl_project_gradient(z, g, 0, n, n, &p, out, NULL, NULL, &error));
  g_assert_error(error, PL_PROJECTION_ERROR, PL_PROJECTION_ERROR_INVALID);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/projection/names", test_names);
  g_test_add_func("/projection/rank-for-tau", test_rank_for_tau);
  g_test_add_func("/projection/rank-brute-force", test_rank_brute_force);
  g_test_add_func("/projection/algebra", test_projection_algebra);
  g_test_add_func("/projection/full-rank-identity", test_full_rank_identity);
  g_test_add_func("/projection/low-rank-latent", test_low_rank_latent);
  g_test_add_func("/projection/degenerate", test_degenerate);
  return g_test_run();
}
