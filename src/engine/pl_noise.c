/* Noise streams keyed by (seed, purpose, step, sample): see pl_noise.h. Every
 * purpose is its own pl_rng purpose, so no two purposes (nor the operator's box, mask
 * and measurement noise, which share the seed) ever draw the same stream. */
#include "pl_noise.h"

void pl_noise_initial(guint64 seed, int sample, float *out, size_t n) {
  PlRng rng;
  pl_rng_seed_purpose(&rng, seed, PL_RNG_INITIAL_NOISE, (guint64)(guint32)sample);
  pl_rng_fill_normal(&rng, out, n, 1.0f);
}

void pl_noise_fill(guint64 seed, PlNoisePurpose purpose, int step, int sample, float *out,
                   size_t n) {
  PlRng rng;
  pl_rng_seed_purpose(&rng, seed, (PlRngPurpose)purpose, pl_rng_index(step, sample));
  pl_rng_fill_normal(&rng, out, n, 1.0f);
}
