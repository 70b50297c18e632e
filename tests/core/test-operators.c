/* Forward operators. First-principles checks only:
 *  - adjoint identity <A x, y> = <x, A^T y> for every linear operator at several sizes;
 *  - forward blur and phase retrieval against direct evaluations of their definitions
 *    (reflect-padded correlation, DFT sums) written independently here;
 *  - central finite differences of every data term, both norms;
 *  - kernels: closed forms, sums, determinism; masks: counts and placement;
 *  - noise statistics, gluing identity, previews, parameter checks, concurrent creation. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "pl_operator.h"
#include "test-util.h"

static float *user_mask(int n, guint64 seed)
{
  PlRng rng;
  pl_rng_seed(&rng, seed);
  float *m = g_new(float, (size_t)n * n);
  for (int i = 0; i < n * n; i++)  /* soft values: the operator binarises at 1/2 */
    m[i] = (float)pl_rng_uniform(&rng);
  return m;
}

static PlOperator *make_op(PlTask task, int n, guint64 seed)
{
  PlOperatorParams p;
  pl_operator_params_init(&p, task, n);
  p.seed = seed;
  g_autofree float *mask = task == PL_TASK_INPAINT_MASK ? user_mask(n, seed) : NULL;
  p.mask = mask;
  g_autoptr(GError) error = NULL;
  PlOperator *op = pl_operator_new(&p, &error);
  g_assert_no_error(error);
  g_assert_nonnull(op);
  return op;
}

static const PlTask linear_tasks[] = {
  PL_TASK_INPAINT_BOX, PL_TASK_INPAINT_RANDOM, PL_TASK_INPAINT_MASK,
  PL_TASK_GAUSSIAN_BLUR, PL_TASK_MOTION_BLUR, PL_TASK_SUPER_RESOLUTION,
};

/* ---- parameters and names ------------------------------------------------------------ */

static void test_params_init(void)
{
  PlOperatorParams p;
  pl_operator_params_init(&p, PL_TASK_GAUSSIAN_BLUR, 256);
  g_assert_cmpint(p.box_h, ==, 128);
  g_assert_cmpint(p.box_w, ==, 128);
  g_assert_cmpint(p.margin, ==, 16);
  g_assert_cmpint(p.box_y, <, 0);
  g_assert_cmpfloat(p.missing_fraction, ==, 0.7);
  g_assert_cmpint(p.kernel_size, ==, 61);
  g_assert_cmpfloat(p.blur_sigma, ==, 3.0);
  g_assert_cmpfloat(p.motion_intensity, ==, 0.5);
  g_assert_cmpint(p.sr_factor, ==, 4);
  g_assert_cmpint(p.pr_pad, ==, 64);
  g_assert_cmpfloat(p.noise_sigma, ==, 0.01);
  g_assert_true(p.mask == NULL);

  pl_operator_params_init(&p, PL_TASK_MOTION_BLUR, 64);
  g_assert_cmpint(p.kernel_size, ==, 15);  /* 61/4 = 15.25 */
  g_assert_cmpfloat(p.blur_sigma, ==, 0.75);
  g_assert_cmpint(p.box_h, ==, 32);
  g_assert_cmpint(p.margin, ==, 4);
  g_assert_cmpint(p.pr_pad, ==, 16);
  pl_operator_params_init(&p, PL_TASK_MOTION_BLUR, 128);
  g_assert_cmpint(p.kernel_size, ==, 31);  /* 30.5 rounds up, odd */
  pl_operator_params_init(&p, PL_TASK_MOTION_BLUR, 32);
  g_assert_cmpint(p.kernel_size, ==, 9);   /* 7.6 -> 8 -> odd */
  for (int n = 4; n <= 512; n++) {
    pl_operator_params_init(&p, PL_TASK_GAUSSIAN_BLUR, n);
    g_assert_cmpint(p.kernel_size % 2, ==, 1);
    g_assert_cmpint(p.kernel_size, >=, 3);
    g_assert_cmpint(abs(p.kernel_size - MAX((int)lround(61.0 * n / 256), 3)), <=, 1);
  }
}

static void test_names(void)
{
  for (int t = 0; t < PL_TASK_COUNT; t++) {
    PlTask back;
    g_assert_true(pl_task_from_name(pl_task_name(t), &back));
    g_assert_cmpint(back, ==, t);
    g_assert_cmpuint(strlen(pl_task_label(t)), >, 0);
  }
  g_assert_cmpstr(pl_task_name(PL_TASK_SUPER_RESOLUTION), ==, "sr4");
  g_assert_cmpstr(pl_task_name(PL_TASK_PHASE_RETRIEVAL), ==, "phase");
  g_assert_false(pl_task_from_name("deblur", NULL));
  g_assert_false(pl_task_from_name(NULL, NULL));
  PlNorm norm;
  g_assert_true(pl_norm_from_name("l2sq", &norm));
  g_assert_cmpint(norm, ==, PL_NORM_L2_SQUARED);
  g_assert_true(pl_norm_from_name(pl_norm_name(PL_NORM_L2), &norm));
  g_assert_cmpint(norm, ==, PL_NORM_L2);
  g_assert_false(pl_norm_from_name("l1", &norm));
}

static void expect_invalid(const PlOperatorParams *p)
{
  g_autoptr(GError) error = NULL;
  PlOperator *op = pl_operator_new(p, &error);
  g_assert_null(op);
  g_assert_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_INVALID);
}

static void test_invalid(void)
{
  PlOperatorParams p;
  pl_operator_params_init(&p, PL_TASK_GAUSSIAN_BLUR, 64);
  p.kernel_size = 14;
  expect_invalid(&p);
  p.kernel_size = 129;  /* radius 64 = n: reflection undefined */
  expect_invalid(&p);
  pl_operator_params_init(&p, PL_TASK_SUPER_RESOLUTION, 66);
  expect_invalid(&p);
  pl_operator_params_init(&p, PL_TASK_INPAINT_BOX, 64);
  p.box_h = 60;
  expect_invalid(&p);
  pl_operator_params_init(&p, PL_TASK_INPAINT_BOX, 64);
  p.box_y = 40;
  p.box_x = 0;
  expect_invalid(&p);
  pl_operator_params_init(&p, PL_TASK_INPAINT_MASK, 64);
  expect_invalid(&p);
  pl_operator_params_init(&p, PL_TASK_INPAINT_RANDOM, 64);
  p.missing_fraction = 1.5;
  expect_invalid(&p);
  p.missing_fraction = 0.5;
  p.noise_sigma = -1;
  expect_invalid(&p);
  pl_operator_params_init(&p, PL_TASK_MOTION_BLUR, 64);
  p.motion_intensity = 2;
  expect_invalid(&p);
  pl_operator_params_init(&p, PL_TASK_PHASE_RETRIEVAL, 1);
  expect_invalid(&p);

  /* phase retrieval is not linear */
  g_autoptr(PlOperator) op = make_op(PL_TASK_PHASE_RETRIEVAL, 16, 0);
  g_assert_false(pl_operator_is_linear(op));
  g_autofree float *y = g_new0(float, pl_operator_y_len(op));
  g_autofree float *x = g_new0(float, pl_operator_x_len(op));
  g_autoptr(GError) error = NULL;
  g_assert_false(pl_operator_adjoint(op, y, x, &error));
  g_assert_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_NOT_LINEAR);
  g_clear_error(&error);
  g_assert_false(pl_operator_glue(op, y, x, x, &error));
  g_assert_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_NOT_LINEAR);
}

/* ---- adjoints -------------------------------------------------------------------------- */

/* Transforms accumulate in double and round each output to float once, so each side of
 * the identity carries a relative error of about 2^-24 ~ 6e-8 of
 * sum |(Ax)_i y_i| <= ||Ax|| ||y|| (resp. ||x|| ||A^T y||); 1e-6 is a 16x margin. */
static void check_adjoint(PlTask task, int n, guint64 seed)
{
  g_autoptr(PlOperator) op = make_op(task, n, seed);
  const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
  PlRng rng;
  pl_rng_seed(&rng, seed + 100);
  g_autofree float *x = tu_normal(&rng, xl);
  g_autofree float *y = tu_normal(&rng, yl);
  g_autofree float *ax = g_new(float, yl);
  g_autofree float *aty = g_new(float, xl);
  pl_operator_forward(op, x, ax);
  g_assert_true(pl_operator_adjoint(op, y, aty, NULL));
  const double lhs = tu_dot(ax, y, yl), rhs = tu_dot(x, aty, xl);
  const double scale = tu_norm(ax, yl) * tu_norm(y, yl) + tu_norm(x, xl) * tu_norm(aty, xl);
  g_test_message("%s n=%d: <Ax,y>=%.9g <x,A^Ty>=%.9g rel %.2e", pl_task_name(task), n, lhs, rhs,
                 fabs(lhs - rhs) / scale);
  g_assert_cmpfloat(fabs(lhs - rhs), <=, 1e-6 * scale);
}

static void test_adjoint(void)
{
  const int sizes[] = { 64, 128, 100, 36 };  /* 100, 36: not multiples of 16 */
  for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++)
    for (size_t t = 0; t < G_N_ELEMENTS(linear_tasks); t++)
      check_adjoint(linear_tasks[t], sizes[s], 7 + s);
}

/* kernel radius close to the image: every padded pixel folds back */
static void test_adjoint_wide_kernel(void)
{
  PlOperatorParams p;
  pl_operator_params_init(&p, PL_TASK_MOTION_BLUR, 12);
  p.kernel_size = 23;
  g_autoptr(GError) error = NULL;
  g_autoptr(PlOperator) op = pl_operator_new(&p, &error);
  g_assert_no_error(error);
  const size_t len = pl_operator_x_len(op);
  PlRng rng;
  pl_rng_seed(&rng, 5);
  g_autofree float *x = tu_normal(&rng, len), *y = tu_normal(&rng, len);
  g_autofree float *ax = g_new(float, len), *aty = g_new(float, len);
  pl_operator_forward(op, x, ax);
  pl_operator_adjoint(op, y, aty, NULL);
  const double scale = tu_norm(ax, len) * tu_norm(y, len) + tu_norm(x, len) * tu_norm(aty, len);
  g_assert_cmpfloat(fabs(tu_dot(ax, y, len) - tu_dot(x, aty, len)), <=, 1e-6 * scale);
}

/* ---- blur against its definition ---------------------------------------------------- */

static int reflect(int p, int n)  /* numpy 'reflect': ... 2 1 | 0 1 2 ... n-1 | n-2 ... */
{
  return p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p;
}

static void check_blur_direct(PlTask task, int n, int side, guint64 seed)
{
  PlOperatorParams p;
  pl_operator_params_init(&p, task, n);
  p.kernel_size = side;
  p.blur_sigma = side / 4.0;
  p.seed = seed;
  g_autoptr(PlOperator) op = pl_operator_new(&p, NULL);
  g_assert_nonnull(op);
  int ks = 0;
  const float *k = pl_operator_kernel(op, &ks);
  g_assert_cmpint(ks, ==, side);
  const int r = side / 2;
  PlRng rng;
  pl_rng_seed(&rng, seed);
  g_autofree float *x = tu_random(&rng, pl_operator_x_len(op), -1, 1);
  g_autofree float *y = g_new(float, pl_operator_y_len(op));
  pl_operator_forward(op, x, y);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double acc = 0;  /* correlation: kernel not flipped */
        for (int a = 0; a < side; a++)
          for (int b = 0; b < side; b++)
            acc += k[a * side + b] * x[(size_t)c * n * n + reflect(i + a - r, n) * n + reflect(j + b - r, n)];
        g_assert_cmpfloat_with_epsilon(y[(size_t)c * n * n + i * n + j], acc, 1e-5);
      }
}

static void test_blur_direct(void)
{
  check_blur_direct(PL_TASK_GAUSSIAN_BLUR, 20, 7, 1);
  check_blur_direct(PL_TASK_MOTION_BLUR, 20, 7, 2);    /* asymmetric kernel: orientation */
  check_blur_direct(PL_TASK_MOTION_BLUR, 16, 31, 3);   /* radius 15 = n - 1 */
  check_blur_direct(PL_TASK_GAUSSIAN_BLUR, 13, 5, 4);
}

static void test_blur_constant(void)
{
  /* kernel sums to 1 and reflection keeps a constant constant */
  for (int t = PL_TASK_GAUSSIAN_BLUR; t <= PL_TASK_MOTION_BLUR; t++) {
    g_autoptr(PlOperator) op = make_op(t, 64, 3);
    g_autofree float *x = g_new(float, pl_operator_x_len(op));
    g_autofree float *y = g_new(float, pl_operator_y_len(op));
    for (size_t i = 0; i < pl_operator_x_len(op); i++)
      x[i] = 0.37f;
    pl_operator_forward(op, x, y);
    for (size_t i = 0; i < pl_operator_y_len(op); i++)
      g_assert_cmpfloat_with_epsilon(y[i], 0.37f, 1e-6);
  }
}

/* ---- kernels ------------------------------------------------------------------------------ */

static void test_gaussian_kernel(void)
{
  const int sides[] = { 3, 15, 61 };
  const double sigmas[] = { 0.75, 3.0, 7.5 };
  for (size_t s = 0; s < G_N_ELEMENTS(sides); s++) {
    const int side = sides[s];
    const double sg = sigmas[s], c = (side - 1) / 2.0;
    g_autofree float *k = g_new(float, side * side);
    pl_gaussian_kernel(side, sg, k);
    double sum = 0, z = 0;
    for (int i = 0; i < side * side; i++)
      sum += k[i];
    g_assert_cmpfloat_with_epsilon(sum, 1.0, 1e-5);
    for (int i = 0; i < side; i++)
      for (int j = 0; j < side; j++)
        z += exp(-((i - c) * (i - c) + (j - c) * (j - c)) / (2 * sg * sg));
    for (int i = 0; i < side; i++)
      for (int j = 0; j < side; j++) {
        const double g = exp(-((i - c) * (i - c) + (j - c) * (j - c)) / (2 * sg * sg)) / z;
        g_assert_cmpfloat(fabs(k[i * side + j] - g), <=, 1e-6 * g + 1e-12);
      }
  }
}

static void test_motion_kernel(void)
{
  const int side = 61;
  g_autofree float *a = g_new(float, side * side), *b = g_new(float, side * side);
  g_autofree float *c = g_new(float, side * side);
  for (guint64 seed = 0; seed < 20; seed++) {
    pl_motion_kernel(side, 0.5, seed, a);
    pl_motion_kernel(side, 0.5, seed, b);
    pl_motion_kernel(side, 0.5, seed + 1, c);
    double sum = 0;
    int support = 0;
    for (int i = 0; i < side * side; i++) {
      g_assert_cmpfloat(a[i], >=, 0.0f);
      sum += a[i];
      support += a[i] > 0;
    }
    g_assert_cmpfloat_with_epsilon(sum, 1.0, 1e-5);
    g_assert_cmpint(support, >, 1);  /* a path, not a delta (its shape: test-motionblur.c) */
    g_assert_cmpmem(a, side * side * sizeof(float), b, side * side * sizeof(float));
    g_assert_cmpfloat(tu_max_abs_diff(a, c, side * side), >, 1e-4);
  }
  /* every intensity and small sides still give a normalised, nonnegative kernel */
  const int sides[] = { 1, 3, 9, 15 };
  for (size_t s = 0; s < G_N_ELEMENTS(sides); s++)
    for (double it = 0; it <= 1.0; it += 0.25) {
      const int sd = sides[s];
      pl_motion_kernel(sd, it, 3, a);
      double sum = 0;
      for (int i = 0; i < sd * sd; i++) {
        g_assert_cmpfloat(a[i], >=, 0.0f);
        sum += a[i];
      }
      g_assert_cmpfloat_with_epsilon(sum, 1.0, 1e-5);
    }
}

/* ---- inpainting masks ------------------------------------------------------------------------ */

static int count_missing(const float *m, int n)
{
  int k = 0;
  for (int i = 0; i < n * n; i++)
    k += m[i] == 0.0f;
  return k;
}

static void test_masks(void)
{
  const int n = 64;
  for (guint64 seed = 0; seed < 30; seed++) {
    g_autoptr(PlOperator) op = make_op(PL_TASK_INPAINT_BOX, n, seed);
    const float *m = pl_operator_mask(op);
    const PlOperatorParams *p = pl_operator_params(op);
    g_assert_cmpint(count_missing(m, n), ==, 32 * 32);
    /* the box: inside the margins, missing exactly there */
    g_assert_cmpint(p->box_y, >=, 4);
    g_assert_cmpint(p->box_x, >=, 4);
    g_assert_cmpint(p->box_y + 32, <=, n - 4);
    g_assert_cmpint(p->box_x + 32, <=, n - 4);
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        gboolean in = y >= p->box_y && y < p->box_y + 32 && x >= p->box_x && x < p->box_x + 32;
        g_assert_cmpfloat(m[y * n + x], ==, in ? 0.0f : 1.0f);
      }
  }
  PlOperatorParams p;
  pl_operator_params_init(&p, PL_TASK_INPAINT_BOX, n);
  p.box_y = 3;
  p.box_x = 20;
  p.box_h = 10;
  p.box_w = 44;
  g_autoptr(PlOperator) fixed = pl_operator_new(&p, NULL);
  g_assert_cmpfloat(pl_operator_mask(fixed)[3 * n + 20], ==, 0.0f);
  g_assert_cmpfloat(pl_operator_mask(fixed)[12 * n + 63], ==, 0.0f);
  g_assert_cmpfloat(pl_operator_mask(fixed)[13 * n + 63], ==, 1.0f);
  g_assert_cmpfloat(pl_operator_mask(fixed)[3 * n + 19], ==, 1.0f);

  /* random: exactly round(0.7 n^2) pixels missing, seeded, the same in every channel */
  g_autoptr(PlOperator) r1 = make_op(PL_TASK_INPAINT_RANDOM, n, 1);
  g_autoptr(PlOperator) r1b = make_op(PL_TASK_INPAINT_RANDOM, n, 1);
  g_autoptr(PlOperator) r2 = make_op(PL_TASK_INPAINT_RANDOM, n, 2);
  g_assert_cmpint(count_missing(pl_operator_mask(r1), n), ==, (int)lround(0.7 * n * n));
  g_assert_cmpmem(pl_operator_mask(r1), n * n * sizeof(float), pl_operator_mask(r1b), n * n * sizeof(float));
  g_assert_cmpfloat(tu_max_abs_diff(pl_operator_mask(r1), pl_operator_mask(r2), n * n), ==, 1.0);
  g_autofree float *ones = g_new(float, 3 * n * n), *y = g_new(float, 3 * n * n);
  for (int i = 0; i < 3 * n * n; i++)
    ones[i] = 1.0f;
  pl_operator_forward(r1, ones, y);
  g_assert_cmpmem(y, n * n * sizeof(float), y + n * n, n * n * sizeof(float));
  g_assert_cmpmem(y, n * n * sizeof(float), y + 2 * n * n, n * n * sizeof(float));
  g_assert_cmpmem(y, n * n * sizeof(float), pl_operator_mask(r1), n * n * sizeof(float));

  /* user mask: binarised at 1/2 */
  g_autofree float *um = user_mask(n, 9);
  g_autoptr(PlOperator) mo = make_op(PL_TASK_INPAINT_MASK, n, 9);
  for (int i = 0; i < n * n; i++)
    g_assert_cmpfloat(pl_operator_mask(mo)[i], ==, um[i] >= 0.5f ? 1.0f : 0.0f);
  g_assert_null(pl_operator_kernel(mo, NULL));
  /* its parameters recreate it: the mask pointer is the operator's binarised copy */
  g_autoptr(PlOperator) mo2 = pl_operator_new(pl_operator_params(mo), NULL);
  g_assert_cmpmem(pl_operator_mask(mo2), n * n * sizeof(float), pl_operator_mask(mo), n * n * sizeof(float));
  g_autoptr(PlOperator) box2 = pl_operator_new(pl_operator_params(fixed), NULL);
  g_assert_cmpmem(pl_operator_mask(box2), n * n * sizeof(float), pl_operator_mask(fixed), n * n * sizeof(float));
  g_autoptr(PlOperator) blur = make_op(PL_TASK_GAUSSIAN_BLUR, 16, 0);
  g_assert_null(pl_operator_mask(blur));
}

/* ---- super-resolution ---------------------------------------------------------------------- */

static void test_sr(void)
{
  g_autoptr(PlOperator) op = make_op(PL_TASK_SUPER_RESOLUTION, 64, 0);
  int c, h, w;
  pl_operator_y_shape(op, &c, &h, &w);
  g_assert_cmpint(c, ==, 3);
  g_assert_cmpint(h, ==, 16);
  g_assert_cmpint(w, ==, 16);
  g_autofree float *x = g_new(float, pl_operator_x_len(op)), *y = g_new(float, pl_operator_y_len(op));
  for (int ch = 0; ch < 3; ch++)
    for (int i = 0; i < 64 * 64; i++)
      x[ch * 4096 + i] = -0.5f + 0.4f * ch;
  pl_operator_forward(op, x, y);
  for (int ch = 0; ch < 3; ch++)
    for (int i = 0; i < 256; i++)
      g_assert_cmpfloat_with_epsilon(y[ch * 256 + i], -0.5f + 0.4f * ch, 1e-6);
}

/* ---- phase retrieval ---------------------------------------------------------------------------- */

static void test_phase_delta(void)
{
  /* (x+1)/2 = delta at one pixel: |F_ortho delta| = 1/S at every frequency */
  const int n = 32;
  g_autoptr(PlOperator) op = make_op(PL_TASK_PHASE_RETRIEVAL, n, 0);
  int c, h, w;
  pl_operator_y_shape(op, &c, &h, &w);
  g_assert_cmpint(h, ==, 48);  /* pad n/4 on each side: 1.5 n */
  g_assert_cmpint(w, ==, 48);
  g_autofree float *x = g_new(float, pl_operator_x_len(op)), *y = g_new(float, pl_operator_y_len(op));
  for (size_t i = 0; i < pl_operator_x_len(op); i++)
    x[i] = -1.0f;
  x[5 * n + 17] = 1.0f;
  x[n * n + 0] = 1.0f;
  x[2 * n * n + n * n - 1] = 1.0f;
  pl_operator_forward(op, x, y);
  for (size_t i = 0; i < pl_operator_y_len(op); i++)
    g_assert_cmpfloat_with_epsilon(y[i], 1.0 / 48, 1e-7);
  /* x = -1 maps to p = 0 */
  for (size_t i = 0; i < pl_operator_x_len(op); i++)
    x[i] = -1.0f;
  pl_operator_forward(op, x, y);
  g_assert_cmpfloat(tu_norm(y, pl_operator_y_len(op)), <, 1e-12);
}

static void test_phase_direct(void)
{
  /* small cases against the DFT sum (fftshift included, even and odd sides) and Parseval */
  const int cases[][2] = { { 8, 3 }, { 7, 2 } };  /* n, pad: S = 14, 11 */
  for (size_t cs = 0; cs < G_N_ELEMENTS(cases); cs++) {
    const int n = cases[cs][0], pad = cases[cs][1], S = n + 2 * pad;
    PlOperatorParams p;
    pl_operator_params_init(&p, PL_TASK_PHASE_RETRIEVAL, n);
    p.pr_pad = pad;
    g_autoptr(PlOperator) op = pl_operator_new(&p, NULL);
    g_assert_nonnull(op);
    g_assert_cmpuint(pl_operator_y_len(op), ==, (size_t)3 * S * S);
    PlRng rng;
    pl_rng_seed(&rng, 3 + cs);
    g_autofree float *x = tu_random(&rng, pl_operator_x_len(op), -1, 1);
    g_autofree float *y = g_new(float, pl_operator_y_len(op));
    pl_operator_forward(op, x, y);
    for (int c = 0; c < 3; c++) {
      double energy_p = 0, energy_y = 0;
      for (int k = 0; k < S; k++)
        for (int l = 0; l < S; l++) {
          double re = 0, im = 0;
          for (int u = 0; u < n; u++)
            for (int v = 0; v < n; v++) {
              const double pv = 0.5 * (x[c * n * n + u * n + v] + 1.0);
              const double ang = -2 * G_PI * ((double)k * (u + pad) + (double)l * (v + pad)) / S;
              re += pv * cos(ang);
              im += pv * sin(ang);
            }
          const double mag = hypot(re, im) / S;
          const int sk = (k + S / 2) % S, sl = (l + S / 2) % S;  /* fftshift: DC to S/2 */
          g_assert_cmpfloat_with_epsilon(y[c * S * S + sk * S + sl], mag, 1e-5);
          energy_y += mag * mag;
        }
      for (int i = 0; i < n * n; i++) {
        const double pv = 0.5 * (x[c * n * n + i] + 1.0);
        energy_p += pv * pv;
      }
      g_assert_cmpfloat_with_epsilon(energy_y, energy_p, 1e-9 * energy_p);
    }
  }
}

/* ---- data-term gradients by central differences --------------------------------------------- */

/* f(x + h d) - f(x - h d) against <grad f(x), x+ - x-> with x+- the float points actually
 * evaluated. Error budget: the truncation term is (h^3/3) f''' (zero when f is quadratic,
 * i.e. a squared norm of a linear operator), rounding is about 1e-7 |f| from the float
 * residuals (double inside phase retrieval). So |diff - pred| <= 2e-3 |pred| + 1e-6 |f|. */
static void check_gradient(PlOperator *op, PlNorm norm, guint64 seed, double h)
{
  const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
  PlRng rng;
  pl_rng_seed(&rng, seed);
  g_autofree float *x = tu_random(&rng, xl, -0.8, 0.8);
  g_autofree float *x2 = tu_random(&rng, xl, -0.8, 0.8);
  g_autofree float *y = g_new(float, yl);
  pl_operator_measure(op, x2, seed, y);  /* measurement of another image: r != 0 */
  g_autofree float *g = g_new(float, xl);
  double res = -1;
  const double f = pl_operator_data_term(op, x, y, norm, g, &res);
  g_assert_cmpfloat(res, >, 0);
  g_assert_cmpfloat_with_epsilon(f, norm == PL_NORM_L2 ? res : res * res, 1e-9 * f);
  const double gnorm = tu_norm(g, xl);
  g_assert_cmpfloat(gnorm, >, 0);

  g_autofree float *d = g_new(float, xl), *xp = g_new(float, xl), *xm = g_new(float, xl);
  for (int dir = 0; dir < 3; dir++) {
    /* two random directions and the gradient's own */
    if (dir < 2)
      pl_rng_fill_normal(&rng, d, xl, 1.0f);
    else
      memcpy(d, g, xl * sizeof(float));
    tu_central_points(x, d, h / tu_norm(d, xl), xl, xp, xm);
    const double fp = pl_operator_data_term(op, xp, y, norm, NULL, NULL);
    const double fm = pl_operator_data_term(op, xm, y, norm, NULL, NULL);
    double pred = 0;
    for (size_t i = 0; i < xl; i++)
      pred += (double)g[i] * ((double)xp[i] - xm[i]);
    g_test_message("%s %s dir %d: diff %.9g pred %.9g", pl_task_name(pl_operator_task(op)),
                   pl_norm_name(norm), dir, fp - fm, pred);
    g_assert_cmpfloat(fabs((fp - fm) - pred), <=, 2e-3 * fabs(pred) + 1e-6 * f);
  }
}

static void test_gradients_linear(void)
{
  for (size_t t = 0; t < G_N_ELEMENTS(linear_tasks); t++) {
    g_autoptr(PlOperator) op = make_op(linear_tasks[t], 32, 21 + t);
    check_gradient(op, PL_NORM_L2_SQUARED, 31 + t, 1.0);  /* quadratic: any step */
    check_gradient(op, PL_NORM_L2, 41 + t, 0.05);
  }
}

static void test_gradient_phase(void)
{
  const int sizes[] = { 16, 32 };
  for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
    g_autoptr(PlOperator) op = make_op(PL_TASK_PHASE_RETRIEVAL, sizes[s], 5);
    check_gradient(op, PL_NORM_L2_SQUARED, 51 + s, 1e-3);
    check_gradient(op, PL_NORM_L2, 61 + s, 1e-3);
  }
}

static void test_zero_residual(void)
{
  /* y = A x exactly: f = 0 and the L2 gradient is defined as 0 */
  for (int t = 0; t < PL_TASK_COUNT; t++) {
    g_autoptr(PlOperator) op = make_op(t, 16, 4);
    const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
    PlRng rng;
    pl_rng_seed(&rng, 8);
    g_autofree float *x = tu_random(&rng, xl, -1, 1), *y = g_new(float, yl), *g = g_new(float, xl);
    pl_operator_forward(op, x, y);
    double res = -1;
    g_assert_cmpfloat(pl_operator_data_term(op, x, y, PL_NORM_L2, g, &res), <, 1e-6);
    for (size_t i = 0; i < xl; i++)
      g_assert_true(isfinite(g[i]));
  }
}

/* ---- noise, gluing, previews ----------------------------------------------------------- */

static void test_measure(void)
{
  g_autoptr(PlOperator) op = make_op(PL_TASK_GAUSSIAN_BLUR, 64, 0);
  const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
  PlRng rng;
  pl_rng_seed(&rng, 1);
  g_autofree float *x = tu_random(&rng, xl, -1, 1);
  g_autofree float *clean = g_new(float, yl), *y1 = g_new(float, yl), *y1b = g_new(float, yl);
  g_autofree float *y2 = g_new(float, yl);
  pl_operator_forward(op, x, clean);
  pl_operator_measure(op, x, 10, y1);
  pl_operator_measure(op, x, 10, y1b);
  pl_operator_measure(op, x, 11, y2);
  g_assert_cmpmem(y1, yl * sizeof(float), y1b, yl * sizeof(float));
  g_assert_cmpfloat(tu_max_abs_diff(y1, y2, yl), >, 0);
  double s1 = 0, s2 = 0;
  for (size_t i = 0; i < yl; i++) {
    const double e = (double)y1[i] - clean[i];
    s1 += e;
    s2 += e * e;
  }
  /* N(0, 0.01^2) per entry: 6 standard errors */
  g_assert_cmpfloat(fabs(s1 / yl), <, 6 * 0.01 / sqrt(yl));
  g_assert_cmpfloat(fabs(s2 / yl - 1e-4), <, 6 * 1e-4 * sqrt(2.0 / yl));

  PlOperatorParams p = *pl_operator_params(op);
  p.noise_sigma = 0;
  g_autoptr(PlOperator) quiet = pl_operator_new(&p, NULL);
  pl_operator_measure(quiet, x, 10, y1);
  g_assert_cmpmem(y1, yl * sizeof(float), clean, yl * sizeof(float));
}

static void test_noise_units(void)
{
  /* sigma in [0,1] units is 2 sigma in the model's [-1,1]: x_model = 2 x_unit - 1 */
  PlOperatorParams p;
  pl_operator_params_init(&p, PL_TASK_GAUSSIAN_BLUR, 64);
  g_assert_cmpint(p.noise_units, ==, PL_NOISE_UNITS_MODEL);
  p.noise_units = PL_NOISE_UNITS_UNIT;
  p.noise_sigma = 0.01;
  g_autoptr(PlOperator) op = pl_operator_new(&p, NULL);
  g_assert_cmpfloat(pl_operator_noise_std(op), ==, 0.02);
  const size_t xl = pl_operator_x_len(op), yl = pl_operator_y_len(op);
  g_autofree float *x = g_new0(float, xl), *y = g_new(float, yl);
  pl_operator_measure(op, x, 3, y);
  double s2 = 0;
  for (size_t i = 0; i < yl; i++)
    s2 += (double)y[i] * y[i];
  g_assert_cmpfloat(fabs(s2 / yl - 4e-4), <, 6 * 4e-4 * sqrt(2.0 / yl));
  PlNoiseUnits u;
  g_assert_true(pl_noise_units_from_name("unit", &u) && u == PL_NOISE_UNITS_UNIT);
  g_assert_true(pl_noise_units_from_name("model", &u) && u == PL_NOISE_UNITS_MODEL);
  g_assert_false(pl_noise_units_from_name("pixels", &u));
  p.noise_units = (PlNoiseUnits)7;
  g_autoptr(GError) error = NULL;
  g_assert_null(pl_operator_new(&p, &error));
  g_assert_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_INVALID);
}

static void test_glue(void)
{
  /* inpainting: A^T y + (I - A^T A) x = m y + (1 - m) x for a 0/1 mask */
  g_autoptr(PlOperator) op = make_op(PL_TASK_INPAINT_RANDOM, 32, 3);
  const int n = 32;
  const size_t xl = pl_operator_x_len(op);
  PlRng rng;
  pl_rng_seed(&rng, 2);
  g_autofree float *x = tu_random(&rng, xl, -1, 1), *y = tu_random(&rng, xl, -1, 1);
  g_autofree float *out = g_new(float, xl);
  g_assert_true(pl_operator_glue(op, y, x, out, NULL));
  const float *m = pl_operator_mask(op);
  for (size_t i = 0; i < xl; i++) {
    const float mi = m[i % (n * n)];
    g_assert_cmpfloat_with_epsilon(out[i], mi * y[i] + (1 - mi) * x[i], 1e-6);
  }
  /* any linear A: with y = A x the glue returns x; A(glue) for SR is y when A A^T = ... not
   * assumed; check the definition through forward/adjoint instead */
  for (size_t t = 0; t < G_N_ELEMENTS(linear_tasks); t++) {
    g_autoptr(PlOperator) o = make_op(linear_tasks[t], 32, 1);
    const size_t yl = pl_operator_y_len(o);
    g_autofree float *ax = g_new(float, yl), *g = g_new(float, xl);
    pl_operator_forward(o, x, ax);
    g_assert_true(pl_operator_glue(o, ax, x, g, NULL));
    g_assert_cmpfloat(tu_max_abs_diff(g, x, xl), <, 1e-5);
    /* in place */
    g_autofree float *yy = tu_random(&rng, yl, -1, 1), *ref = g_new(float, xl), *atr = g_new(float, xl);
    g_autofree float *r = g_new(float, yl), *inplace = g_memdup2(x, xl * sizeof(float));
    for (size_t i = 0; i < yl; i++)
      r[i] = yy[i] - ax[i];
    pl_operator_adjoint(o, r, atr, NULL);
    for (size_t i = 0; i < xl; i++)
      ref[i] = x[i] + atr[i];
    g_assert_true(pl_operator_glue(o, yy, inplace, inplace, NULL));
    g_assert_cmpfloat(tu_max_abs_diff(inplace, ref, xl), <, 1e-5);
  }
}

static void test_preview(void)
{
  for (int t = 0; t < PL_TASK_COUNT; t++) {
    const int n = 32;
    g_autoptr(PlOperator) op = make_op(t, n, 2);
    PlRng rng;
    pl_rng_seed(&rng, 4);
    g_autofree float *x = tu_random(&rng, pl_operator_x_len(op), -1, 1);
    g_autofree float *y = g_new(float, pl_operator_y_len(op));
    pl_operator_measure(op, x, 1, y);
    g_autoptr(PlImage) img = pl_operator_measurement_preview(op, y);
    g_assert_cmpint(img->c, ==, 3);
    g_assert_cmpint(img->h, ==, n);
    g_assert_cmpint(img->w, ==, n);
    for (size_t i = 0; i < pl_image_len(img); i++)
      g_assert_true(img->data[i] >= 0.0f && img->data[i] <= 1.0f);
    const float *m = pl_operator_mask(op);
    if (m != NULL)
      for (int i = 0; i < n * n; i++)
        if (m[i] == 0.0f)
          g_assert_cmpfloat(img->data[i], ==, 0.5f);
    if (t == PL_TASK_SUPER_RESOLUTION)  /* nearest neighbour: 4 x 4 blocks */
      g_assert_cmpfloat(img->data[5 * n + 6], ==, img->data[4 * n + 7]);
  }
}

/* ---- planner lock: operators created and freed from several threads ------------------- */

static gpointer worker(gpointer data)
{
  const int id = GPOINTER_TO_INT(data);
  for (int i = 0; i < 6; i++) {
    PlTask t = (i + id) % 2 ? PL_TASK_PHASE_RETRIEVAL : PL_TASK_MOTION_BLUR;
    PlOperator *op = make_op(t, 16 + 4 * id, i);
    g_autofree float *x = g_new0(float, pl_operator_x_len(op));
    g_autofree float *y = g_new(float, pl_operator_y_len(op));
    pl_operator_forward(op, x, y);
    pl_operator_free(op);
  }
  return NULL;
}

static void test_threads(void)
{
  GThread *th[4];
  for (int i = 0; i < 4; i++)
    th[i] = g_thread_new("op", worker, GINT_TO_POINTER(i));
  for (int i = 0; i < 4; i++)
    g_thread_join(th[i]);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/operators/params-init", test_params_init);
  g_test_add_func("/operators/names", test_names);
  g_test_add_func("/operators/invalid", test_invalid);
  g_test_add_func("/operators/adjoint", test_adjoint);
  g_test_add_func("/operators/adjoint-wide-kernel", test_adjoint_wide_kernel);
  g_test_add_func("/operators/blur-direct", test_blur_direct);
  g_test_add_func("/operators/blur-constant", test_blur_constant);
  g_test_add_func("/operators/gaussian-kernel", test_gaussian_kernel);
  g_test_add_func("/operators/motion-kernel", test_motion_kernel);
  g_test_add_func("/operators/masks", test_masks);
  g_test_add_func("/operators/sr", test_sr);
  g_test_add_func("/operators/phase-delta", test_phase_delta);
  g_test_add_func("/operators/phase-direct", test_phase_direct);
  g_test_add_func("/operators/gradients-linear", test_gradients_linear);
  g_test_add_func("/operators/gradient-phase", test_gradient_phase);
  g_test_add_func("/operators/zero-residual", test_zero_residual);
  g_test_add_func("/operators/measure", test_measure);
  g_test_add_func("/operators/noise-units", test_noise_units);
  g_test_add_func("/operators/glue", test_glue);
  g_test_add_func("/operators/preview", test_preview);
  g_test_add_func("/operators/threads", test_threads);
  return g_test_run();
}
