/* Internal pieces of the operators (not installed, not for the app): FFTW planner guard,
 * the reflect-padded blur and the phase-retrieval transform, one image plane at a time. */
#pragma once
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

/* FFTW's planner is not thread-safe: plan creation and destruction hold this lock. */
void pl_fft_planner_lock(void);
void pl_fft_planner_unlock(void);
/* Smallest m >= n whose only prime factors are 2, 3, 5, 7 (fast FFT lengths). */
int pl_fft_good_size(int n);

/* Correlation with a side x side kernel over reflect-padded n x n planes (same size out). */
typedef struct PlBlur PlBlur;
PlBlur *pl_blur_new(int n, const float *kernel, int side);
void pl_blur_free(PlBlur *b);
void pl_blur_forward(PlBlur *b, const float *x, float *y);
void pl_blur_adjoint(PlBlur *b, const float *y, float *x);

/* Phase retrieval on one n x n plane: S = n + 2 pad, y = |fftshift(FFT2_ortho(p))| (S x S)
 * with p = zero-pad((x + 1) / 2). */
typedef struct PlPhase PlPhase;
PlPhase *pl_phase_new(int n, int pad);
void pl_phase_free(PlPhase *ph);
int pl_phase_side(const PlPhase *ph);
void pl_phase_forward(PlPhase *ph, const float *x, float *y);
/* r = |F p| - y; returns ||r||^2 and writes its gradient with respect to x,
 * g = crop(Re(IFFT_ortho(ifftshift(r) . Fp/|Fp|))) (0 where Fp = 0): the 2 of the square
 * and the 1/2 of (x + 1) / 2 cancel. */
double pl_phase_residual_grad(PlPhase *ph, const float *x, const float *y, float *g);

G_END_DECLS
