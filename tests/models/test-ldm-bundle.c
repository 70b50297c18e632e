/* A bundle written by models/export_ldm.py (the reduced LDM-VQ config, random weights) runs
 * through every shim call and reproduces PyTorch; an LPIPS bundle from models/export_lpips.py
 * loads in plorg_lpips.h and behaves as a distance.
 *
 * Inputs (written at test time by models/tests/make_test_bundles.py, see meson.build):
 *   PLORG_TEST_BUNDLES/tiny-ldm-vq       the bundle, with the exporter's fixture
 *   PLORG_TEST_BUNDLES/tiny-ldm-vq-ref   PyTorch autograd references for the gradient calls
 *   PLORG_TEST_BUNDLES/lpips-alex        LPIPS bundle with its fixture
 * Without them (no torch for Python) the test is skipped (exit 77).
 *
 * Tolerances. References were computed by PyTorch with the same ATen kernels from the same
 * TorchScript files (the exporter's fixture: from the eager modules, which the exporter has
 * checked against the traced ones to 1e-5). The shim may differ only in summation order
 * (thread count, batch-dependent kernel blocking): ~sqrt(K) 2^-24 per reduction of K terms
 * and GroupNorm renormalising after every block, so errors add over the ~60 layers of
 * forward plus backward: well below RTOL = 1e-4 of the output's scale, which is still ~10^4
 * times smaller than a real mistake (wrong cotangent routing, scale factor, timestep,
 * missing straight-through) produces.
 * The VQ decoder quantises with argmin; its inputs here are either codebook vectors (the
 * exporter's fixture) or z0 computed by the same ops as the reference, so no argmin flips.
 * The straight-through identity guided_vjp(g_x, 0) == guided_vjp(0, decode_vjp(z0, g_x))
 * is the chain rule through z0 and holds to the same rounding level.
 * LPIPS: d(x, x) is exactly 0 (identical features); d(x, y) == d(y, x) exactly (the same
 * operations on swapped operands, (a - b)^2 == (b - a)^2 in IEEE arithmetic). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../shim/shim-test-util.h"
#include "plorg_lpips.h"

#define RTOL 1e-4

static char *ldm_dir, *ref_dir, *lpips_dir;
static PlShimModel *model;
static StFixture *fx, *ref;

static void expect_close(const char *what, const float *got, const float *want, size_t n) {
  double diff = st_max_abs_diff(got, want, n), scale = MAX(1e-3, st_max_abs(want, n));
  g_test_message("%s: max |diff| %.3g (scale %.3g)", what, diff, scale);
  if (!(diff <= RTOL * scale)) g_error("%s: max |diff| %.3g exceeds %.1g * %.3g", what, diff, RTOL, scale);
}

static const float *get(StFixture *f, const char *name, size_t *n) {
  return st_fixture_get(f, name, NULL, n);
}

static void test_manifest(void) {
  const PlShimManifest *man = plshim_model_manifest(model);
  g_assert_cmpstr(man->first_stage, ==, "vq");
  g_assert_cmpstr(man->parameterization, ==, "eps");
  g_assert_cmpstr(man->beta_schedule, ==, "linear");
  g_assert_cmpint(man->image_size, ==, 32);
  g_assert_cmpint(man->latent_channels, ==, 3);
  g_assert_cmpint(man->latent_h, ==, 8);
  g_assert_cmpint(man->latent_w, ==, 8);
  g_assert_cmpint(man->num_timesteps, ==, 1000);
  g_assert_cmpfloat(man->scale_factor, ==, 1.0);
  g_assert_cmpfloat(man->beta_start, ==, 0.0015);
  g_assert_cmpfloat(man->beta_end, ==, 0.0195);
  /* The loaded modules hold exactly the tensors the exporter counted (loader checks too). */
  g_assert_cmpint(plshim_model_param_count(model, "unet"), ==, man->unet_params);
  g_assert_cmpint(plshim_model_param_count(model, "encoder"), ==, man->encoder_params);
  g_assert_cmpint(plshim_model_param_count(model, "decoder"), ==, man->decoder_params);
  g_assert_cmpint(man->unet_params, >, 1000000);
}

static void test_fixture(void) {
  int zs[4];
  size_t nz, nx;
  const float *z = st_fixture_get(fx, "z", zs, &nz);
  const float *x = get(fx, "x", &nx);
  const int batch = zs[0];
  float *out = g_new(float, MAX(nz, nx));
  for (int k = 0; k < 2; k++) {
    int tv = st_fixture_t(fx, k), t[8];
    for (int i = 0; i < batch; i++) t[i] = tv;
    char *name = g_strdup_printf("eps_t%d", tv);
    st_assert_ok(plshim_eps(model, z, t, batch, out));
    expect_close(name, out, get(fx, name, NULL), nz);
    g_free(name);
  }
  st_assert_ok(plshim_encode(model, x, batch, out));
  expect_close("encode", out, get(fx, "encode", NULL), nz);
  st_assert_ok(plshim_decode(model, z, batch, out));
  expect_close("decode", out, get(fx, "decode", NULL), nx);
  g_free(out);
}

static void guided_inputs(int t[2], double abar[2]) {
  const PlShimManifest *man = plshim_model_manifest(model);
  for (int i = 0; i < 2; i++) {
    t[i] = st_fixture_t(ref, i);
    abar[i] = st_abar(man, t[i]);
  }
}

static void test_guided(void) {
  size_t nz, nx;
  const float *z_t = get(ref, "z_t", &nz);
  const float *g_x = get(ref, "g_x", &nx);
  const float *g_z0 = get(ref, "g_z0", NULL);
  int t[2];
  double abar[2];
  guided_inputs(t, abar);
  float *eps = g_new(float, nz), *z0 = g_new(float, nz), *x0 = g_new(float, nx), *g_z = g_new(float, nz);
  st_assert_ok(plshim_guided_forward(model, z_t, t, abar, 2, eps, z0, x0));
  expect_close("guided eps", eps, get(ref, "eps", NULL), nz);
  expect_close("guided z0", z0, get(ref, "z0", NULL), nz);
  expect_close("guided x0", x0, get(ref, "x0", NULL), nx);
  st_assert_ok(plshim_guided_vjp(model, g_x, g_z0, 2, g_z));
  expect_close("guided_vjp(g_x, g_z0)", g_z, get(ref, "g_z", NULL), nz);

  /* Straight-through chain rule: the decoder's cotangent at z0 is what decode_vjp returns
   * there, and feeding it as g_z0 gives the same latent gradient. */
  float *w = g_new(float, nz), *g_z2 = g_new(float, nz), *zero_x = g_new0(float, nx);
  st_assert_ok(plshim_guided_forward(model, z_t, t, abar, 2, NULL, z0, NULL));
  st_assert_ok(plshim_guided_vjp(model, g_x, NULL, 2, g_z));
  expect_close("guided_vjp(g_x, NULL)", g_z, get(ref, "g_z_x_only", NULL), nz);
  st_assert_ok(plshim_decode_vjp(model, z0, g_x, 2, NULL, w));
  st_assert_ok(plshim_guided_forward(model, z_t, t, abar, 2, NULL, NULL, NULL));
  st_assert_ok(plshim_guided_vjp(model, zero_x, w, 2, g_z2));
  expect_close("chain rule through the straight-through decoder", g_z2, g_z, nz);
  g_assert_cmpfloat(st_max_abs(w, nz), >, 0.0);  /* the quantiser does not block gradients */
  g_free(eps), g_free(z0), g_free(x0), g_free(g_z), g_free(w), g_free(g_z2), g_free(zero_x);
}

static void test_encoder_and_decoder_vjp(void) {
  size_t nz, nx;
  const float *x = get(ref, "x", &nx);
  const float *g_e = get(ref, "g_e", &nz);
  float *e = g_new(float, nz), *g_xe = g_new(float, nx);
  st_assert_ok(plshim_encode_with_grad(model, x, 2, e));
  expect_close("encode_with_grad", e, get(ref, "e", NULL), nz);
  st_assert_ok(plshim_encoder_vjp(model, g_e, 2, g_xe));
  expect_close("encoder_vjp", g_xe, get(ref, "g_xe", NULL), nx);

  float *xd = g_new(float, nx), *g_zd = g_new(float, nz);
  st_assert_ok(plshim_decode_vjp(model, get(ref, "z_d", NULL), get(ref, "g_x", NULL), 2, xd, g_zd));
  expect_close("decode_vjp x", xd, get(ref, "x_d", NULL), nx);
  expect_close("decode_vjp g_z", g_zd, get(ref, "g_zd", NULL), nz);
  g_free(e), g_free(g_xe), g_free(xd), g_free(g_zd);
}

static void test_lpips(void) {
  PlShimLoadParams p;
  plshim_load_params_init(&p);
  p.num_threads = 1;
  p.deterministic = 1;
  PlLpips *l = NULL;
  st_assert_ok(pllpips_load(lpips_dir, &p, &l));
  g_assert_cmpstr(pllpips_net(l), ==, "alex");
  g_assert_cmpstr(pllpips_device(l), ==, "cpu");
  g_assert_cmpint(pllpips_min_image_size(l), ==, 31);

  StFixture *lf = st_fixture_load(lpips_dir);
  int xs[4];
  size_t n;
  const float *x = st_fixture_get(lf, "x", xs, &n);
  const float *y = get(lf, "y", NULL);
  const float *want = get(lf, "distance", NULL);
  const int b = xs[0], h = xs[2], w = xs[3];
  double d[4], dyx[4], dxx[4], one;
  float got[4];
  st_assert_ok(pllpips_distance(l, x, y, b, h, w, d));
  for (int i = 0; i < b; i++) got[i] = (float)d[i];
  expect_close("lpips vs PyTorch", got, want, (size_t)b);
  st_assert_ok(pllpips_distance(l, y, x, b, h, w, dyx));
  st_assert_ok(pllpips_distance(l, x, x, b, h, w, dxx));
  for (int i = 0; i < b; i++) {
    g_assert_cmpfloat(d[i], >, 0.0);
    g_assert_cmpfloat(d[i], ==, dyx[i]);
    g_assert_cmpfloat(dxx[i], ==, 0.0);
  }
  /* Per-sample: the second pair alone gives its row of the batch (summation order only). */
  const size_t per = n / (size_t)b;
  st_assert_ok(pllpips_distance(l, x + per, y + per, 1, h, w, &one));
  g_assert_cmpfloat(fabs(one - d[1]), <=, RTOL * d[1]);

  g_assert_cmpint(pllpips_distance(l, x, y, 1, 30, 30, d), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  g_assert_nonnull(strstr(plshim_last_error(), "30"));
  g_assert_cmpint(pllpips_distance(l, NULL, y, 1, h, w, d), ==, PLSHIM_ERR_INVALID_ARGUMENT);
  float *nan_img = g_memdup2(x, per * sizeof(float));
  nan_img[5] = NAN;
  g_assert_cmpint(pllpips_distance(l, nan_img, y, 1, h, w, d), ==, PLSHIM_ERR_NONFINITE);
  g_free(nan_img);
  st_fixture_free(lf);
  pllpips_free(l);

  PlLpips *none = NULL;
  g_assert_cmpint(pllpips_load("/nonexistent/lpips", NULL, &none), ==, PLSHIM_ERR_MISSING_FILE);
  g_assert_null(none);
  /* An LDM bundle is not an LPIPS bundle. */
  g_assert_cmpint(pllpips_load(ldm_dir, NULL, &none), ==, PLSHIM_ERR_MISSING_FILE);
  g_assert_nonnull(strstr(plshim_last_error(), "lpips.json"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  const char *root = g_getenv("PLORG_TEST_BUNDLES");
  if (!root) {
    g_printerr("PLORG_TEST_BUNDLES is not set (no Python with torch): skipped\n");
    return 77;
  }
  ldm_dir = g_build_filename(root, "tiny-ldm-vq", NULL);
  ref_dir = g_build_filename(root, "tiny-ldm-vq-ref", NULL);
  lpips_dir = g_build_filename(root, "lpips-alex", NULL);
  model = st_load(ldm_dir, 0);
  fx = st_fixture_load(ldm_dir);
  ref = st_fixture_load(ref_dir);
  g_test_add_func("/models/ldm-bundle/manifest", test_manifest);
  g_test_add_func("/models/ldm-bundle/fixture", test_fixture);
  g_test_add_func("/models/ldm-bundle/guided", test_guided);
  g_test_add_func("/models/ldm-bundle/encoder-decoder-vjp", test_encoder_and_decoder_vjp);
  g_test_add_func("/models/lpips", test_lpips);
  int rc = g_test_run();
  st_fixture_free(fx);
  st_fixture_free(ref);
  plshim_model_free(model);
  g_free(ldm_dir), g_free(ref_dir), g_free(lpips_dir);
  return rc;
}
