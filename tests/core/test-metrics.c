/* Metrics: closed forms (identical images, uniform offsets, constant images) and SSIM
 * against a direct windowed evaluation of Wang et al.'s definition written here. */
#include <glib.h>
#include <math.h>

#include "pl_metrics.h"
#include "test-util.h"

static void test_norms(void)
{
  const float a[2] = { 3, 4 }, z[2] = { 0, 0 };
  g_assert_cmpfloat(pl_l2_norm(a, 2), ==, 5.0);
  g_assert_cmpfloat(pl_l2_distance(a, z, 2), ==, 5.0);
  g_assert_cmpfloat(pl_mse(a, z, 2), ==, 12.5);
  PlRng rng;
  pl_rng_seed(&rng, 1);
  g_autofree float *x = tu_random(&rng, 1000, 0, 1), *y = tu_random(&rng, 1000, 0, 1);
  const double d = pl_l2_distance(x, y, 1000);
  g_assert_cmpfloat_with_epsilon(d * d, 1000 * pl_mse(x, y, 1000), 1e-9 * d * d);
}

static void test_psnr(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 2);
  const size_t n = 3 * 40 * 40;
  g_autofree float *a = tu_random(&rng, n, 0.2, 0.6), *b = g_new(float, n);
  g_assert_true(isinf(pl_psnr(a, a, n)) && pl_psnr(a, a, n) > 0);
  const double offsets[] = { 0.05, -0.1, 0.003, 0.25 };
  for (size_t k = 0; k < G_N_ELEMENTS(offsets); k++) {
    for (size_t i = 0; i < n; i++)
      b[i] = a[i] + (float)offsets[k];
    /* MSE = d^2, so PSNR = -20 log10 |d|; float storage of b moves d by ~3e-8 */
    g_assert_cmpfloat_with_epsilon(pl_psnr(a, b, n), -20 * log10(fabs(offsets[k])), 1e-3);
  }
}

/* SSIM straight from the definition: for every window position, Gaussian weights
 * w(i,j) = g(i) g(j) (sigma 1.5, normalised), weighted means, variances and covariance
 * about the mean, then the mean over positions and channels. */
static double ssim_direct(const float *a, const float *b, int c, int h, int w)
{
  const int wy = MIN(11, h), wx = MIN(11, w);
  double gy[11], gx[11], sy = 0, sx = 0;
  for (int i = 0; i < wy; i++)
    sy += gy[i] = exp(-pow(i - (wy - 1) / 2.0, 2) / 4.5);
  for (int j = 0; j < wx; j++)
    sx += gx[j] = exp(-pow(j - (wx - 1) / 2.0, 2) / 4.5);
  double total = 0;
  for (int ch = 0; ch < c; ch++) {
    const float *pa = a + (size_t)ch * h * w, *pb = b + (size_t)ch * h * w;
    double acc = 0;
    int count = 0;
    for (int y = 0; y + wy <= h; y++)
      for (int x = 0; x + wx <= w; x++) {
        double ma = 0, mb = 0;
        for (int i = 0; i < wy; i++)
          for (int j = 0; j < wx; j++) {
            const double wt = gy[i] * gx[j] / (sy * sx);
            ma += wt * pa[(y + i) * w + x + j];
            mb += wt * pb[(y + i) * w + x + j];
          }
        double va = 0, vb = 0, cov = 0;
        for (int i = 0; i < wy; i++)
          for (int j = 0; j < wx; j++) {
            const double wt = gy[i] * gx[j] / (sy * sx);
            const double da = pa[(y + i) * w + x + j] - ma, db = pb[(y + i) * w + x + j] - mb;
            va += wt * da * da;
            vb += wt * db * db;
            cov += wt * da * db;
          }
        const double C1 = 1e-4, C2 = 9e-4;
        acc += (2 * ma * mb + C1) * (2 * cov + C2) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        count++;
      }
    total += acc / count;
  }
  return total / c;
}

static void test_ssim(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 3);
  const int shapes[][3] = { { 3, 24, 19 }, { 1, 11, 11 }, { 3, 6, 9 }, { 1, 1, 30 } };
  for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
    const int c = shapes[s][0], h = shapes[s][1], w = shapes[s][2];
    const size_t n = (size_t)c * h * w;
    g_autofree float *a = tu_random(&rng, n, 0, 1), *b = g_new(float, n);
    for (size_t i = 0; i < n; i++)  /* a noisy, contrast-reduced copy */
      b[i] = (float)(0.7 * a[i] + 0.1 + 0.1 * pl_rng_uniform(&rng));
    const double got = pl_ssim(a, b, c, h, w), want = ssim_direct(a, b, c, h, w);
    g_assert_cmpfloat_with_epsilon(got, want, 1e-9);
    g_assert_cmpfloat(got, <, 1.0);
    g_assert_cmpfloat_with_epsilon(pl_ssim(b, a, c, h, w), got, 1e-12);  /* symmetric */
    g_assert_cmpfloat_with_epsilon(pl_ssim(a, a, c, h, w), 1.0, 1e-12);
  }
}

static void test_ssim_constant_offset(void)
{
  /* constant images u and u + d: both variances and the covariance vanish, so SSIM is the
   * luminance term alone, (2 u (u+d) + C1) / (u^2 + (u+d)^2 + C1) */
  const int c = 3, h = 32, w = 32;
  const size_t n = (size_t)c * h * w;
  g_autofree float *a = g_new(float, n), *b = g_new(float, n);
  const double u = 0.4, ds[] = { 0.1, -0.3, 0.5 };
  for (size_t k = 0; k < G_N_ELEMENTS(ds); k++) {
    for (size_t i = 0; i < n; i++) {
      a[i] = (float)u;
      b[i] = (float)(u + ds[k]);
    }
    const double ua = (float)u, ub = (float)(u + ds[k]), C1 = 1e-4;
    g_assert_cmpfloat_with_epsilon(pl_ssim(a, b, c, h, w), (2 * ua * ub + C1) / (ua * ua + ub * ub + C1), 1e-9);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/metrics/norms", test_norms);
  g_test_add_func("/metrics/psnr", test_psnr);
  g_test_add_func("/metrics/ssim", test_ssim);
  g_test_add_func("/metrics/ssim-constant-offset", test_ssim_constant_offset);
  return g_test_run();
}
