/* Phase retrieval, one plane: p = zero-pad((x + 1) / 2) to S x S, Y = |fftshift(F p)| with
 * F the orthonormal 2-D DFT (FFTW's unnormalised transform times 1/S).
 *
 * Gradient of ||r||^2, r = |F p| - y: d|F p|_k = Re(conj(u_k) (F dp)_k) with u = Fp/|Fp|,
 * so d||r||^2 = 2 Re<r . u, F dp> = 2 Re<F^H (r . u), dp>; F^H is the inverse orthonormal
 * DFT, fftshift's adjoint is ifftshift, and dp/dx = 1/2 on the support. Where Fp = 0 the
 * magnitude is not differentiable; the subgradient 0 is used there. */
#include "pl_operator_private.h"

#include <fftw3.h>
#include <math.h>
#include <string.h>

struct PlPhase {
  int n, pad, side;
  fftw_complex *buf;          /* S x S, transformed in place */
  fftw_plan fwd, inv;
};

PlPhase *pl_phase_new(int n, int pad)
{
  g_return_val_if_fail(n >= 1 && pad >= 0, NULL);
  PlPhase *ph = g_new0(PlPhase, 1);
  ph->n = n;
  ph->pad = pad;
  ph->side = n + 2 * pad;
  ph->buf = fftw_alloc_complex((size_t)ph->side * ph->side);
  pl_fft_planner_lock();
  ph->fwd = fftw_plan_dft_2d(ph->side, ph->side, ph->buf, ph->buf, FFTW_FORWARD, FFTW_ESTIMATE);
  ph->inv = fftw_plan_dft_2d(ph->side, ph->side, ph->buf, ph->buf, FFTW_BACKWARD, FFTW_ESTIMATE);
  pl_fft_planner_unlock();
  return ph;
}

void pl_phase_free(PlPhase *ph)
{
  if (ph == NULL)
    return;
  pl_fft_planner_lock();
  fftw_destroy_plan(ph->fwd);
  fftw_destroy_plan(ph->inv);
  pl_fft_planner_unlock();
  fftw_free(ph->buf);
  g_free(ph);
}

int pl_phase_side(const PlPhase *ph)
{
  return ph->side;
}

/* buf = S * F_ortho zero-pad((x + 1) / 2): FFTW's unnormalised transform; the 1/S is
 * applied to magnitudes only, which saves a pass over the spectrum. */
static void transform(PlPhase *ph, const float *x)
{
  const int n = ph->n, s = ph->side, pad = ph->pad;
  memset(ph->buf, 0, (size_t)s * s * sizeof(fftw_complex));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      ph->buf[(size_t)(i + pad) * s + (j + pad)][0] = 0.5 * ((double)x[(size_t)i * n + j] + 1.0);
  fftw_execute_dft(ph->fwd, ph->buf, ph->buf);
}

/* fftshift: unshifted frequency k sits at (k + S/2) mod S in the stored measurement */
static inline size_t shifted(int ki, int kj, int s)
{
  return (size_t)((ki + s / 2) % s) * s + (size_t)((kj + s / 2) % s);
}

/* |v| without hypot(): the values are far from overflow and hypot is several times slower */
static inline double magnitude(const double *v)
{
  return sqrt(v[0] * v[0] + v[1] * v[1]);
}

void pl_phase_forward(PlPhase *ph, const float *x, float *y)
{
  const int s = ph->side;
  const double inv = 1.0 / s;
  transform(ph, x);
  for (int ki = 0; ki < s; ki++) {
    const size_t row = (size_t)((ki + s / 2) % s) * s;
    for (int kj = 0; kj < s; kj++)
      y[row + (kj + s / 2) % s] = (float)(magnitude(ph->buf[(size_t)ki * s + kj]) * inv);
  }
}

double pl_phase_residual_grad(PlPhase *ph, const float *x, const float *y, float *g)
{
  const int n = ph->n, s = ph->side, pad = ph->pad;
  const double inv = 1.0 / s;
  transform(ph, x);
  double ss = 0.0;
  for (int ki = 0; ki < s; ki++)
    for (int kj = 0; kj < s; kj++) {
      double *v = ph->buf[(size_t)ki * s + kj];
      const double raw = magnitude(v);  /* S |F_ortho p| */
      const double r = raw * inv - (double)y[shifted(ki, kj, s)];
      ss += r * r;
      /* v <- r v / |v| = r u with u = Fp/|Fp| (scale-free); 0 where Fp = 0 */
      const double f = raw > 0.0 ? r / raw : 0.0;
      v[0] *= f;
      v[1] *= f;
    }
  if (g == NULL)
    return ss;
  /* FFTW's unnormalised backward transform is S F_ortho^H on an S x S grid */
  fftw_execute_dft(ph->inv, ph->buf, ph->buf);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      g[(size_t)i * n + j] = (float)(ph->buf[(size_t)(i + pad) * s + (j + pad)][0] * inv);
  return ss;
}
