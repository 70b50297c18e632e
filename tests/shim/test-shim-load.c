/* Bundle loading: the bundled model loads (also from a copy elsewhere), its manifest reads
 * back, and every kind of broken bundle fails with its own status, without crashing or
 * leaking (the ASan build checks the leaks). Also argument checks of the call API. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "shim-test-util.h"

static PlShimStatus try_load(const char *dir, PlShimDevice dev) {
  PlShimLoadParams p;
  plshim_load_params_init(&p);
  p.num_threads = 1;
  p.warmup = 0;
  p.device = dev;
  PlShimModel *m = (PlShimModel *)0x1;  /* must come back NULL on failure */
  PlShimStatus s = plshim_model_load(dir, &p, &m);
  if (s == PLSHIM_OK) {
    g_assert_nonnull(m);
    plshim_model_free(m);
  } else {
    g_assert_null(m);
    g_test_message("%s: %s: %s", dir, plshim_status_name(s), plshim_last_error());
    g_assert_cmpstr(plshim_last_error(), !=, "");
  }
  return s;
}

/* Rewrites model.json of a bundle copy through edit(root object). */
static void edit_manifest(const char *dir, void (*edit)(JsonObject *root)) {
  char *path = g_build_filename(dir, "model.json", NULL);
  JsonParser *parser = json_parser_new();
  GError *err = NULL;
  g_assert_true(json_parser_load_from_file(parser, path, &err));
  g_assert_no_error(err);
  JsonNode *root = json_parser_get_root(parser);
  edit(json_node_get_object(root));
  JsonGenerator *gen = json_generator_new();
  json_generator_set_root(gen, root);
  g_assert_true(json_generator_to_file(gen, path, &err));
  g_assert_no_error(err);
  g_object_unref(gen);
  g_object_unref(parser);
  g_free(path);
}

static void set_latent(JsonObject *o, int c, int h, int w) {
  JsonArray *a = json_array_new();
  json_array_add_int_element(a, c);
  json_array_add_int_element(a, h);
  json_array_add_int_element(a, w);
  json_object_set_array_member(o, "latent_shape", a);
}
static void latent_half(JsonObject *o) { set_latent(o, 3, 8, 8); }
static void latent_4ch(JsonObject *o) { set_latent(o, 4, 16, 16); }
static void drop_scale(JsonObject *o) { json_object_remove_member(o, "scale_factor"); }
static void string_size(JsonObject *o) { json_object_set_string_member(o, "image_size", "64"); }
static void vq_unknown(JsonObject *o) { json_object_set_string_member(o, "first_stage", "vae"); }
static void wrong_count(JsonObject *o) {
  json_object_set_int_member(json_object_get_object_member(o, "parameters"), "unet", 12345);
}

static void test_load_bundled(void) {
  PlShimModel *m = st_load(st_model_dir(), 0);
  const PlShimManifest *man = plshim_model_manifest(m);
  g_assert_nonnull(man->name);
  g_assert_cmpstr(man->first_stage, ==, "kl");
  g_assert_cmpstr(man->parameterization, ==, "eps");
  g_assert_cmpstr(man->beta_schedule, ==, "linear");
  g_assert_cmpint(man->num_timesteps, ==, 1000);
  g_assert_cmpfloat_with_epsilon(man->beta_start, 0.0015, 1e-12);
  g_assert_cmpfloat_with_epsilon(man->beta_end, 0.0195, 1e-12);
  g_assert_cmpint(man->latent_channels, ==, 3);
  /* f = 4 autoencoder */
  g_assert_cmpint(man->latent_h * 4, ==, man->image_size);
  g_assert_cmpint(man->latent_w * 4, ==, man->image_size);
  g_assert_true(man->scale_factor > 0 && isfinite(man->scale_factor));
  g_assert_cmpstr(man->license, !=, "");
  g_assert_cmpint(plshim_model_param_count(m, "unet"), ==, man->unet_params);
  g_assert_cmpint(plshim_model_param_count(m, "encoder"), >, 0);
  g_assert_cmpint(plshim_model_param_count(m, "decoder"), >, 0);
  g_assert_cmpint(plshim_model_param_count(m, "vae"), ==, -1);
  g_assert_cmpint(plshim_model_uses_cuda(m), ==, strncmp(plshim_model_device(m), "cuda", 4) == 0);
  st_assert_ok(plshim_warmup(m, 2));
  plshim_model_free(m);
  plshim_model_free(NULL);

  PlShimRuntimeInfo info;
  plshim_runtime_info(&info);
  g_test_message("libtorch %s, cuda %d (%d devices) %s", info.torch_version, info.cuda_available,
                 info.cuda_device_count, info.cuda_device_name);
  g_assert_cmpstr(info.torch_version, !=, "");
  g_assert_cmpint(info.cuda_available, ==, info.cuda_device_count > 0);
}

static void test_load_copy(void) {
  char *dir = st_copy_bundle(st_model_dir());
  g_assert_cmpint(try_load(dir, PLSHIM_DEVICE_AUTO), ==, PLSHIM_OK);
  st_rm_tree(dir);
  g_free(dir);
}

static void test_missing(void) {
  g_assert_cmpint(try_load("/nonexistent/plorg-bundle", PLSHIM_DEVICE_CPU), ==, PLSHIM_ERR_MISSING_FILE);
  const char *files[] = {"model.json", "unet.pt", "encoder.pt", "decoder.pt"};
  for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
    char *dir = st_copy_bundle(st_model_dir());
    char *p = g_build_filename(dir, files[i], NULL);
    g_assert_cmpint(g_unlink(p), ==, 0);
    g_assert_cmpint(try_load(dir, PLSHIM_DEVICE_CPU), ==, PLSHIM_ERR_MISSING_FILE);
    g_free(p);
    st_rm_tree(dir);
    g_free(dir);
  }
}

/* Truncated (half, and a few bytes) and overwritten .pt files are not TorchScript. */
static void test_corrupt_torchscript(void) {
  const char *files[] = {"unet.pt", "encoder.pt", "decoder.pt"};
  for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
    for (int mode = 0; mode < 3; mode++) {
      char *dir = st_copy_bundle(st_model_dir());
      char *p = g_build_filename(dir, files[i], NULL);
      char *data = NULL;
      gsize len = 0;
      g_assert_true(g_file_get_contents(p, &data, &len, NULL));
      if (mode == 0) len /= 2;
      if (mode == 1) len = 7;
      if (mode == 2) memset(data, 'x', MIN(len, (gsize)4096));  /* zip header gone */
      g_assert_true(g_file_set_contents(p, data, (gssize)len, NULL));
      g_assert_cmpint(try_load(dir, PLSHIM_DEVICE_CPU), ==, PLSHIM_ERR_TORCHSCRIPT);
      g_free(data);
      g_free(p);
      st_rm_tree(dir);
      g_free(dir);
    }
  }
}

static void test_bad_manifest(void) {
  const char *texts[] = {"{ this is not json", "", "[1, 2, 3]", "{\"format_version\": 1}"};
  for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
    char *dir = st_copy_bundle(st_model_dir());
    char *p = g_build_filename(dir, "model.json", NULL);
    g_assert_true(g_file_set_contents(p, texts[i], -1, NULL));
    g_assert_cmpint(try_load(dir, PLSHIM_DEVICE_CPU), ==, PLSHIM_ERR_MANIFEST);
    g_free(p);
    st_rm_tree(dir);
    g_free(dir);
  }
  void (*edits[])(JsonObject *) = {drop_scale, string_size, vq_unknown, wrong_count};
  for (size_t i = 0; i < G_N_ELEMENTS(edits); i++) {
    char *dir = st_copy_bundle(st_model_dir());
    edit_manifest(dir, edits[i]);
    g_assert_cmpint(try_load(dir, PLSHIM_DEVICE_CPU), ==, PLSHIM_ERR_MANIFEST);
    st_rm_tree(dir);
    g_free(dir);
  }
}

/* The manifest's latent shape disagrees with what the modules produce / accept. */
static void test_wrong_shape(void) {
  void (*edits[])(JsonObject *) = {latent_half, latent_4ch};
  for (size_t i = 0; i < G_N_ELEMENTS(edits); i++) {
    char *dir = st_copy_bundle(st_model_dir());
    edit_manifest(dir, edits[i]);
    g_assert_cmpint(try_load(dir, PLSHIM_DEVICE_CPU), ==, PLSHIM_ERR_SHAPE);
    st_rm_tree(dir);
    g_free(dir);
  }
}

/* A copy whose decoder has a NaN weight, made by a Python helper (needs python3-torch). */
static void test_nan_weights(void) {
  const char *py = g_getenv("PLORG_TORCH_PYTHON"), *script = g_getenv("PLORG_NAN_SCRIPT");
  if (!py || !*py || !script) {
    g_test_skip("no Python with torch at configure time: cannot write a NaN-weight TorchScript file");
    return;
  }
  char *dir = st_copy_bundle(st_model_dir());
  char *decoder = g_build_filename(dir, "decoder.pt", NULL);
  const char *argv[] = {py, script, decoder, NULL};
  int status = 0;
  GError *err = NULL;
  char *out = NULL, *errout = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout,
                             &status, &err));
  g_assert_no_error(err);
  if (!g_spawn_check_wait_status(status, NULL)) g_error("make_nan_module.py failed: %s", errout);
  g_assert_cmpint(try_load(dir, PLSHIM_DEVICE_CPU), ==, PLSHIM_ERR_NONFINITE);
  /* Without the weight scan, the NaN shows up in the load-time output check. */
  PlShimLoadParams p;
  plshim_load_params_init(&p);
  p.validate_weights = 0;
  p.warmup = 0;
  PlShimModel *m = NULL;
  g_assert_cmpint(plshim_model_load(dir, &p, &m), ==, PLSHIM_ERR_NONFINITE);
  g_assert_null(m);
  g_free(out);
  g_free(errout);
  g_free(decoder);
  st_rm_tree(dir);
  g_free(dir);
}

static void test_device(void) {
  PlShimRuntimeInfo info;
  plshim_runtime_info(&info);
  PlShimStatus s = try_load(st_model_dir(), PLSHIM_DEVICE_CUDA);
  g_assert_cmpint(s, ==, info.cuda_available ? PLSHIM_OK : PLSHIM_ERR_DEVICE);
  g_assert_cmpint(try_load(st_model_dir(), PLSHIM_DEVICE_CPU), ==, PLSHIM_OK);
}

static void test_bad_arguments(void) {
  PlShimModel *m = st_load(st_model_dir(), 0);
  const PlShimManifest *man = plshim_model_manifest(m);
  const size_t nz = (size_t)man->latent_channels * man->latent_h * man->latent_w;
  const size_t nx = (size_t)3 * man->image_size * man->image_size;
  float *z = g_new0(float, nz), *x = g_new0(float, nx), *out = g_new0(float, nx);
  int t = 10, bad_t = man->num_timesteps;
  double abar = 0.5, bad_abar = 1.5;

  PlShimModel *other = NULL;
  g_assert_cmpint(plshim_model_load(NULL, NULL, &other), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_null(other);
  g_assert_cmpint(plshim_model_load(st_model_dir(), NULL, NULL), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_eps(NULL, z, &t, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_eps(m, NULL, &t, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_eps(m, z, &t, 0, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_eps(m, z, &bad_t, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_eps(m, z, &t, 1, NULL), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_decode(m, z, -1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_encode(m, NULL, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_guided_forward(m, z, &t, &bad_abar, 1, NULL, NULL, NULL), ==,
                  PLSHIM_ERR_INVALID_ARGUMENT);
  /* A VJP needs its own forward, once. */
  g_assert_cmpint(plshim_guided_vjp(m, x, NULL, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  st_assert_ok(plshim_guided_forward(m, z, &t, &abar, 1, NULL, NULL, NULL));
  /* Rejected arguments leave the pending graph in place; a completed VJP consumes it. */
  g_assert_cmpint(plshim_guided_vjp(m, x, NULL, 2, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_guided_vjp(m, NULL, NULL, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_guided_vjp(m, x, NULL, 1, NULL), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  st_assert_ok(plshim_guided_vjp(m, x, NULL, 1, out));
  g_assert_cmpint(plshim_guided_vjp(m, x, NULL, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_encoder_vjp(m, z, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  st_assert_ok(plshim_encode_with_grad(m, x, 1, out));
  g_assert_cmpint(plshim_encoder_vjp(m, NULL, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  st_assert_ok(plshim_encoder_vjp(m, z, 1, out));
  g_assert_cmpint(plshim_encoder_vjp(m, z, 1, out), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpint(plshim_decode_vjp(m, z, x, 1, NULL, NULL), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_cmpstr(plshim_last_error(), !=, "");
  /* NaN in, NaN out: the outputs are written and the status says so. */
  z[0] = NAN;
  g_assert_cmpint(plshim_decode(m, z, 1, out), ==, PLSHIM_ERR_NONFINITE);
  g_assert_true(isnan(st_max_abs(out, nx)));

  g_assert_cmpstr(plshim_status_name(PLSHIM_ERR_SHAPE), ==, "shape");
  g_assert_cmpstr(plshim_status_name((PlShimStatus)99), ==, "unknown-status");
  g_free(z);
  g_free(x);
  g_free(out);
  plshim_model_free(m);
}

/* The error message is per thread. */
static gpointer fail_in_thread(gpointer data) {
  (void)data;
  plshim_model_load("/nonexistent/other-thread", NULL, NULL);
  return g_strdup(plshim_last_error());
}

static void test_error_per_thread(void) {
  PlShimModel *m = NULL;
  g_assert_cmpint(plshim_model_load("/nonexistent/main-thread", NULL, &m), ==, PLSHIM_ERR_MISSING_FILE);
  char *other = g_thread_join(g_thread_new("fail", fail_in_thread, NULL));
  g_assert_nonnull(strstr(plshim_last_error(), "main-thread"));
  g_assert_null(strstr(other, "main-thread"));
  g_free(other);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/shim/load/bundled", test_load_bundled);
  g_test_add_func("/shim/load/copy", test_load_copy);
  g_test_add_func("/shim/load/missing-file", test_missing);
  g_test_add_func("/shim/load/corrupt-torchscript", test_corrupt_torchscript);
  g_test_add_func("/shim/load/bad-manifest", test_bad_manifest);
  g_test_add_func("/shim/load/wrong-shape", test_wrong_shape);
  g_test_add_func("/shim/load/nan-weights", test_nan_weights);
  g_test_add_func("/shim/load/device", test_device);
  g_test_add_func("/shim/calls/bad-arguments", test_bad_arguments);
  g_test_add_func("/shim/errors/per-thread", test_error_per_thread);
  return g_test_run();
}
