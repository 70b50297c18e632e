/* The motion-blur generator (pl_motionblur.c) against the reference algorithm: an
 * independent Python implementation of the public `motionblur` package
 * (tests/core/motionblur_reference.py, numpy + Pillow as the package uses) makes many
 * kernels; both sides' statistics must agree. The two use different random streams, so
 * the comparison is statistical: for every statistic the means must agree within 5
 * standard errors of their difference, sqrt(var_c/n_c + var_p/n_p), and the variances
 * within 5 standard errors of theirs, sqrt((m4_c - var_c^2)/n_c + (m4_p - var_p^2)/n_p)
 * (the large-sample variance of a sample variance). With ~40 comparisons a correct
 * generator fails with probability ~2e-5; a 10% shift of a mean is caught.
 * Every kernel must also be non-negative and sum to 1. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "pl_operator.h"

#define N_STATS 9
static const char *const stat_names[N_STATS] = {"support", "energy", "spread_major",
                                                 "spread_minor", "centre_offset", "peak",
                                                 "steps", "path_length", "drawn_pixels"};

/* The rotation-invariant statistics of one kernel (same definitions as the Python). */
static void kernel_stats(const float *k, int side, const PlMotionPathInfo *info, double *st)
{
  double my = 0, mx = 0, energy = 0, peak = 0;
  int support = 0;
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++) {
      double v = k[y * side + x];
      my += v * y;
      mx += v * x;
      energy += v * v;
      peak = MAX(peak, v);
      support += v > 0;
    }
  double cxx = 0, cyy = 0, cxy = 0;
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++) {
      double v = k[y * side + x];
      cxx += v * (x - mx) * (x - mx);
      cyy += v * (y - my) * (y - my);
      cxy += v * (x - mx) * (y - my);
    }
  double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
  double disc = sqrt(MAX(tr * tr / 4 - det, 0.0));
  st[0] = support;
  st[1] = energy;
  st[2] = sqrt(MAX(tr / 2 + disc, 0.0));
  st[3] = sqrt(MAX(tr / 2 - disc, 0.0));
  st[4] = hypot(mx - (side - 1) / 2.0, my - (side - 1) / 2.0);
  st[5] = peak;
  st[6] = info->steps;
  st[7] = info->path_length;
  st[8] = info->drawn_pixels;
}

typedef struct {
  double n, mean, var, m4;
} Moments;

static Moments moments(const double *x, int n)
{
  Moments m = {n, 0, 0, 0};
  for (int i = 0; i < n; i++)
    m.mean += x[i];
  m.mean /= n;
  for (int i = 0; i < n; i++) {
    double d = x[i] - m.mean;
    m.var += d * d;
    m.m4 += d * d * d * d;
  }
  m.var /= n - 1;
  m.m4 /= n;
  return m;
}

/* Runs the Python reference; NULL (and the test skips) when it cannot run. */
static JsonObject *reference_stats(JsonParser *parser, int side, int count)
{
  const char *src = g_getenv("PLORG_SOURCE_DIR");
  if (!src || !g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  g_autofree char *script = g_build_filename(src, "tests", "core", "motionblur_reference.py", NULL);
  g_autofree char *side_s = g_strdup_printf("%d", side), *count_s = g_strdup_printf("%d", count);
  char *argv[] = {"/usr/bin/python3", script, "--side", side_s, "--intensity", "0.5",
                  "--count", count_s, "--seed", "7", NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  GError *e = NULL;
  if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &e)) {
    g_test_message("cannot run the reference: %s", e->message);
    g_error_free(e);
    return NULL;
  }
  if (g_spawn_check_wait_status(status, NULL) == FALSE) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
      return NULL;
    g_error("the Python reference failed: %s", err);
  }
  g_assert_true(json_parser_load_from_data(parser, out, -1, NULL));
  return json_node_get_object(json_parser_get_root(parser));
}

static void compare_side(int side, int n_c, int n_py)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *ref = reference_stats(parser, side, n_py);
  if (!ref) {
    g_test_skip("no /usr/bin/python3 with numpy and Pillow for the reference");
    return;
  }
  g_assert_cmpint(json_object_get_int_member(ref, "not_normalised"), ==, 0);
  JsonObject *rs = json_object_get_object_member(ref, "stats");

  g_autofree float *k = g_new(float, side * side);
  g_autofree double *vals = g_new(double, (size_t)N_STATS * n_c);
  for (int s = 0; s < n_c; s++) {
    PlMotionPathInfo info;
    pl_motion_kernel_traced(side, 0.5, (guint64)s + 1000, k, &info);
    double sum = 0;
    for (int i = 0; i < side * side; i++) {
      g_assert_cmpfloat(k[i], >=, 0.0f);
      sum += k[i];
    }
    g_assert_cmpfloat(fabs(sum - 1.0), <=, 1e-5);
    double st[N_STATS];
    kernel_stats(k, side, &info, st);
    for (int j = 0; j < N_STATS; j++)
      vals[(size_t)j * n_c + s] = st[j];
  }
  for (int j = 0; j < N_STATS; j++) {
    Moments c = moments(vals + (size_t)j * n_c, n_c);
    JsonObject *r = json_object_get_object_member(rs, stat_names[j]);
    Moments p = {json_object_get_double_member(r, "n"), json_object_get_double_member(r, "mean"),
                 json_object_get_double_member(r, "var"), json_object_get_double_member(r, "m4")};
    double se_mean = sqrt(c.var / c.n + p.var / p.n);
    double se_var = sqrt(MAX(c.m4 - c.var * c.var, 0.0) / c.n + MAX(p.m4 - p.var * p.var, 0.0) / p.n);
    g_test_message("side %d %-13s mean C %.5g ref %.5g (z %.2f)  sd C %.5g ref %.5g (z %.2f)", side,
                   stat_names[j], c.mean, p.mean, (c.mean - p.mean) / se_mean, sqrt(c.var),
                   sqrt(p.var), (c.var - p.var) / se_var);
    g_assert_cmpfloat(fabs(c.mean - p.mean), <=, 5.0 * se_mean);
    g_assert_cmpfloat(fabs(c.var - p.var), <=, 5.0 * se_var);
  }
}

/* 61 x 61 (the paper's kernel at 256 x 256) and 15 x 15 (what the engine uses at 64 x 64:
 * no Gaussian blur there, as int(0.01 D) is 0). */
static void test_side_61(void) { compare_side(61, 4000, 1000); }
static void test_side_15(void) { compare_side(15, 4000, 1000); }

/* Same seed, same kernel; the tiny sides and the intensity range stay normalised. */
static void test_determinism_and_edges(void)
{
  float a[61 * 61], b[61 * 61];
  pl_motion_kernel(61, 0.5, 3, a);
  pl_motion_kernel(61, 0.5, 3, b);
  g_assert_cmpmem(a, sizeof a, b, sizeof b);
  const int sides[] = {1, 3, 9, 15};
  for (size_t s = 0; s < G_N_ELEMENTS(sides); s++)
    for (double it = 0; it <= 1.0; it += 0.25)
      for (guint64 seed = 0; seed < 5; seed++) {
        pl_motion_kernel(sides[s], it, seed, a);
        double sum = 0;
        for (int i = 0; i < sides[s] * sides[s]; i++) {
          g_assert_cmpfloat(a[i], >=, 0.0f);
          sum += a[i];
        }
        g_assert_cmpfloat(fabs(sum - 1.0), <=, 1e-5);
      }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/motionblur/reference-61", test_side_61);
  g_test_add_func("/motionblur/reference-15", test_side_15);
  g_test_add_func("/motionblur/determinism-edges", test_determinism_and_edges);
  return g_test_run();
}
