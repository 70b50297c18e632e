/* Helpers shared by the shim tests (see shim-test-util.h). */
#include "shim-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

const char *st_model_dir(void) {
  const char *d = g_getenv("PLORG_MODEL_DIR");
  if (!d || !*d) g_error("PLORG_MODEL_DIR is not set (run the tests with meson test)");
  return d;
}

PlShimModel *st_load(const char *dir, int compute_double) {
  PlShimLoadParams p;
  plshim_load_params_init(&p);
  p.num_threads = 1;
  p.deterministic = 1;
  p.warmup = 0;
  p.compute_double = compute_double;
  PlShimModel *m = NULL;
  st_assert_ok(plshim_model_load(dir, &p, &m));
  g_assert_nonnull(m);
  return m;
}

float *st_randn(GRand *rng, size_t n, double sigma) {
  float *v = g_new(float, n);
  for (size_t i = 0; i < n; i += 2) {  /* Box-Muller, two values per draw */
    double u1 = g_rand_double(rng), u2 = g_rand_double(rng);
    double r = sqrt(-2.0 * log(1.0 - u1)) * sigma;
    v[i] = (float)(r * cos(2 * G_PI * u2));
    if (i + 1 < n) v[i + 1] = (float)(r * sin(2 * G_PI * u2));
  }
  return v;
}

float *st_uniform(GRand *rng, size_t n) {
  float *v = g_new(float, n);
  for (size_t i = 0; i < n; i++) v[i] = (float)g_rand_double_range(rng, -1.0, 1.0);
  return v;
}

double st_dot(const float *a, const float *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

double st_absdot(const float *a, const float *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += fabs((double)a[i] * b[i]);
  return s;
}

double st_absdot_d(const float *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += fabs(a[i] * b[i]);
  return s;
}

double st_max_abs_diff(const float *a, const float *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= m)) m = d;  /* NaN propagates */
  }
  return m;
}

double st_max_abs(const float *a, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++)
    if (!(fabs(a[i]) <= m)) m = fabs(a[i]);
  return m;
}

double st_abar(const PlShimManifest *man, int t) {
  /* LDM "linear": beta_s = (sqrt(b0) + s/(T-1) (sqrt(b1) - sqrt(b0)))^2, abar_t = prod (1-beta). */
  const double r0 = sqrt(man->beta_start), r1 = sqrt(man->beta_end);
  const int T = man->num_timesteps;
  double a = 1.0;
  for (int s = 0; s <= t; s++) {
    double r = T > 1 ? r0 + (r1 - r0) * s / (T - 1) : r0;
    a *= 1.0 - r * r;
  }
  return a;
}

char *st_copy_bundle(const char *src) {
  GError *err = NULL;
  char *dst = g_dir_make_tmp("plorg-shim-test-XXXXXX", &err);
  g_assert_no_error(err);
  GDir *d = g_dir_open(src, 0, &err);
  g_assert_no_error(err);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    char *from = g_build_filename(src, name, NULL), *to = g_build_filename(dst, name, NULL);
    char *data = NULL;
    gsize len = 0;
    if (g_file_test(from, G_FILE_TEST_IS_REGULAR)) {
      g_assert_true(g_file_get_contents(from, &data, &len, &err));
      g_assert_true(g_file_set_contents(to, data, (gssize)len, &err));
      g_assert_no_error(err);
    }
    g_free(data);
    g_free(from);
    g_free(to);
  }
  g_dir_close(d);
  return dst;
}

void st_rm_tree(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *p = g_build_filename(dir, name, NULL);
      if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
        st_rm_tree(p);
      else
        g_unlink(p);
      g_free(p);
    }
    g_dir_close(d);
  }
  g_rmdir(dir);
}

struct StFixture {
  JsonParser *parser;
  JsonObject *root;
  char *data;
  gsize len;
};

StFixture *st_fixture_load(const char *bundle_dir) {
  StFixture *f = g_new0(StFixture, 1);
  GError *err = NULL;
  char *js = g_build_filename(bundle_dir, "fixture.json", NULL);
  f->parser = json_parser_new();
  g_assert_true(json_parser_load_from_file(f->parser, js, &err));
  g_assert_no_error(err);
  f->root = json_node_get_object(json_parser_get_root(f->parser));
  g_assert_cmpstr(json_object_get_string_member(f->root, "dtype"), ==, "float32");
  g_assert_cmpstr(json_object_get_string_member(f->root, "byte_order"), ==, "little");
  g_assert_true(G_BYTE_ORDER == G_LITTLE_ENDIAN);  /* the data are used in place */
  char *bin = g_build_filename(bundle_dir, json_object_get_string_member(f->root, "data"), NULL);
  g_assert_true(g_file_get_contents(bin, &f->data, &f->len, &err));
  g_assert_no_error(err);
  g_free(bin);
  g_free(js);
  return f;
}

const float *st_fixture_get(StFixture *f, const char *name, int shape[4], size_t *count) {
  JsonArray *ts = json_object_get_array_member(f->root, "tensors");
  for (guint i = 0; i < json_array_get_length(ts); i++) {
    JsonObject *t = json_array_get_object_element(ts, i);
    if (strcmp(json_object_get_string_member(t, "name"), name) != 0) continue;
    JsonArray *sh = json_object_get_array_member(t, "shape");
    size_t n = 1;
    for (guint k = 0; k < json_array_get_length(sh); k++) {
      int d = (int)json_array_get_int_element(sh, k);
      if (shape && k < 4) shape[k] = d;
      n *= (size_t)d;
    }
    gint64 off = json_object_get_int_member(t, "offset");
    g_assert_cmpint(off % 4, ==, 0);
    g_assert_cmpuint((gsize)off + n * 4, <=, f->len);
    if (count) *count = n;
    return (const float *)(f->data + off);
  }
  g_error("fixture has no tensor %s", name);
  return NULL;
}

int st_fixture_t(StFixture *f, int i) {
  return (int)json_array_get_int_element(json_object_get_array_member(f->root, "t"), (guint)i);
}

void st_fixture_free(StFixture *f) {
  if (!f) return;
  g_object_unref(f->parser);
  g_free(f->data);
  g_free(f);
}
