/* The bundled model through the shim reproduces the eager PyTorch model (the exporter's
 * fixture), and every call gives the same per-sample results at batch 3 as at batch 1.
 *
 * Tolerances. The fixture was computed by eager PyTorch with the same ATen kernels; the
 * shim runs the traced graph of the same ops, so results may differ only in summation
 * order (thread count, batch-dependent blocking of the convolution kernels). A reduction of
 * K <= 9 * 192 float32 products changes by ~sqrt(K) * 2^-24 ~ 3e-6 of its scale under
 * reordering; GroupNorm renormalises after every block, so these errors add up over the
 * ~40 layers rather than multiply: <= ~1e-4 of the output's scale. RTOL = 1e-4 relative to
 * max(1, max|ref|) is that bound, and still 10^4 times below what any real mistake
 * (swapped samples, wrong scale factor, wrong timestep) produces. On CUDA (cuDNN picks
 * different algorithms; TF32 is off in these tests) we allow RTOL_CUDA = 2e-3. */
#include <math.h>
#include <string.h>

#include "shim-test-util.h"

#define RTOL 1e-4
#define RTOL_CUDA 2e-3

static PlShimModel *model;
static StFixture *fixture;

static double rtol(void) { return plshim_model_uses_cuda(model) ? RTOL_CUDA : RTOL; }

static void expect_close(const char *what, const float *got, const float *ref, size_t n) {
  double diff = st_max_abs_diff(got, ref, n), scale = MAX(1.0, st_max_abs(ref, n));
  g_test_message("%s: max |diff| %.3g (scale %.3g)", what, diff, scale);
  if (!(diff <= rtol() * scale))
    g_error("%s: max |diff| %.3g exceeds %.1g * %.3g", what, diff, rtol(), scale);
}

static void test_fixture(void) {
  const PlShimManifest *man = plshim_model_manifest(model);
  int zs[4], xs[4];
  size_t nz, nx;
  const float *z = st_fixture_get(fixture, "z", zs, &nz);
  const float *x = st_fixture_get(fixture, "x", xs, &nx);
  const int batch = zs[0];
  g_assert_cmpint(zs[1], ==, man->latent_channels);
  g_assert_cmpint(zs[2], ==, man->latent_h);
  g_assert_cmpint(xs[2], ==, man->image_size);
  float *out = g_new(float, MAX(nz, nx));
  for (int k = 0; k < 2; k++) {
    int tv = st_fixture_t(fixture, k), t[8];
    for (int i = 0; i < batch; i++) t[i] = tv;
    char *name = g_strdup_printf("eps_t%d", tv);
    st_assert_ok(plshim_eps(model, z, t, batch, out));
    expect_close(name, out, st_fixture_get(fixture, name, NULL, NULL), nz);
    g_free(name);
  }
  st_assert_ok(plshim_encode(model, x, batch, out));
  expect_close("encode", out, st_fixture_get(fixture, "encode", NULL, NULL), nz);
  st_assert_ok(plshim_decode(model, z, batch, out));
  expect_close("decode", out, st_fixture_get(fixture, "decode", NULL, NULL), nx);
  g_free(out);
}

/* Runs every call at batch 3 and per sample at batch 1; all outputs must agree row by row. */
typedef struct {
  float *eps, *enc, *dec, *g_eps, *g_z0, *g_x0, *g_z, *e_z, *e_gx, *d_x, *d_gz;
} Outs;

static Outs outs_new(size_t nz, size_t nx, int batch) {
  Outs o;
  float **all[] = {&o.eps, &o.enc, &o.dec, &o.g_eps, &o.g_z0, &o.g_x0, &o.g_z, &o.e_z, &o.e_gx, &o.d_x, &o.d_gz};
  const int img[] = {0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0};
  for (size_t i = 0; i < G_N_ELEMENTS(all); i++) *all[i] = g_new0(float, (img[i] ? nx : nz) * batch);
  return o;
}

static void outs_free(Outs *o) {
  float *all[] = {o->eps, o->enc, o->dec, o->g_eps, o->g_z0, o->g_x0, o->g_z, o->e_z, o->e_gx, o->d_x, o->d_gz};
  for (size_t i = 0; i < G_N_ELEMENTS(all); i++) g_free(all[i]);
}

static void run_all(const float *z, const float *x, const int *t, const double *abar, const float *gx,
                    const float *gz, int batch, Outs *o) {
  st_assert_ok(plshim_eps(model, z, t, batch, o->eps));
  st_assert_ok(plshim_encode(model, x, batch, o->enc));
  st_assert_ok(plshim_decode(model, z, batch, o->dec));
  st_assert_ok(plshim_guided_forward(model, z, t, abar, batch, o->g_eps, o->g_z0, o->g_x0));
  st_assert_ok(plshim_guided_vjp(model, gx, gz, batch, o->g_z));
  st_assert_ok(plshim_encode_with_grad(model, x, batch, o->e_z));
  st_assert_ok(plshim_encoder_vjp(model, gz, batch, o->e_gx));
  st_assert_ok(plshim_decode_vjp(model, z, gx, batch, o->d_x, o->d_gz));
}

static void test_batch(void) {
  const PlShimManifest *man = plshim_model_manifest(model);
  const size_t nz = (size_t)man->latent_channels * man->latent_h * man->latent_w;
  const size_t nx = (size_t)3 * man->image_size * man->image_size;
  enum { B = 3 };
  GRand *rng = g_rand_new_with_seed(11);
  float *z = st_randn(rng, nz * B, 1.0), *x = st_uniform(rng, nx * B);
  float *gx = st_randn(rng, nx * B, 1.0), *gz = st_randn(rng, nz * B, 1.0);
  const int t[B] = {5, 400, 990};
  double abar[B];
  for (int i = 0; i < B; i++) abar[i] = st_abar(man, t[i]);

  Outs all = outs_new(nz, nx, B), one = outs_new(nz, nx, 1);
  run_all(z, x, t, abar, gx, gz, B, &all);
  for (int i = 0; i < B; i++) {
    run_all(z + i * nz, x + i * nx, t + i, abar + i, gx + i * nx, gz + i * nz, 1, &one);
    const float *a[] = {one.eps, one.enc, one.dec, one.g_eps, one.g_z0, one.g_x0, one.g_z, one.e_z, one.e_gx, one.d_x, one.d_gz};
    const float *b[] = {all.eps, all.enc, all.dec, all.g_eps, all.g_z0, all.g_x0, all.g_z, all.e_z, all.e_gx, all.d_x, all.d_gz};
    const char *names[] = {"eps", "encode", "decode", "guided eps", "guided z0", "guided x0", "guided_vjp",
                           "encode_with_grad", "encoder_vjp", "decode_vjp x", "decode_vjp g_z"};
    const int img[] = {0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0};
    for (size_t k = 0; k < G_N_ELEMENTS(a); k++) {
      const size_t n = img[k] ? nx : nz;
      char *what = g_strdup_printf("%s, sample %d: batch 1 vs batch %d", names[k], i, B);
      expect_close(what, a[k], b[k] + i * n, n);
      g_free(what);
    }
  }
  /* The guided forward's eps is the plain eps, and decode_vjp's x is the plain decode. */
  expect_close("guided eps vs eps", all.g_eps, all.eps, nz * B);
  expect_close("decode_vjp x vs decode", all.d_x, all.dec, nx * B);
  expect_close("encode_with_grad vs encode", all.e_z, all.enc, nz * B);
  outs_free(&all);
  outs_free(&one);
  g_free(z);
  g_free(x);
  g_free(gx);
  g_free(gz);
  g_rand_free(rng);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  model = st_load(st_model_dir(), 0);
  fixture = st_fixture_load(st_model_dir());
  g_test_add_func("/shim/fixture/eps-encode-decode", test_fixture);
  g_test_add_func("/shim/batch/per-sample", test_batch);
  int r = g_test_run();
  st_fixture_free(fixture);
  plshim_model_free(model);
  return r;
}
