/* Seeded random numbers: xoshiro256** with splitmix64 seeding; normals by Box-Muller.
 * The same seed gives the same stream on every machine (no libc rand). */
#pragma once
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

typedef struct { guint64 s[4]; int has_spare; double spare; } PlRng;

void pl_rng_seed(PlRng *rng, guint64 seed);
/* Independent stream for a (seed, stream) pair: e.g. sample index in a batch. */
void pl_rng_seed_stream(PlRng *rng, guint64 seed, guint64 stream);
guint64 pl_rng_next(PlRng *rng);
double pl_rng_uniform(PlRng *rng);              /* [0,1) */
double pl_rng_normal(PlRng *rng);               /* N(0,1) */
void pl_rng_fill_normal(PlRng *rng, float *out, size_t n, float sigma);
int pl_rng_int(PlRng *rng, int n);              /* uniform on 0..n-1 */

/* What a stream is for. Every random draw of the program names its purpose, so two
 * purposes never share a stream for any seed and index (before, the initial noise of
 * sample k used stream k and the operator streams 1..3: sample 3's z_T was the
 * measurement noise / sigma). Values are part of the reproducibility contract: never
 * renumber, only append. */
typedef enum {
  PL_RNG_INITIAL_NOISE = 1,   /* z_T; index = sample */
  PL_RNG_STEP_NOISE = 2,      /* DDIM eta > 0 / DDPM noise; index = pl_rng_index(step, sample) */
  PL_RNG_RESAMPLE_NOISE = 3,  /* ReSample's stochastic resampling; index = (step, sample) */
  PL_RNG_PREDICTION_NOISE = 4,/* PSLD's noiser on A(D(z0_hat)); index = (step, sample) */
  PL_RNG_BOX = 5,             /* box placement; index 0 */
  PL_RNG_RANDOM_MASK = 6,     /* random inpainting mask; index 0 */
  PL_RNG_MEASUREMENT = 7,     /* measurement noise of y; index 0 */
} PlRngPurpose;

/* The stream of (seed, purpose, index): seed, purpose and index are absorbed one after
 * the other through a bijective 64-bit mixer, so for one seed and purpose distinct
 * indices give distinct states, and distinct purposes collide only by chance (2^-64). */
void pl_rng_seed_purpose(PlRng *rng, guint64 seed, PlRngPurpose purpose, guint64 index);
/* (step, sample) packed into one index (both non-negative, sample < 2^32). */
static inline guint64 pl_rng_index(int step, int sample)
{
  return ((guint64)(guint32)step << 32) | (guint64)(guint32)sample;
}

G_END_DECLS
