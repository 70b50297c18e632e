/* pl_resize: MATLAB-style bicubic. Checks: Keys' kernel formula, partition of unity
 * (constants survive), reproduction of linear ramps away from the borders, identity at
 * equal size, a direct per-pixel evaluation of MATLAB's definition (mirrored borders), and
 * the adjoint identity. */
#include <glib.h>
#include <math.h>

#include "pl_resize.h"
#include "test-util.h"

/* Keys (1981) cubic convolution kernel with parameter a */
static double keys(double x, double a)
{
  x = fabs(x);
  if (x <= 1)
    return (a + 2) * x * x * x - (a + 3) * x * x + 1;
  if (x < 2)
    return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
  return 0;
}

static void test_kernel(void)
{
  for (double x = -3.0; x <= 3.0; x += 0.0625)
    g_assert_cmpfloat_with_epsilon(pl_cubic_kernel(x), keys(x, -0.5), 1e-14);
  g_assert_cmpfloat(pl_cubic_kernel(0), ==, 1.0);
  g_assert_cmpfloat(pl_cubic_kernel(1), ==, 0.0);
  g_assert_cmpfloat(pl_cubic_kernel(-2), ==, 0.0);
}

static float *resize(int h, int w, int oh, int ow, const float *in)
{
  PlResize *r = pl_resize_new(h, w, oh, ow);
  float *out = g_new(float, (size_t)oh * ow);
  pl_resize_apply(r, in, out);
  pl_resize_free(r);
  return out;
}

static void test_identity_and_constant(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 11);
  g_autofree float *in = tu_random(&rng, 23 * 17, 0, 1);
  g_autofree float *same = resize(23, 17, 23, 17, in);
  g_assert_cmpfloat(tu_max_abs_diff(in, same, 23 * 17), <, 1e-7);

  const int sizes[][4] = { { 64, 64, 16, 16 }, { 100, 60, 25, 15 }, { 50, 31, 17, 9 }, { 16, 12, 40, 30 }, { 7, 9, 3, 20 } };
  for (size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
    const int h = sizes[k][0], w = sizes[k][1], oh = sizes[k][2], ow = sizes[k][3];
    g_autofree float *flat = g_new(float, h * w);
    for (int i = 0; i < h * w; i++)
      flat[i] = 0.7f;
    g_autofree float *out = resize(h, w, oh, ow, flat);
    for (int i = 0; i < oh * ow; i++)
      g_assert_cmpfloat_with_epsilon(out[i], 0.7f, 1e-6);
  }
}

/* A ramp a + b y + c x sampled on the input grid maps to the same ramp at the output
 * centres u = (o + 1)/s + (1 - 1/s)/2 - 1 (0-based): for a 1/4 shrink the taps sit
 * symmetrically around u, and Keys' a = -1/2 kernel reproduces linear functions when
 * enlarging. Only outputs whose taps stay inside the image are checked. */
static void check_ramp(int n, int on)
{
  const double a = 0.1, b = 0.003, c = -0.002;
  g_autofree float *in = g_new(float, n * n);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      in[y * n + x] = (float)(a + b * y + c * x);
  g_autofree float *out = resize(n, n, on, on, in);
  const double s = (double)on / n, reach = s < 1 ? 2.0 / s + 1 : 3.0;
  int checked = 0;
  for (int o = 0; o < on; o++)
    for (int p = 0; p < on; p++) {
      const double uy = (o + 1) / s + 0.5 * (1 - 1 / s) - 1, ux = (p + 1) / s + 0.5 * (1 - 1 / s) - 1;
      if (uy - reach < 0 || ux - reach < 0 || uy + reach > n - 1 || ux + reach > n - 1)
        continue;
      g_assert_cmpfloat_with_epsilon(out[o * on + p], a + b * uy + c * ux, 1e-6);
      checked++;
    }
  g_assert_cmpint(checked, >, 0);
}

static void test_ramp(void)
{
  check_ramp(64, 16);
  check_ramp(128, 32);
  check_ramp(16, 32);
  check_ramp(12, 36);
}

/* MATLAB's contributions() evaluated straight from its definition for one output index. */
static double matlab_weight_sum(int in_len, int out_len, int o, const float *line, int stride)
{
  const double s = (double)out_len / in_len;
  const double width = s < 1 ? 4 / s : 4;
  const double u = (o + 1) / s + 0.5 * (1 - 1 / s);
  const long left = (long)floor(u - width / 2);
  const int P = (int)ceil(width) + 2;
  double num = 0, den = 0;
  for (int k = 0; k < P; k++) {
    long j = left + k;  /* 1-based */
    double wgt = s < 1 ? s * keys(s * (u - j), -0.5) : keys(u - j, -0.5);
    /* aux = [1..L, L..1], indexed with mod(j - 1, 2L) + 1 */
    long m = ((j - 1) % (2 * in_len) + 2 * in_len) % (2 * in_len);
    long idx = m < in_len ? m : 2 * in_len - 1 - m;
    num += wgt * line[idx * stride];
    den += wgt;
  }
  return num / den;
}

static void check_direct(int h, int w, int oh, int ow, guint64 seed)
{
  PlRng rng;
  pl_rng_seed(&rng, seed);
  g_autofree float *in = tu_random(&rng, (size_t)h * w, -1, 1);
  g_autofree float *out = resize(h, w, oh, ow, in);
  /* columns first, then rows, each straight from the definition */
  g_autofree float *tmp = g_new(float, (size_t)h * ow);
  for (int y = 0; y < h; y++)
    for (int p = 0; p < ow; p++)
      tmp[y * ow + p] = (float)matlab_weight_sum(w, ow, p, in + (size_t)y * w, 1);
  for (int o = 0; o < oh; o++)
    for (int p = 0; p < ow; p++)
      g_assert_cmpfloat_with_epsilon(out[o * ow + p], matlab_weight_sum(h, oh, o, tmp + p, ow), 2e-6);
}

static void test_direct_definition(void)
{
  check_direct(13, 11, 5, 4, 1);   /* shrink: wide kernels fold over both borders */
  check_direct(6, 5, 13, 9, 2);    /* enlarge */
  check_direct(3, 2, 1, 1, 3);     /* tiny */
  check_direct(64, 64, 16, 16, 4);
}

/* <R x, y> = <x, R^T y>. Both sides are sums of n products of values O(1) rounded to float
 * once at the end of each transform (accumulation is in double): the difference is bounded
 * by about 2^-24 (||Rx|| ||y|| + ||x|| ||R^T y||); 1e-6 of that scale leaves a wide margin. */
static void check_adjoint(int h, int w, int oh, int ow, guint64 seed)
{
  PlRng rng;
  pl_rng_seed(&rng, seed);
  g_autofree float *x = tu_normal(&rng, (size_t)h * w);
  g_autofree float *y = tu_normal(&rng, (size_t)oh * ow);
  g_autofree float *rx = g_new(float, (size_t)oh * ow);
  g_autofree float *rty = g_new(float, (size_t)h * w);
  PlResize *r = pl_resize_new(h, w, oh, ow);
  pl_resize_apply(r, x, rx);
  pl_resize_apply_adjoint(r, y, rty);
  pl_resize_free(r);
  const double lhs = tu_dot(rx, y, (size_t)oh * ow), rhs = tu_dot(x, rty, (size_t)h * w);
  const double scale = tu_norm(rx, (size_t)oh * ow) * tu_norm(y, (size_t)oh * ow) +
                       tu_norm(x, (size_t)h * w) * tu_norm(rty, (size_t)h * w);
  g_assert_cmpfloat(fabs(lhs - rhs), <=, 1e-6 * scale);
}

static void test_adjoint(void)
{
  check_adjoint(64, 64, 16, 16, 1);
  check_adjoint(128, 128, 32, 32, 2);
  check_adjoint(100, 60, 25, 15, 3);
  check_adjoint(37, 41, 50, 29, 4);
  check_adjoint(5, 7, 2, 3, 5);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/resize/kernel", test_kernel);
  g_test_add_func("/resize/identity-constant", test_identity_and_constant);
  g_test_add_func("/resize/ramp", test_ramp);
  g_test_add_func("/resize/direct-definition", test_direct_definition);
  g_test_add_func("/resize/adjoint", test_adjoint);
  return g_test_run();
}
