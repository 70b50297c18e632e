/* Blur kernels: the sampled Gaussian (motion blur: pl_motionblur.c). */
#include "pl_operator.h"

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
