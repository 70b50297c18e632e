/* pl_rng: determinism, independence of streams, and the moments of each distribution
 * (bounds are 6 standard errors, so a correct generator fails with p < 1e-8). */
#include <glib.h>
#include <math.h>

#include "pl_rng.h"

#define N 200000

static void test_reference_seeding(void)
{
  /* splitmix64's first output for seed 0 is the published 0xE220A8397B1DCDAF */
  PlRng rng;
  pl_rng_seed(&rng, 0);
  g_assert_cmphex(rng.s[0], ==, G_GUINT64_CONSTANT(0xE220A8397B1DCDAF));
  /* xoshiro256** output from that state, written out from the published algorithm */
  guint64 s1 = rng.s[1];
  guint64 x = s1 * 5;
  x = (x << 7) | (x >> 57);
  g_assert_cmphex(pl_rng_next(&rng), ==, x * 9);
}

static void test_determinism(void)
{
  PlRng a, b, c;
  pl_rng_seed(&a, 42);
  pl_rng_seed(&b, 42);
  pl_rng_seed(&c, 43);
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    guint64 va = pl_rng_next(&a), vb = pl_rng_next(&b), vc = pl_rng_next(&c);
    g_assert_cmphex(va, ==, vb);
    differ += va != vc;
  }
  g_assert_cmpint(differ, >, 990);

  PlRng s0, s1, s0b;
  pl_rng_seed_stream(&s0, 7, 0);
  pl_rng_seed_stream(&s1, 7, 1);
  pl_rng_seed_stream(&s0b, 7, 0);
  differ = 0;
  for (int i = 0; i < 1000; i++) {
    guint64 v0 = pl_rng_next(&s0), v1 = pl_rng_next(&s1);
    g_assert_cmphex(v0, ==, pl_rng_next(&s0b));
    differ += v0 != v1;
  }
  g_assert_cmpint(differ, >, 990);
  /* (seed, stream) pairs that a naive sum would confuse */
  PlRng p, q;
  pl_rng_seed_stream(&p, 8, 0);
  pl_rng_seed_stream(&q, 7, 1);
  g_assert_cmphex(pl_rng_next(&p), !=, pl_rng_next(&q));
}

/* Pearson correlation of two streams' first n normals */
static double stream_correlation(PlRng *a, PlRng *b, int n)
{
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (int i = 0; i < n; i++) {
    const double x = pl_rng_normal(a), y = pl_rng_normal(b);
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
  }
  const double cov = sab / n - sa / n * sb / n;
  return cov / sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
}

static void test_purposes_independent(void)
{
  /* every (purpose, index) pair of one seed is its own stream: no two share a first word,
   * and their normals are uncorrelated (|r| < 6 / sqrt(n) for independent streams) */
  const PlRngPurpose purposes[] = {PL_RNG_INITIAL_NOISE, PL_RNG_STEP_NOISE, PL_RNG_RESAMPLE_NOISE,
                                   PL_RNG_PREDICTION_NOISE, PL_RNG_BOX, PL_RNG_RANDOM_MASK,
                                   PL_RNG_MEASUREMENT};
  const guint64 indices[] = {0, 1, 2, 3, pl_rng_index(1, 3), pl_rng_index(3, 0), pl_rng_index(1, 1)};
  const int np = G_N_ELEMENTS(purposes), ni = G_N_ELEMENTS(indices);
  const int n = 4000;
  for (guint64 seed = 0; seed < 3; seed++) {
    GHashTable *first = g_hash_table_new(g_int64_hash, g_int64_equal);
    gint64 *words = g_new(gint64, np * ni);
    for (int p = 0; p < np; p++)
      for (int k = 0; k < ni; k++) {
        PlRng r;
        pl_rng_seed_purpose(&r, seed, purposes[p], indices[k]);
        words[p * ni + k] = (gint64)pl_rng_next(&r);
        g_assert_false(g_hash_table_contains(first, &words[p * ni + k]));
        g_hash_table_add(first, &words[p * ni + k]);
      }
    g_hash_table_destroy(first);
    g_free(words);
    for (int p = 0; p < np; p++)
      for (int k = 0; k < ni; k++)
        for (int q = 0; q < np; q++)
          for (int l = 0; l < ni; l++) {
            if (p * ni + k >= q * ni + l)
              continue;
            PlRng a, b;
            pl_rng_seed_purpose(&a, seed, purposes[p], indices[k]);
            pl_rng_seed_purpose(&b, seed, purposes[q], indices[l]);
            g_assert_cmpfloat(fabs(stream_correlation(&a, &b, n)), <, 6.0 / sqrt(n));
          }
  }
  /* the collision the purposes fixed: the old initial stream of sample 3 was the old
   * measurement stream; now sample 3's z_T and the measurement noise are unrelated */
  PlRng z3, meas;
  pl_rng_seed_purpose(&z3, 0, PL_RNG_INITIAL_NOISE, 3);
  pl_rng_seed_purpose(&meas, 0, PL_RNG_MEASUREMENT, 0);
  g_assert_cmpfloat(fabs(stream_correlation(&z3, &meas, n)), <, 6.0 / sqrt(n));
  /* and determinism */
  PlRng a, b;
  pl_rng_seed_purpose(&a, 9, PL_RNG_STEP_NOISE, pl_rng_index(4, 1));
  pl_rng_seed_purpose(&b, 9, PL_RNG_STEP_NOISE, pl_rng_index(4, 1));
  for (int i = 0; i < 100; i++)
    g_assert_cmphex(pl_rng_next(&a), ==, pl_rng_next(&b));
}

static void test_uniform(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 1);
  double sum = 0.0;
  for (int i = 0; i < N; i++) {
    double u = pl_rng_uniform(&rng);
    g_assert_true(u >= 0.0 && u < 1.0);
    sum += u;
  }
  /* mean 1/2, variance 1/12 */
  g_assert_cmpfloat(fabs(sum / N - 0.5), <, 6.0 * sqrt(1.0 / 12.0 / N));
}

static void test_normal(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 2);
  double s1 = 0.0, s2 = 0.0, s4 = 0.0;
  for (int i = 0; i < N; i++) {
    double v = pl_rng_normal(&rng);
    g_assert_true(isfinite(v));
    s1 += v;
    s2 += v * v;
    s4 += v * v * v * v;
  }
  /* N(0,1): mean 0 (se 1/sqrt N), variance 1 (se sqrt(2/N)), fourth moment 3 (se sqrt(96/N)) */
  g_assert_cmpfloat(fabs(s1 / N), <, 6.0 / sqrt(N));
  g_assert_cmpfloat(fabs(s2 / N - 1.0), <, 6.0 * sqrt(2.0 / N));
  g_assert_cmpfloat(fabs(s4 / N - 3.0), <, 6.0 * sqrt(96.0 / N));

  float buf[50000];
  pl_rng_fill_normal(&rng, buf, G_N_ELEMENTS(buf), 0.25f);
  double v = 0.0;
  for (size_t i = 0; i < G_N_ELEMENTS(buf); i++)
    v += (double)buf[i] * buf[i];
  v /= G_N_ELEMENTS(buf);
  g_assert_cmpfloat(fabs(v - 0.0625), <, 6.0 * 0.0625 * sqrt(2.0 / G_N_ELEMENTS(buf)));
}

static void test_int(void)
{
  PlRng rng;
  pl_rng_seed(&rng, 3);
  const int k = 7;
  int counts[7] = { 0 };
  for (int i = 0; i < N; i++) {
    int v = pl_rng_int(&rng, k);
    g_assert_cmpint(v, >=, 0);
    g_assert_cmpint(v, <, k);
    counts[v]++;
  }
  /* binomial(N, 1/k) per bin */
  const double mean = (double)N / k, sd = sqrt(N * (1.0 / k) * (1.0 - 1.0 / k));
  for (int i = 0; i < k; i++)
    g_assert_cmpfloat(fabs(counts[i] - mean), <, 6.0 * sd);
  g_assert_cmpint(pl_rng_int(&rng, 1), ==, 0);
  g_assert_cmpint(pl_rng_int(&rng, 0), ==, 0);
  g_assert_cmpint(pl_rng_int(&rng, -5), ==, 0);
  /* a range near 2^31 still stays in range */
  for (int i = 0; i < 1000; i++) {
    int v = pl_rng_int(&rng, G_MAXINT);
    g_assert_cmpint(v, >=, 0);
    g_assert_cmpint(v, <, G_MAXINT);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rng/reference-seeding", test_reference_seeding);
  g_test_add_func("/rng/determinism", test_determinism);
  g_test_add_func("/rng/purposes-independent", test_purposes_independent);
  g_test_add_func("/rng/uniform", test_uniform);
  g_test_add_func("/rng/normal", test_normal);
  g_test_add_func("/rng/int", test_int);
  return g_test_run();
}
