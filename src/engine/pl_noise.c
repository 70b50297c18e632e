/* Noise streams keyed by (seed, purpose, step, sample): see pl_engine_private.h. */
#include "pl_engine_private.h"

void pl_noise_initial(guint64 seed, int sample, float *out, size_t n) {
  PlRng rng;
  pl_rng_seed_stream(&rng, seed, (guint64)sample);
  pl_rng_fill_normal(&rng, out, n, 1.0f);
}

void pl_noise_fill(guint64 seed, PlNoisePurpose purpose, int step, int sample, float *out,
                   size_t n) {
  /* purpose in the top bits keeps these streams apart from the initial ones (0..batch-1) */
  guint64 stream = ((guint64)purpose << 56) | ((guint64)(guint32)step << 20) | (guint64)(guint32)sample;
  PlRng rng;
  pl_rng_seed_stream(&rng, seed, stream);
  pl_rng_fill_normal(&rng, out, n, 1.0f);
}
