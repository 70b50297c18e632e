/* Blur kernels: sampled Gaussian and a seeded random-walk motion trajectory. */
#include "pl_operator.h"
#include "pl_rng.h"

#include <math.h>
#include <string.h>

/* Scale to sum 1 (summing the stored floats); an empty kernel becomes a centred delta. */
static void normalise_or_delta(int side, float *out)
{
  size_t n = (size_t)side * side;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += out[i];
  if (!(sum > 0.0) || !isfinite(sum)) {
    memset(out, 0, n * sizeof(float));
    out[(size_t)(side / 2) * side + side / 2] = 1.0f;
    return;
  }
  for (size_t i = 0; i < n; i++)
    out[i] = (float)(out[i] / sum);
}

void pl_gaussian_kernel(int side, double sigma, float *out)
{
  g_return_if_fail(side >= 1 && out != NULL);
  const double c = (side - 1) / 2.0;
  for (int i = 0; i < side; i++)
    for (int j = 0; j < side; j++) {
      double r2 = (i - c) * (i - c) + (j - c) * (j - c);
      double v = sigma > 0.0 ? exp(-r2 / (2.0 * sigma * sigma)) : 0.0;
      out[(size_t)i * side + j] = (float)v;
    }
  normalise_or_delta(side, out);
}

/* Add weight w at (x, y) spread bilinearly over the four neighbouring pixels. */
static void splat(float *k, int side, double x, double y, double w)
{
  int x0 = (int)floor(x), y0 = (int)floor(y);
  double fx = x - x0, fy = y - y0;
  for (int dy = 0; dy <= 1; dy++)
    for (int dx = 0; dx <= 1; dx++) {
      int xi = x0 + dx, yi = y0 + dy;
      double wi = w * (dx ? fx : 1.0 - fx) * (dy ? fy : 1.0 - fy);
      if (xi < 0 || yi < 0 || xi >= side || yi >= side || wi == 0.0)
        continue;
      k[(size_t)yi * side + xi] += (float)wi;
    }
}

/* A camera-shake path: unit steps whose heading drifts with an angular velocity that is
 * kicked by noise (and by rare jerks) in proportion to the intensity; at intensity 0 the
 * path is a straight line. The path is scaled to a random share of the kernel, centred by
 * its bounding box and drawn with sub-pixel (bilinear) weights. */
void pl_motion_kernel(int side, double intensity, guint64 seed, float *out)
{
  g_return_if_fail(side >= 1 && out != NULL);
  memset(out, 0, (size_t)side * side * sizeof(float));
  if (side < 3) {
    normalise_or_delta(side, out);
    return;
  }
  const double it = isfinite(intensity) ? CLAMP(intensity, 0.0, 1.0) : 0.5;
  PlRng rng;
  pl_rng_seed_stream(&rng, seed, G_GUINT64_CONSTANT(0x6d6f74696f6e));  /* "motion" */

  const int steps = MAX(2 * side, 16);
  double *px = g_new(double, steps + 1), *py = g_new(double, steps + 1);
  double heading = 2.0 * G_PI * pl_rng_uniform(&rng), omega = 0.0;
  px[0] = py[0] = 0.0;
  for (int i = 1; i <= steps; i++) {
    omega = 0.8 * omega + 0.35 * it * pl_rng_normal(&rng);
    if (pl_rng_uniform(&rng) < 0.05 * it)  /* a jerk: sudden change of direction */
      omega += it * G_PI * (pl_rng_uniform(&rng) - 0.5);
    heading += omega;
    px[i] = px[i - 1] + cos(heading);
    py[i] = py[i - 1] + sin(heading);
  }

  double xmin = px[0], xmax = px[0], ymin = py[0], ymax = py[0];
  for (int i = 1; i <= steps; i++) {
    xmin = MIN(xmin, px[i]); xmax = MAX(xmax, px[i]);
    ymin = MIN(ymin, py[i]); ymax = MAX(ymax, py[i]);
  }
  const double extent = MAX(xmax - xmin, ymax - ymin);
  const double target = (side - 1) * (0.5 + 0.5 * pl_rng_uniform(&rng));
  const double s = extent > 0.0 ? target / extent : 0.0;
  const double cx = (side - 1) / 2.0 - s * (xmin + xmax) / 2.0;
  const double cy = (side - 1) / 2.0 - s * (ymin + ymax) / 2.0;

  for (int i = 0; i < steps; i++) {
    double x0 = cx + s * px[i], y0 = cy + s * py[i];
    double x1 = cx + s * px[i + 1], y1 = cy + s * py[i + 1];
    double len = hypot(x1 - x0, y1 - y0);
    int m = (int)ceil(len / 0.25) + 1;  /* samples at most a quarter pixel apart */
    for (int j = 0; j < m; j++) {
      double t = (j + 0.5) / m;
      splat(out, side, x0 + t * (x1 - x0), y0 + t * (y1 - y0), len / m);
    }
  }
  g_free(px);
  g_free(py);
  normalise_or_delta(side, out);
}
