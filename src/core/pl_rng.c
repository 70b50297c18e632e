/* Seeded random numbers: xoshiro256** (Blackman & Vigna) seeded through splitmix64,
 * so every machine draws the same stream for the same seed. */
#include "pl_rng.h"

#include <math.h>

static guint64 splitmix64(guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static inline guint64 rotl(guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void pl_rng_seed(PlRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64(&x);
  /* splitmix64 never yields four zero words in a row, but keep the state valid anyway */
  if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
    rng->s[0] = 1;
  rng->has_spare = 0;
  rng->spare = 0.0;
}

void pl_rng_seed_stream(PlRng *rng, guint64 seed, guint64 stream)
{
  /* Hash the stream index before mixing it in, so (seed, k) and (seed + 1, k - 1)
   * do not collide the way a plain sum would. */
  guint64 h = stream;
  guint64 mixed = splitmix64(&h);
  pl_rng_seed(rng, seed ^ mixed ^ G_GUINT64_CONSTANT(0xD1B54A32D192ED03));
}

/* splitmix64's finaliser: a bijection of 64-bit words with full avalanche */
static guint64 mix64(guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void pl_rng_seed_purpose(PlRng *rng, guint64 seed, PlRngPurpose purpose, guint64 index)
{
  /* absorb seed, purpose, index in turn; the constants keep the all-zero input away from 0 */
  guint64 h = mix64(seed ^ G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
  h = mix64(h ^ ((guint64)purpose * G_GUINT64_CONSTANT(0xD6E8FEB86659FD93)));
  h = mix64(h ^ index);
  pl_rng_seed(rng, h);
}

guint64 pl_rng_next(PlRng *rng)
{
  guint64 *s = rng->s;
  const guint64 result = rotl(s[1] * 5, 7) * 9;
  const guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double pl_rng_uniform(PlRng *rng)
{
  /* top 53 bits -> a double in [0,1) with every value equally likely */
  return (double)(pl_rng_next(rng) >> 11) * 0x1.0p-53;
}

double pl_rng_normal(PlRng *rng)
{
  if (rng->has_spare) {
    rng->has_spare = 0;
    return rng->spare;
  }
  /* Box-Muller; u1 in (0,1] keeps log() finite */
  double u1 = 1.0 - pl_rng_uniform(rng);
  double u2 = pl_rng_uniform(rng);
  double r = sqrt(-2.0 * log(u1));
  double a = 2.0 * G_PI * u2;
  rng->spare = r * sin(a);
  rng->has_spare = 1;
  return r * cos(a);
}

void pl_rng_fill_normal(PlRng *rng, float *out, size_t n, float sigma)
{
  for (size_t i = 0; i < n; i++)
    out[i] = (float)(sigma * pl_rng_normal(rng));
}

int pl_rng_int(PlRng *rng, int n)
{
  if (n <= 1)
    return 0;
  /* rejection sampling removes the modulo bias */
  guint64 un = (guint64)n;
  guint64 limit = G_MAXUINT64 - (G_MAXUINT64 % un);
  guint64 v;
  do
    v = pl_rng_next(rng);
  while (v >= limit);
  return (int)(v % un);
}
