/* Noise streams: every random draw is a function of (seed, purpose, step, sample) alone,
 * so a batch of 2 shares sample 0 with a batch of 1 and a branch from step s draws the
 * same noise as its parent. The initial z_T is purpose PL_RNG_INITIAL_NOISE, index sample.
 * PREDICTION is PSLD's noiser on A(D(z0_hat)) (pl_solver_psld.c). Not installed. */
#pragma once
#include <glib.h>
#include "pl_rng.h"

G_BEGIN_DECLS

typedef enum {
  PL_NOISE_STEP = PL_RNG_STEP_NOISE,
  PL_NOISE_RESAMPLE = PL_RNG_RESAMPLE_NOISE,
  PL_NOISE_PREDICTION = PL_RNG_PREDICTION_NOISE,
} PlNoisePurpose;

void pl_noise_initial(guint64 seed, int sample, float *out, size_t n);
void pl_noise_fill(guint64 seed, PlNoisePurpose purpose, int step, int sample, float *out, size_t n);

G_END_DECLS
