/* Small helpers shared by the core tests (header only). */
#pragma once
#include <glib.h>
#include <math.h>

#include "pl_rng.h"

static inline float *tu_random(PlRng *rng, size_t n, double lo, double hi)
{
  float *v = g_new(float, n);
  for (size_t i = 0; i < n; i++)
    v[i] = (float)(lo + (hi - lo) * pl_rng_uniform(rng));
  return v;
}

static inline float *tu_normal(PlRng *rng, size_t n)
{
  float *v = g_new(float, n);
  pl_rng_fill_normal(rng, v, n, 1.0f);
  return v;
}

static inline double tu_dot(const float *a, const float *b, size_t n)
{
  double acc = 0.0;
  for (size_t i = 0; i < n; i++)
    acc += (double)a[i] * b[i];
  return acc;
}

static inline double tu_norm(const float *a, size_t n)
{
  return sqrt(tu_dot(a, a, n));
}

static inline double tu_max_abs_diff(const float *a, const float *b, size_t n)
{
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    m = fmax(m, fabs((double)a[i] - b[i]));
  return m;
}

/* The two float points of a central difference, x + h d and x - h d. The checks compare
 * against the points actually evaluated (xp - xm), not 2 h d, so float rounding of the
 * points is no error. */
static inline void tu_central_points(const float *x, const float *d, double h, size_t n,
                                     float *xp, float *xm)
{
  for (size_t i = 0; i < n; i++) {
    xp[i] = (float)(x[i] + h * d[i]);
    xm[i] = (float)(x[i] - h * d[i]);
  }
}
