/* PSNR, SSIM and norms, accumulated in double. */
#include "pl_metrics.h"

#include <math.h>
#include <string.h>

double pl_mse(const float *a, const float *b, size_t n)
{
  if (n == 0)
    return 0.0;
  double acc = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - b[i];
    acc += d * d;
  }
  return acc / n;
}

double pl_psnr(const float *a, const float *b, size_t n)
{
  double mse = pl_mse(a, b, n);
  return mse > 0.0 ? 10.0 * log10(1.0 / mse) : INFINITY;
}

double pl_l2_distance(const float *a, const float *b, size_t n)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - b[i];
    acc += d * d;
  }
  return sqrt(acc);
}

double pl_l2_norm(const float *a, size_t n)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++)
    acc += (double)a[i] * a[i];
  return sqrt(acc);
}

/* Normalised 1-D Gaussian taps (sigma 1.5) over `len` samples centred on the window. */
static void gauss_taps(int len, double *t)
{
  const double c = (len - 1) / 2.0;
  double sum = 0.0;
  for (int i = 0; i < len; i++) {
    t[i] = exp(-(i - c) * (i - c) / (2.0 * 1.5 * 1.5));
    sum += t[i];
  }
  for (int i = 0; i < len; i++)
    t[i] /= sum;
}

/* 'valid' separable filtering of an h x w map with a wy x wx window: out is oh x ow */
static void filter_valid(const double *in, int h, int w, const double *ty, int wy,
                         const double *tx, int wx, double *tmp, double *out)
{
  const int oh = h - wy + 1, ow = w - wx + 1;
  for (int i = 0; i < h; i++)
    for (int j = 0; j < ow; j++) {
      double acc = 0.0;
      for (int k = 0; k < wx; k++)
        acc += tx[k] * in[(size_t)i * w + j + k];
      tmp[(size_t)i * ow + j] = acc;
    }
  for (int i = 0; i < oh; i++)
    for (int j = 0; j < ow; j++) {
      double acc = 0.0;
      for (int k = 0; k < wy; k++)
        acc += ty[k] * tmp[(size_t)(i + k) * ow + j];
      out[(size_t)i * ow + j] = acc;
    }
}

double pl_ssim(const float *a, const float *b, int c, int h, int w)
{
  if (c < 1 || h < 1 || w < 1)
    return NAN;
  const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
  const int wy = MIN(11, h), wx = MIN(11, w), oh = h - wy + 1, ow = w - wx + 1;
  const size_t np = (size_t)h * w, no = (size_t)oh * ow;
  double ty[11], tx[11];
  gauss_taps(wy, ty);
  gauss_taps(wx, tx);
  /* the five maps a, b, a^2, b^2, ab and their local means */
  double *maps = g_new(double, 5 * np), *means = g_new(double, 5 * no);
  double *tmp = g_new(double, (size_t)h * ow);
  double total = 0.0;
  for (int ch = 0; ch < c; ch++) {
    const float *pa = a + ch * np, *pb = b + ch * np;
    for (size_t i = 0; i < np; i++) {
      maps[i] = pa[i];
      maps[np + i] = pb[i];
      maps[2 * np + i] = (double)pa[i] * pa[i];
      maps[3 * np + i] = (double)pb[i] * pb[i];
      maps[4 * np + i] = (double)pa[i] * pb[i];
    }
    for (int m = 0; m < 5; m++)
      filter_valid(maps + m * np, h, w, ty, wy, tx, wx, tmp, means + m * no);
    double acc = 0.0;
    for (size_t i = 0; i < no; i++) {
      const double ma = means[i], mb = means[no + i];
      const double va = means[2 * no + i] - ma * ma, vb = means[3 * no + i] - mb * mb;
      const double cov = means[4 * no + i] - ma * mb;
      acc += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
    }
    total += acc / no;
  }
  g_free(maps);
  g_free(means);
  g_free(tmp);
  return total / c;
}
