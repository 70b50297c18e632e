/* Blur as correlation with reflect padding (numpy/torch 'reflect': the edge is not
 * repeated), same-size output, computed with real FFTs in double precision:
 *   xp = reflect-pad(x, r),  r = side / 2,  N = n + 2r
 *   y[i,j] = sum_{a,b} K[a,b] xp[i+a, j+b]      (i, j < n)
 * On an M x M circular grid (M >= N) the valid outputs never wrap, so y is the inverse
 * FFT of X . conj(K^). The adjoint is the transpose of each step in reverse: embed y,
 * multiply by K^ (a convolution), then fold every padded position back onto the pixel it
 * was reflected from. */
#include "pl_operator_private.h"

#include <fftw3.h>
#include <string.h>

struct PlBlur {
  int n, r, big, m;        /* image side, kernel radius, padded side N, FFT side M */
  double *real;            /* M x M */
  fftw_complex *spec;      /* M x (M/2 + 1) */
  fftw_complex *khat;      /* spectrum of the kernel placed at the origin */
  double *acc;             /* n x n accumulator of the adjoint's fold */
  fftw_plan r2c, c2r;
};

static inline int reflect(int p, int n)
{
  if (p < 0)
    return -p;
  if (p >= n)
    return 2 * (n - 1) - p;
  return p;
}

PlBlur *pl_blur_new(int n, const float *kernel, int side)
{
  g_return_val_if_fail(n >= 1 && side >= 1 && side % 2 == 1 && side / 2 < n, NULL);
  PlBlur *b = g_new0(PlBlur, 1);
  b->n = n;
  b->r = side / 2;
  b->big = n + 2 * b->r;
  b->m = pl_fft_good_size(b->big);
  const size_t mm = (size_t)b->m * b->m, mh = (size_t)b->m * (b->m / 2 + 1);
  b->real = fftw_alloc_real(mm);
  b->spec = fftw_alloc_complex(mh);
  b->khat = fftw_alloc_complex(mh);
  b->acc = g_new(double, (size_t)n * n);
  pl_fft_planner_lock();
  b->r2c = fftw_plan_dft_r2c_2d(b->m, b->m, b->real, b->spec, FFTW_ESTIMATE);
  b->c2r = fftw_plan_dft_c2r_2d(b->m, b->m, b->spec, b->real, FFTW_ESTIMATE);
  pl_fft_planner_unlock();

  memset(b->real, 0, mm * sizeof(double));
  for (int a = 0; a < side; a++)
    for (int c = 0; c < side; c++)
      b->real[(size_t)a * b->m + c] = kernel[(size_t)a * side + c];
  fftw_execute_dft_r2c(b->r2c, b->real, b->khat);
  return b;
}

void pl_blur_free(PlBlur *b)
{
  if (b == NULL)
    return;
  pl_fft_planner_lock();
  fftw_destroy_plan(b->r2c);
  fftw_destroy_plan(b->c2r);
  pl_fft_planner_unlock();
  fftw_free(b->real);
  fftw_free(b->spec);
  fftw_free(b->khat);
  g_free(b->acc);
  g_free(b);
}

/* spec *= khat (conjugated for the correlation), including the 1/M^2 of the round trip */
static void multiply_spectrum(PlBlur *b, gboolean conjugate)
{
  const size_t mh = (size_t)b->m * (b->m / 2 + 1);
  const double scale = 1.0 / ((double)b->m * b->m);
  const double sign = conjugate ? -1.0 : 1.0;
  for (size_t i = 0; i < mh; i++) {
    const double sr = b->spec[i][0], si = b->spec[i][1];
    const double kr = b->khat[i][0], ki = sign * b->khat[i][1];
    b->spec[i][0] = (sr * kr - si * ki) * scale;
    b->spec[i][1] = (sr * ki + si * kr) * scale;
  }
}

void pl_blur_forward(PlBlur *b, const float *x, float *y)
{
  const int n = b->n, r = b->r, big = b->big, m = b->m;
  memset(b->real, 0, (size_t)m * m * sizeof(double));
  for (int p = 0; p < big; p++) {
    const float *src = x + (size_t)reflect(p - r, n) * n;
    double *dst = b->real + (size_t)p * m;
    for (int q = 0; q < big; q++)
      dst[q] = src[reflect(q - r, n)];
  }
  fftw_execute_dft_r2c(b->r2c, b->real, b->spec);
  multiply_spectrum(b, TRUE);
  fftw_execute_dft_c2r(b->c2r, b->spec, b->real);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      y[(size_t)i * n + j] = (float)b->real[(size_t)i * m + j];
}

void pl_blur_adjoint(PlBlur *b, const float *y, float *x)
{
  const int n = b->n, r = b->r, big = b->big, m = b->m;
  memset(b->real, 0, (size_t)m * m * sizeof(double));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      b->real[(size_t)i * m + j] = y[(size_t)i * n + j];
  fftw_execute_dft_r2c(b->r2c, b->real, b->spec);
  multiply_spectrum(b, FALSE);
  fftw_execute_dft_c2r(b->c2r, b->spec, b->real);
  /* fold: accumulate in double over the padded grid, then store */
  double *acc = b->acc;
  memset(acc, 0, (size_t)n * n * sizeof(double));
  for (int p = 0; p < big; p++) {
    double *dst = acc + (size_t)reflect(p - r, n) * n;
    const double *src = b->real + (size_t)p * m;
    for (int q = 0; q < big; q++)
      dst[reflect(q - r, n)] += src[q];
  }
  for (size_t i = 0; i < (size_t)n * n; i++)
    x[i] = (float)acc[i];
}
