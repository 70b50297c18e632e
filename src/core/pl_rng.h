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

G_END_DECLS
