/* Image quality metrics on [0,1] images of equal shape. */
#pragma once
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

double pl_mse(const float *a, const float *b, size_t n);
/* PSNR with peak 1: 10 log10(1 / MSE); +inf for identical images. */
double pl_psnr(const float *a, const float *b, size_t n);
/* SSIM (Wang et al. 2004): Gaussian window 11x11 sigma 1.5, K1 = 0.01, K2 = 0.03, L = 1,
 * computed per channel over 'valid' window positions and averaged over channels.
 * Images smaller than 11 on a side use a window clipped to the image. */
double pl_ssim(const float *a, const float *b, int c, int h, int w);
/* Euclidean norm of a - b (e.g. the measurement residual ||A(x) - y||). */
double pl_l2_distance(const float *a, const float *b, size_t n);
double pl_l2_norm(const float *a, size_t n);

G_END_DECLS
