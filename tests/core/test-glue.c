/* PSLD's gluing with the official code's transpose T and with the exact adjoint.
 * First principles only:
 *  - T by its definition (nearest-neighbour copy for SR, identity otherwise), written out
 *    here index by index;
 *  - the adjoint identity <T y, x> = <y, T^T x>;
 *  - A(T(y)) ~ y for a smooth y (SR: the bicubic antialiased downsampler reproduces a
 *    block-constant upsampling of a smooth image), T(A x) = mask * x (inpainting);
 *  - the SR contraction the issue measured: the official gluing nearly fits y, the
 *    adjoint one (gain 1/f^2) barely moves the residual;
 *  - the VJP of the (non-symmetric) gluing map by finite differences, both modes. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "pl_operator.h"
#include "test-util.h"

static PlOperator *make_op(PlTask task, int n, guint64 seed)
{
  PlOperatorParams p;
  pl_operator_params_init(&p, task, n);
  p.seed = seed;
  g_autoptr(GError) error = NULL;
  PlOperator *op = pl_operator_new(&p, &error);
  g_assert_no_error(error);
  return op;
}

static const PlTask linear_tasks[] = {
  PL_TASK_INPAINT_BOX, PL_TASK_INPAINT_RANDOM, PL_TASK_GAUSSIAN_BLUR,
  PL_TASK_MOTION_BLUR, PL_TASK_SUPER_RESOLUTION,
};

/* a smooth image in [-1,1]: low-frequency sinusoids per channel */
static float *smooth_image(int n)
{
  float *x = g_new(float, (size_t)3 * n * n);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        x[((size_t)c * n + i) * n + j] =
            (float)(0.6 * sin(2 * G_PI * (i + 0.5 * c) / n) * cos(2 * G_PI * (j - 0.3 * c) / n));
  return x;
}

static void test_names(void)
{
  PlGlueTranspose g;
  g_assert_true(pl_glue_transpose_from_name("official", &g) && g == PL_GLUE_OFFICIAL);
  g_assert_true(pl_glue_transpose_from_name("adjoint", &g) && g == PL_GLUE_ADJOINT);
  g_assert_false(pl_glue_transpose_from_name("exact", &g));
  g_assert_cmpstr(pl_glue_transpose_name(PL_GLUE_OFFICIAL), ==, "official");
  g_assert_cmpstr(pl_glue_transpose_name(PL_GLUE_ADJOINT), ==, "adjoint");
}

static void test_definition(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 5);
  for (size_t t = 0; t < G_N_ELEMENTS(linear_tasks); t++) {
    const int n = 32;
    g_autoptr(PlOperator) op = make_op(linear_tasks[t], n, 2);
    const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
    g_autofree float *y = tu_normal(&rng, yl), *x = g_new(float, xl);
    g_assert_true(pl_operator_transpose_official(op, y, x, NULL));
    if (linear_tasks[t] == PL_TASK_SUPER_RESOLUTION) {
      const int m = n / 4;
      for (int c = 0; c < 3; c++)
        for (int i = 0; i < n; i++)
          for (int j = 0; j < n; j++)
            g_assert_cmpfloat(x[((size_t)c * n + i) * n + j], ==,
                              y[((size_t)c * m + i / 4) * m + j / 4]);
    } else {
      g_assert_cmpmem(x, xl * sizeof(float), y, yl * sizeof(float));
    }
  }
}

static void test_adjoint_identity(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 6);
  for (size_t t = 0; t < G_N_ELEMENTS(linear_tasks); t++) {
    g_autoptr(PlOperator) op = make_op(linear_tasks[t], 32, 1);
    const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
    g_autofree float *y = tu_normal(&rng, yl), *x = tu_normal(&rng, xl);
    g_autofree float *ty = g_new(float, xl), *ttx = g_new(float, yl);
    g_assert_true(pl_operator_transpose_official(op, y, ty, NULL));
    g_assert_true(pl_operator_transpose_official_adjoint(op, x, ttx, NULL));
    const double lhs = tu_dot(ty, x, xl), rhs = tu_dot(y, ttx, yl);
    /* float sums of ~3000 terms of size ~1: relative rounding well below 1e-5 */
    g_assert_cmpfloat(fabs(lhs - rhs), <, 1e-5 * (fabs(lhs) + tu_norm(ty, xl) * tu_norm(x, xl)));
  }
}

static void test_sr_reproduces(void)
{
  /* for a smooth low-resolution y, the nearest upsampling is block constant and the
   * antialiased bicubic downsampler averages each block back: A(T(y)) ~ y */
  const int n = 64, m = n / 4;
  g_autoptr(PlOperator) op = make_op(PL_TASK_SUPER_RESOLUTION, n, 0);
  g_autofree float *y = g_new(float, (size_t)3 * m * m);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < m; j++)
        y[((size_t)c * m + i) * m + j] = (float)(0.5 * sin(2 * G_PI * i / m + c) * cos(2 * G_PI * j / m));
  g_autofree float *x = g_new(float, (size_t)3 * n * n), *ay = g_new(float, (size_t)3 * m * m);
  g_assert_true(pl_operator_transpose_official(op, y, x, NULL));
  pl_operator_forward(op, x, ay);
  const size_t yl = (size_t)3 * m * m;
  double diff = 0.0;
  for (size_t i = 0; i < yl; i++)
    diff += ((double)ay[i] - y[i]) * ((double)ay[i] - y[i]);
  /* the bicubic taps reach into the neighbouring blocks: an error of the order of the
   * change of y across one block (2 pi / 16 of the amplitude), far below ||y|| */
  g_assert_cmpfloat(sqrt(diff), <, 0.15 * tu_norm(y, yl));
}

static void test_inpaint_is_mask(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 7);
  const PlTask tasks[] = {PL_TASK_INPAINT_BOX, PL_TASK_INPAINT_RANDOM};
  for (size_t t = 0; t < G_N_ELEMENTS(tasks); t++) {
    const int n = 32;
    g_autoptr(PlOperator) op = make_op(tasks[t], n, 3);
    const size_t xl = pl_operator_x_len(op);
    g_autofree float *x = tu_normal(&rng, xl), *ax = g_new(float, xl), *tax = g_new(float, xl);
    pl_operator_forward(op, x, ax);
    g_assert_true(pl_operator_transpose_official(op, ax, tax, NULL));
    const float *mask = pl_operator_mask(op);
    for (size_t i = 0; i < xl; i++)
      g_assert_cmpfloat(tax[i], ==, mask[i % ((size_t)n * n)] * x[i]);
  }
}

static double dist(const float *a, const float *b, size_t n)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++)
    acc += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
  return sqrt(acc);
}

/* ||A(glue(y, x)) - y|| / ||A x - y|| for a smooth x and a smooth, different y */
static double sr_contraction(PlGlueTranspose mode)
{
  const int n = 64;
  g_autoptr(PlOperator) op = make_op(PL_TASK_SUPER_RESOLUTION, n, 0);
  const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
  g_autofree float *x = smooth_image(n), *x2 = g_new(float, xl), *y = g_new(float, yl);
  for (size_t i = 0; i < xl; i++)
    x2[i] = 0.8f * x[(i + 7 * n + 3) % xl];  /* another smooth image */
  pl_operator_forward(op, x2, y);
  g_autofree float *g = g_new(float, xl), *ag = g_new(float, yl), *ax = g_new(float, yl);
  g_assert_true(pl_operator_glue_with(op, mode, y, x, g, NULL));
  pl_operator_forward(op, g, ag);
  pl_operator_forward(op, x, ax);
  return dist(ag, y, yl) / dist(ax, y, yl);
}

static void test_sr_contraction(void)
{
  /* the adjoint of a 4x antialiased downsampler has gain 1/16: A A^T ~ I/16, so the
   * glued residual keeps ~15/16 of the old one; with nearest upsampling A T ~ I */
  const double adj = sr_contraction(PL_GLUE_ADJOINT), off = sr_contraction(PL_GLUE_OFFICIAL);
  g_assert_cmpfloat(adj, >, 0.85);
  g_assert_cmpfloat(adj, <, 1.0);
  g_assert_cmpfloat(off, <, 0.2);
}

static void test_glue_adjoint_mode_matches(void)
{
  /* ADJOINT mode is the engine's former gluing, A^T y + (I - A^T A) x */
  PlRng rng;
  pl_rng_seed(&rng, 8);
  for (size_t t = 0; t < G_N_ELEMENTS(linear_tasks); t++) {
    g_autoptr(PlOperator) op = make_op(linear_tasks[t], 32, 4);
    const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
    g_autofree float *x = tu_normal(&rng, xl), *y = tu_normal(&rng, yl);
    g_autofree float *a = g_new(float, xl), *b = g_new(float, xl);
    g_assert_true(pl_operator_glue(op, y, x, a, NULL));
    g_assert_true(pl_operator_glue_with(op, PL_GLUE_ADJOINT, y, x, b, NULL));
    g_assert_cmpfloat(tu_max_abs_diff(a, b, xl), <, 1e-6);
  }
}

static void test_vjp_finite_differences(void)
{
  /* f(x) = <w, glue(y, x)>; the gluing is affine in x, so the central difference is exact
   * up to rounding: f(x+) - f(x-) = <vjp(w), x+ - x-> */
  PlRng rng;
  pl_rng_seed(&rng, 9);
  const PlGlueTranspose modes[] = {PL_GLUE_OFFICIAL, PL_GLUE_ADJOINT};
  for (size_t t = 0; t < G_N_ELEMENTS(linear_tasks); t++)
    for (size_t k = 0; k < G_N_ELEMENTS(modes); k++) {
      g_autoptr(PlOperator) op = make_op(linear_tasks[t], 32, 5);
      const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
      g_autofree float *x = tu_normal(&rng, xl), *y = tu_normal(&rng, yl);
      g_autofree float *w = tu_normal(&rng, xl), *v = tu_normal(&rng, xl);
      g_autofree float *xp = g_new(float, xl), *xm = g_new(float, xl);
      g_autofree float *gp = g_new(float, xl), *gm = g_new(float, xl), *vjp = g_new(float, xl);
      const double h = 0.5;  /* affine map: a large step only lowers the relative rounding */
      tu_central_points(x, v, h, xl, xp, xm);
      g_assert_true(pl_operator_glue_with(op, modes[k], y, xp, gp, NULL));
      g_assert_true(pl_operator_glue_with(op, modes[k], y, xm, gm, NULL));
      double fd = 0.0, an = 0.0;
      g_assert_true(pl_operator_glue_vjp(op, modes[k], w, vjp, NULL));
      for (size_t i = 0; i < xl; i++) {
        fd += (double)w[i] * ((double)gp[i] - gm[i]);
        an += (double)vjp[i] * ((double)xp[i] - xm[i]);
      }
      const double scale = 2 * h * tu_norm(w, xl) * tu_norm(v, xl);
      g_assert_cmpfloat(fabs(fd - an), <, 1e-5 * scale);
      /* in place gives the same */
      g_autofree float *wi = g_memdup2(w, xl * sizeof(float));
      g_assert_true(pl_operator_glue_vjp(op, modes[k], wi, wi, NULL));
      g_assert_cmpmem(wi, xl * sizeof(float), vjp, xl * sizeof(float));
    }
}

static void test_vjp_not_symmetric(void)
{
  /* with T != A^T the Jacobian I - T A is not symmetric, so using it unchanged as its own
   * transpose would be wrong: <u, J v> != <J u, v> for SR */
  g_autoptr(PlOperator) op = make_op(PL_TASK_SUPER_RESOLUTION, 32, 0);
  const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
  PlRng rng;
  pl_rng_seed(&rng, 10);
  g_autofree float *u = tu_normal(&rng, xl), *v = tu_normal(&rng, xl), *zero = g_new0(float, yl);
  g_autofree float *jv = g_new(float, xl), *ju = g_new(float, xl);
  /* J v = glue(0, v) (the affine part vanishes at y = 0) */
  g_assert_true(pl_operator_glue_with(op, PL_GLUE_OFFICIAL, zero, v, jv, NULL));
  g_assert_true(pl_operator_glue_with(op, PL_GLUE_OFFICIAL, zero, u, ju, NULL));
  const double a = tu_dot(u, jv, xl), b = tu_dot(ju, v, xl);
  g_assert_cmpfloat(fabs(a - b), >, 1e-3 * tu_norm(u, xl) * tu_norm(v, xl));
  g_autofree float *jtu = g_new(float, xl);
  g_assert_true(pl_operator_glue_vjp(op, PL_GLUE_OFFICIAL, u, jtu, NULL));
  g_assert_cmpfloat(fabs(tu_dot(jtu, v, xl) - a), <, 1e-5 * tu_norm(u, xl) * tu_norm(v, xl));
}

static void test_nonlinear_refused(void)
{
  g_autoptr(PlOperator) op = make_op(PL_TASK_PHASE_RETRIEVAL, 16, 0);
  const size_t xl = pl_operator_x_len(op);
  g_autofree float *x = g_new0(float, xl), *out = g_new0(float, xl);
  g_autoptr(GError) error = NULL;
  g_assert_false(pl_operator_glue_vjp(op, PL_GLUE_OFFICIAL, x, out, &error));
  g_assert_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_NOT_LINEAR);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/glue/names", test_names);
  g_test_add_func("/glue/definition", test_definition);
  g_test_add_func("/glue/adjoint-identity", test_adjoint_identity);
  g_test_add_func("/glue/sr-reproduces", test_sr_reproduces);
  g_test_add_func("/glue/inpaint-is-mask", test_inpaint_is_mask);
  g_test_add_func("/glue/sr-contraction", test_sr_contraction);
  g_test_add_func("/glue/adjoint-mode-matches", test_glue_adjoint_mode_matches);
  g_test_add_func("/glue/vjp-finite-differences", test_vjp_finite_differences);
  g_test_add_func("/glue/vjp-not-symmetric", test_vjp_not_symmetric);
  g_test_add_func("/glue/nonlinear-refused", test_nonlinear_refused);
  return g_test_run();
}
