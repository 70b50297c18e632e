/* Helpers shared by the shim tests: the bundle under test, random buffers, temporary bundle
 * copies, the exporter's fixture, and the noise schedule. */
#pragma once

#include <glib.h>

#include "plorg_shim.h"

/* PLORG_MODEL_DIR (set by meson's test_env). */
const char *st_model_dir(void);

/* Loads dir with 1 thread, deterministic, no warm-up; compute_double as given. Asserts OK. */
PlShimModel *st_load(const char *dir, int compute_double);

/* n values ~ N(0, sigma^2) or ~ U(-1, 1), from rng. Free with g_free. */
float *st_randn(GRand *rng, size_t n, double sigma);
float *st_uniform(GRand *rng, size_t n);

/* Sum of a[i] * b[i] in double. */
double st_dot(const float *a, const float *b, size_t n);
/* Sum of |a[i] * b[i]| in double (scale of the rounding error of st_dot's terms). */
double st_absdot(const float *a, const float *b, size_t n);
double st_absdot_d(const float *a, const double *b, size_t n);
/* max |a - b| and max |b|. */
double st_max_abs_diff(const float *a, const float *b, size_t n);
double st_max_abs(const float *a, size_t n);

/* alpha-bar of timestep t for the manifest's linear (in sqrt(beta)) schedule. */
double st_abar(const PlShimManifest *man, int t);

/* A fresh temporary folder holding a copy of every file of bundle src; st_rm_tree() it. */
char *st_copy_bundle(const char *src);
void st_rm_tree(const char *dir);

/* The exporter's fixture (fixture.json + fixture.bin in the bundle). */
typedef struct StFixture StFixture;
StFixture *st_fixture_load(const char *bundle_dir);
/* Tensor by name; shape (up to 4 dims) and element count written when non-NULL. */
const float *st_fixture_get(StFixture *f, const char *name, int shape[4], size_t *count);
/* The "t" array of fixture.json. */
int st_fixture_t(StFixture *f, int i);
void st_fixture_free(StFixture *f);

#define st_assert_ok(expr)                                                          \
  G_STMT_START {                                                                    \
    PlShimStatus st_s_ = (expr);                                                    \
    if (st_s_ != PLSHIM_OK)                                                         \
      g_error("%s -> %s: %s", #expr, plshim_status_name(st_s_), plshim_last_error()); \
  }                                                                                 \
  G_STMT_END
