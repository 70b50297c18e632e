/* PLoRG projection: per-channel SVD with LAPACKE (double) and the two rank rules.
 *
 * Layout trick: a row-major h x w matrix Z is, in memory, the column-major w x h matrix
 * Z^T. dgesdd on Z^T = U' S V'^T returns U' (w x k, column-major) and V'^T (k x h,
 * column-major), and Z = V' S U'^T, so those two buffers already are Vt (k x w, row-major)
 * and U (h x k, row-major) of Z. No transposes, and LAPACKE's column-major _work entry
 * points allocate nothing. */
#include "pl_projection.h"

#include <lapacke.h>
#ifdef PL_HAVE_CBLAS
#include <cblas.h>
#endif
#include <math.h>
#include <string.h>

G_DEFINE_QUARK(pl-projection-error-quark, pl_projection_error)

struct PlSubspace {
  int c, h, w, k;      /* channels, rows, columns, kmax = min(h, w) */
  double *a;           /* h*w: the channel being decomposed (destroyed by LAPACK) */
  double *u, *vt, *s;  /* per channel: h*k, k*w, k */
  double *lambda;      /* c*k squared singular values, channel after channel */
  int *rank;
  double *energy;
  double *work;        /* LAPACK workspace (lwork doubles) and 8k ints */
  lapack_int lwork, *iwork;
};

const char *pl_rank_rule_name(PlRankRule rule)
{
  return rule == PL_RANK_POOLED ? "pooled" : "paper";
}

gboolean pl_rank_rule_from_name(const char *name, PlRankRule *out)
{
  PlRankRule v;
  if (g_strcmp0(name, "paper") == 0)
    v = PL_RANK_PAPER;
  else if (g_strcmp0(name, "pooled") == 0)
    v = PL_RANK_POOLED;
  else
    return FALSE;
  if (out != NULL)
    *out = v;
  return TRUE;
}

const char *pl_projection_side_name(PlProjectionSide side)
{
  switch (side) {
  case PL_SIDE_LEFT: return "left";
  case PL_SIDE_RIGHT: return "right";
  default: return "both";
  }
}

gboolean pl_projection_side_from_name(const char *name, PlProjectionSide *out)
{
  static const PlProjectionSide sides[] = { PL_SIDE_BOTH, PL_SIDE_LEFT, PL_SIDE_RIGHT };
  for (size_t i = 0; name != NULL && i < G_N_ELEMENTS(sides); i++)
    if (strcmp(name, pl_projection_side_name(sides[i])) == 0) {
      if (out != NULL)
        *out = sides[i];
      return TRUE;
    }
  return FALSE;
}

void pl_projection_params_init(PlProjectionParams *p)
{
  p->tau = 0.99;
  p->rule = PL_RANK_PAPER;
  p->side = PL_SIDE_BOTH;
}

/* A total this small (or not positive) carries no direction worth keeping: rank 1. */
static gboolean negligible(double total)
{
  return !(total > 1e-300) || !isfinite(total);
}

int pl_rank_for_tau(const double *lambda, int n, double tau)
{
  if (n <= 0)
    return 0;
  if (tau >= 1.0)
    return n;
  double total = 0.0;
  for (int j = 0; j < n; j++)
    total += lambda[j];
  if (negligible(total))
    return 1;
  double cum = 0.0;
  for (int j = 0; j < n; j++) {
    cum += lambda[j];
    if (cum / total >= tau)
      return j + 1;
  }
  return n;  /* rounding kept the share just below tau */
}

/* DiffStateGrad's rule over the pooled list of all channels. */
static int pooled_rank(const double *lambda, int len, int channels, int kmax, double tau)
{
  if (tau >= 1.0)
    return kmax;
  double total = 0.0;
  for (int j = 0; j < len; j++)
    total += lambda[j];
  if (negligible(total))
    return 1;
  int index = len - 1;
  double cum = 0.0;
  for (int j = 0; j < len; j++) {
    cum += lambda[j];
    if (cum / total >= tau) {
      index = j;
      break;
    }
  }
  return CLAMP((index + 1) / channels, 1, kmax);
}

PlSubspace *pl_subspace_new(int channels, int h, int w)
{
  g_return_val_if_fail(channels >= 1 && h >= 1 && w >= 1, NULL);
  PlSubspace *s = g_new0(PlSubspace, 1);
  s->c = channels;
  s->h = h;
  s->w = w;
  s->k = MIN(h, w);
  const size_t c = channels, k = s->k;
  s->a = g_new(double, (size_t)h * w);
  s->u = g_new0(double, c * h * k);
  s->vt = g_new0(double, c * k * w);
  s->s = g_new0(double, c * k);
  s->lambda = g_new0(double, c * k);
  s->rank = g_new0(int, c);
  s->energy = g_new0(double, c);
  s->iwork = g_new(lapack_int, 8 * k);
  /* workspace query, once */
  double q = 0.0;
  lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', w, h, s->a, w, s->s, s->vt, w,
                                        s->u, s->k, &q, -1, s->iwork);
  s->lwork = info == 0 ? (lapack_int)q : 0;
  s->lwork = MAX(s->lwork, (lapack_int)(4 * k * k + 7 * k + MAX(h, w)) * 2);
  s->work = g_new(double, s->lwork);
  return s;
}

void pl_subspace_free(PlSubspace *s)
{
  if (s == NULL)
    return;
  g_free(s->a);
  g_free(s->u);
  g_free(s->vt);
  g_free(s->s);
  g_free(s->lambda);
  g_free(s->rank);
  g_free(s->energy);
  g_free(s->work);
  g_free(s->iwork);
  g_free(s);
}

void pl_subspace_set_rank_params(PlSubspace *s, double tau, PlRankRule rule)
{
  const int k = s->k;
  int shared = rule == PL_RANK_POOLED ? pooled_rank(s->lambda, s->c * k, s->c, k, tau) : 0;
  for (int ch = 0; ch < s->c; ch++) {
    const double *l = s->lambda + (size_t)ch * k;
    int r = rule == PL_RANK_POOLED ? shared : pl_rank_for_tau(l, k, tau);
    double total = 0.0, kept = 0.0;
    for (int j = 0; j < k; j++) {
      total += l[j];
      if (j < r)
        kept += l[j];
    }
    s->rank[ch] = r;
    s->energy[ch] = negligible(total) ? 1.0 : kept / total;
  }
}

gboolean pl_subspace_compute(PlSubspace *s, const float *z, const PlProjectionParams *params,
                             GError **error)
{
  const size_t hw = (size_t)s->h * s->w, k = s->k;
  for (size_t i = 0; i < hw * s->c; i++)
    if (!isfinite(z[i])) {
      g_set_error(error, PL_PROJECTION_ERROR, PL_PROJECTION_ERROR_INVALID,
                  "Latent has a non-finite value at index %zu", i);
      return FALSE;
    }
  for (int ch = 0; ch < s->c; ch++) {
    for (size_t i = 0; i < hw; i++)
      s->a[i] = z[ch * hw + i];
    double *sv = s->s + ch * k, *u = s->u + ch * s->h * k, *vt = s->vt + ch * k * s->w;
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', s->w, s->h, s->a, s->w, sv,
                                          vt, s->w, u, s->k, s->work, s->lwork, s->iwork);
    if (info != 0) {
      /* dgesdd can fail to converge where the QR iteration of dgesvd succeeds */
      for (size_t i = 0; i < hw; i++)
        s->a[i] = z[ch * hw + i];
      info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', s->w, s->h, s->a, s->w, sv,
                                 vt, s->w, u, s->k, s->work, s->lwork);
    }
    if (info != 0) {
      g_set_error(error, PL_PROJECTION_ERROR, PL_PROJECTION_ERROR_SVD,
                  "SVD of latent channel %d failed (LAPACK info %d)", ch, (int)info);
      return FALSE;
    }
    for (size_t j = 0; j < k; j++)
      s->lambda[ch * k + j] = sv[j] * sv[j];
  }
  PlProjectionParams def;
  if (params == NULL) {
    pl_projection_params_init(&def);
    params = &def;
  }
  pl_subspace_set_rank_params(s, params->tau, params->rule);
  return TRUE;
}

int pl_subspace_channels(const PlSubspace *s) { return s->c; }
int pl_subspace_kmax(const PlSubspace *s) { return s->k; }
const double *pl_subspace_singular_values(const PlSubspace *s, int ch) { return s->s + (size_t)ch * s->k; }
int pl_subspace_rank(const PlSubspace *s, int ch) { return s->rank[ch]; }
double pl_subspace_energy_kept(const PlSubspace *s, int ch) { return s->energy[ch]; }
const double *pl_subspace_u(const PlSubspace *s, int ch) { return s->u + (size_t)ch * s->h * s->k; }
const double *pl_subspace_vt(const PlSubspace *s, int ch) { return s->vt + (size_t)ch * s->k * s->w; }

/* c (m x n) = op(a) op(b), row-major, op = transpose when the flag is set */
static void gemm(gboolean ta, gboolean tb, int m, int n, int k, const double *a, int lda,
                 const double *b, int ldb, double *c, int ldc)
{
#ifdef PL_HAVE_CBLAS
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
#else
  for (int i = 0; i < m; i++) {
    double *ci = c + (size_t)i * ldc;
    memset(ci, 0, (size_t)n * sizeof(double));
    for (int p = 0; p < k; p++) {
      const double aip = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
      if (!tb) {
        const double *bp = b + (size_t)p * ldb;  /* row p of b: contiguous */
        for (int j = 0; j < n; j++)
          ci[j] += aip * bp[j];
      } else {
        for (int j = 0; j < n; j++)
          ci[j] += aip * b[(size_t)j * ldb + p];
      }
    }
  }
#endif
}

/* With U_r = U[:, :r] (h x r, stride k) and V_r^T = Vt[:r, :] (r x w):
 *   both : U_r ((U_r^T G) V_r) V_r^T     left : U_r (U_r^T G)     right : (G V_r) V_r^T
 * evaluated so that every intermediate is r wide (cheaper than forming h x h or w x w
 * projectors). */
void pl_subspace_project(const PlSubspace *s, PlProjectionSide side, const float *g, float *out)
{
  const int h = s->h, w = s->w, k = s->k;
  const size_t hw = (size_t)h * w;
  /* scratch per call (not in the subspace) so that a const subspace may be shared */
  double *gd = g_new(double, hw), *od = g_new(double, hw);
  double *t1 = g_new(double, (size_t)k * w), *t2 = g_new(double, (size_t)k * w);
  double *c = g_new(double, (size_t)h * k);
  for (int ch = 0; ch < s->c; ch++) {
    const double *u = pl_subspace_u(s, ch), *vt = pl_subspace_vt(s, ch);
    const int r = s->rank[ch];
    for (size_t i = 0; i < hw; i++)
      gd[i] = g[ch * hw + i];
    if (side == PL_SIDE_RIGHT) {
      gemm(FALSE, TRUE, h, r, w, gd, w, vt, w, c, r);      /* G V_r      (h x r) */
      gemm(FALSE, FALSE, h, w, r, c, r, vt, w, od, w);     /* ... V_r^T  (h x w) */
    } else {
      gemm(TRUE, FALSE, r, w, h, u, k, gd, w, t1, w);      /* U_r^T G    (r x w) */
      if (side == PL_SIDE_BOTH) {
        gemm(FALSE, TRUE, r, r, w, t1, w, vt, w, c, r);    /* ... V_r    (r x r) */
        gemm(FALSE, FALSE, r, w, r, c, r, vt, w, t2, w);   /* ... V_r^T  (r x w) */
        double *tmp = t1;
        t1 = t2;
        t2 = tmp;
      }
      gemm(FALSE, FALSE, h, w, r, u, k, t1, w, od, w);     /* U_r ...    (h x w) */
    }
    for (size_t i = 0; i < hw; i++)
      out[ch * hw + i] = (float)od[i];
  }
  g_free(gd);
  g_free(od);
  g_free(t1);
  g_free(t2);
  g_free(c);
}

gboolean pl_project_gradient(const float *z, const float *g, int channels, int h, int w,
                             const PlProjectionParams *params, float *out,
                             double *sv_out, int *rank_out, GError **error)
{
  if (channels < 1 || h < 1 || w < 1 || z == NULL || g == NULL || out == NULL) {
    g_set_error(error, PL_PROJECTION_ERROR, PL_PROJECTION_ERROR_INVALID,
                "Invalid latent shape %d x %d x %d", channels, h, w);
    return FALSE;
  }
  PlProjectionParams def;
  if (params == NULL) {
    pl_projection_params_init(&def);
    params = &def;
  }
  g_autoptr(PlSubspace) s = pl_subspace_new(channels, h, w);
  if (!pl_subspace_compute(s, z, params, error))
    return FALSE;
  pl_subspace_project(s, params->side, g, out);
  for (int ch = 0; ch < channels; ch++) {
    if (sv_out != NULL)
      memcpy(sv_out + (size_t)ch * s->k, pl_subspace_singular_values(s, ch), s->k * sizeof(double));
    if (rank_out != NULL)
      rank_out[ch] = s->rank[ch];
  }
  return TRUE;
}
