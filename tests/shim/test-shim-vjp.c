/* The three vector-Jacobian products agree with central finite differences of the function
 * they differentiate, along random directions:
 *   guided_vjp:  L(z_t) = <g_x, D(z0_hat(z_t)/s)> + <g_z0, z0_hat(z_t)>   (UNet + decoder)
 *   encoder_vjp: L(x)   = <g_e, s E(x)>
 *   decode_vjp:  L(z)   = <g_x, D(z/s)>
 * and the float32 path gives the same VJPs as the float64 one.
 *
 * The model is loaded with compute_double, so torch computes in float64 and the only coarse
 * errors are the shim's float32 buffers. For a direction v and step h the test evaluates
 * L at the float32-rounded inputs z+ = fl(z + h v), z- = fl(z - h v) and compares
 *   fd = (L(z+) - L(z-)) / 2h   with   an = <g, z+ - z-> / 2h
 * (the VJP g applied to the perturbation actually realised, so input rounding cancels).
 * Error budget of e(h) = fd - an:
 *   R(h)  rounding. Each float32 output y_i is within u|y_i| (u = 2^-24) of the float64
 *         value. The cotangents (g_x, g_z0, g_e) are drawn N(0,1) independently of the
 *         outputs, so their contribution <cot, delta+ - delta-> is exactly Gaussian with
 *         variance sum (delta+_i - delta-_i)^2 <= 2 u^2 (sum y+^2 + sum y-^2); we take 6
 *         standard deviations (exceeded with probability 2e-9; the seeds are fixed anyway).
 *         Same argument for the float32-rounded VJP g against the Gaussian direction v:
 *         variance <= u^2 sum g_i^2 d_i^2. Float64 arithmetic inside adds ~1e-16 relative
 *         (we allow 1e-12 of sum |cot_i y_i|). (The worst case, u sum |cot_i y_i|, would be
 *         ~100x larger and leave no step h at which the test is sharp.)
 *   c h^2 truncation of the central difference (the networks are smooth: SiLU, GroupNorm,
 *         softmax, nearest upsampling). Estimated by Richardson from two steps:
 *         e(h) - e(h/2) = (3/4) c h^2 +- (R(h) + R(h/2)), so c (h/2)^2 <= (|e(h) - e(h/2)| +
 *         R(h) + R(h/2)) / 3. A wrong VJP (an error delta in an) cancels in e(h) - e(h/2)
 *         and so cannot hide in this estimate.
 *   Pass: |e(h/2)| <= 2 * (R(h/2) + (|e(h) - e(h/2)| + R(h) + R(h/2)) / 3)   (factor 2: margin
 *         for the higher Taylor terms of the estimate). And the test must be sharp: the
 *         tolerance must be below 1e-3 of the directional derivative's typical size
 *         ||g|| ||v|| / sqrt(n); the test fails otherwise, so it cannot pass vacuously.
 *   h = 0.01 per unit-variance input entry balances the two terms (measured c ~ 1e2 for the
 *         guided path: truncation ~3e-3 at h/2, rounding ~1e-2, against <g,v> ~ 1e2).
 *
 * float32 vs float64 VJPs: both compute the same graph; float32 rounding (2^-24) through the
 * ~40 layers of UNet + decoder forward and backward, with reductions of up to ~2e3 terms,
 * stays well below 1e-3 of the largest gradient entry (checked: max |g32 - g64| <= 1e-3
 * max |g64|); a mistake in either path (wrong graph, missing g_z0 term) is O(1). */
#include <math.h>
#include <string.h>

#include "shim-test-util.h"

#define U32 (1.0 / 16777216.0)  /* 2^-24: float32 rounding, relative */
#define U_INTERNAL 1e-12        /* float64 arithmetic inside torch, generously */
#define NSIGMA 6.0              /* Gaussian rounding contributions: 6 standard deviations */
#define FD_H 1e-2
#define SHARPNESS 1e-3          /* the tolerance must stay below this fraction of |<g, v>| */
#define RTOL_F32 1e-3

static PlShimModel *m64, *m32;
static size_t nz, nx;
enum { B = 2 };

/* L(in) = <cot, y(in)>; also sum y_i^2 and sum |cot_i y_i| (rounding scales, see above). */
typedef double (*LossFn)(const float *in, double *sq_sum, double *abs_sum, void *ctx);

typedef struct {
  PlShimModel *m;
  const int *t;
  const double *abar;
  const float *g_x, *g_z0, *g_e;
  float *buf_z, *buf_x;
} Ctx;

static double loss_guided(const float *z, double *sq_sum, double *abs_sum, void *p) {
  Ctx *c = p;
  st_assert_ok(plshim_guided_forward(c->m, z, c->t, c->abar, B, NULL, c->buf_z, c->buf_x));
  *sq_sum = st_dot(c->buf_x, c->buf_x, nx * B) + st_dot(c->buf_z, c->buf_z, nz * B);
  *abs_sum = st_absdot(c->g_x, c->buf_x, nx * B) + st_absdot(c->g_z0, c->buf_z, nz * B);
  return st_dot(c->g_x, c->buf_x, nx * B) + st_dot(c->g_z0, c->buf_z, nz * B);
}

static double loss_encoder(const float *x, double *sq_sum, double *abs_sum, void *p) {
  Ctx *c = p;
  st_assert_ok(plshim_encode(c->m, x, B, c->buf_z));
  *sq_sum = st_dot(c->buf_z, c->buf_z, nz * B);
  *abs_sum = st_absdot(c->g_e, c->buf_z, nz * B);
  return st_dot(c->g_e, c->buf_z, nz * B);
}

static double loss_decoder(const float *z, double *sq_sum, double *abs_sum, void *p) {
  Ctx *c = p;
  st_assert_ok(plshim_decode(c->m, z, B, c->buf_x));
  *sq_sum = st_dot(c->buf_x, c->buf_x, nx * B);
  *abs_sum = st_absdot(c->g_x, c->buf_x, nx * B);
  return st_dot(c->g_x, c->buf_x, nx * B);
}

typedef struct {
  double e, R;
} FdResult;

static FdResult fd_error(LossFn f, void *ctx, const float *x0, const float *g, const float *v, size_t n, double h) {
  float *xp = g_new(float, n), *xm = g_new(float, n);
  double *d = g_new(double, n);
  for (size_t i = 0; i < n; i++) {
    xp[i] = (float)(x0[i] + h * v[i]);
    xm[i] = (float)(x0[i] - h * v[i]);
    d[i] = (double)xp[i] - (double)xm[i];  /* exact in double */
  }
  double qp, qm, sp, sm;
  const double lp = f(xp, &qp, &sp, ctx), lm = f(xm, &qm, &sm, ctx);
  double an = 0, gd2 = 0;
  for (size_t i = 0; i < n; i++) {
    an += g[i] * d[i];
    gd2 += (double)g[i] * g[i] * d[i] * d[i];
  }
  FdResult r;
  r.e = (lp - lm) / (2 * h) - an / (2 * h);
  r.R = (NSIGMA * U32 * (sqrt(2 * (qp + qm)) + sqrt(gd2)) + U_INTERNAL * (sp + sm)) / (2 * h);
  g_free(xp);
  g_free(xm);
  g_free(d);
  return r;
}

static void check_vjp(const char *name, LossFn f, void *ctx, const float *x0, const float *g, size_t n,
                      double h, GRand *rng) {
  double gg = 0;
  for (size_t i = 0; i < n; i++) gg += (double)g[i] * g[i];
  g_assert_true(gg > 0 && isfinite(gg));
  for (int k = 0; k < 3; k++) {
    float *v = st_randn(rng, n, 1.0);
    double vv = 0;
    for (size_t i = 0; i < n; i++) vv += (double)v[i] * v[i];
    const double typical = sqrt(gg * vv / n);
    const FdResult r1 = fd_error(f, ctx, x0, g, v, n, h), r2 = fd_error(f, ctx, x0, g, v, n, h / 2);
    const double trunc = (fabs(r1.e - r2.e) + r1.R + r2.R) / 3;
    const double tol = 2 * (r2.R + trunc);
    g_test_message("%s dir %d: |fd - vjp| = %.3g, tol %.3g (rounding %.3g, truncation %.3g), "
                   "typical |<g,v>| %.4g -> relative tol %.2g",
                   name, k, fabs(r2.e), tol, r2.R, trunc, typical, tol / typical);
    if (!(fabs(r2.e) <= tol)) g_error("%s: finite differences disagree with the VJP", name);
    if (!(tol <= SHARPNESS * typical)) g_error("%s: tolerance too loose to test anything", name);
    g_free(v);
  }
}

static void expect_same_f32(const char *name, const float *g32, const float *g64, size_t n) {
  const double diff = st_max_abs_diff(g32, g64, n), scale = st_max_abs(g64, n);
  g_test_message("%s: float32 vs float64 max |diff| %.3g of max |g| %.3g", name, diff, scale);
  if (!(diff <= RTOL_F32 * scale)) g_error("%s: float32 and float64 VJPs differ", name);
}

static void test_guided(void) {
  const PlShimManifest *man = plshim_model_manifest(m64);
  GRand *rng = g_rand_new_with_seed(1);
  const int t[B] = {60, 350};
  const double abar[B] = {st_abar(man, t[0]), st_abar(man, t[1])};
  float *z = st_randn(rng, nz * B, 1.0), *gx = st_randn(rng, nx * B, 1.0), *gz0 = st_randn(rng, nz * B, 1.0);
  float *g = g_new(float, nz * B), *g32 = g_new(float, nz * B);
  Ctx c = {m64, t, abar, gx, gz0, NULL, g_new(float, nz * B), g_new(float, nx * B)};

  st_assert_ok(plshim_guided_forward(m64, z, t, abar, B, NULL, NULL, NULL));
  st_assert_ok(plshim_guided_vjp(m64, gx, gz0, B, g));
  check_vjp("guided_vjp", loss_guided, &c, z, g, nz * B, FD_H, rng);
  st_assert_ok(plshim_guided_forward(m32, z, t, abar, B, NULL, NULL, NULL));
  st_assert_ok(plshim_guided_vjp(m32, gx, gz0, B, g32));
  expect_same_f32("guided_vjp", g32, g, nz * B);

  /* The g_z0 term alone: d/dz_t <g_z0, z0_hat> = (I - sqrt(1-abar) dEps/dz)^T g_z0 / sqrt(abar);
   * by linearity, VJP(g_x, g_z0) = VJP(g_x, 0) + VJP(0, g_z0). */
  float *zero_x = g_new0(float, nx * B), *ga = g_new(float, nz * B), *gb = g_new(float, nz * B);
  st_assert_ok(plshim_guided_forward(m64, z, t, abar, B, NULL, NULL, NULL));
  st_assert_ok(plshim_guided_vjp(m64, gx, NULL, B, ga));
  st_assert_ok(plshim_guided_forward(m64, z, t, abar, B, NULL, NULL, NULL));
  st_assert_ok(plshim_guided_vjp(m64, zero_x, gz0, B, gb));
  /* Three float32-rounded vectors (ga, gb, g) and one float32 sum: 4 roundings of 2^-24. */
  const double scale = st_max_abs(ga, nz * B) + st_max_abs(gb, nz * B);
  g_assert_cmpfloat(st_max_abs(gb, nz * B), >, 0);
  for (size_t i = 0; i < nz * B; i++) ga[i] += gb[i];
  g_assert_cmpfloat(st_max_abs_diff(ga, g, nz * B), <=, 4 * U32 * scale + 1e-12);

  g_free(zero_x);
  g_free(ga);
  g_free(gb);
  g_free(c.buf_z);
  g_free(c.buf_x);
  g_free(z);
  g_free(gx);
  g_free(gz0);
  g_free(g);
  g_free(g32);
  g_rand_free(rng);
}

static void test_encoder(void) {
  GRand *rng = g_rand_new_with_seed(2);
  float *x = st_uniform(rng, nx * B), *ge = st_randn(rng, nz * B, 1.0);
  float *g = g_new(float, nx * B), *g32 = g_new(float, nx * B), *e = g_new(float, nz * B);
  Ctx c = {m64, NULL, NULL, NULL, NULL, ge, g_new(float, nz * B), NULL};
  st_assert_ok(plshim_encode_with_grad(m64, x, B, e));
  st_assert_ok(plshim_encoder_vjp(m64, ge, B, g));
  check_vjp("encoder_vjp", loss_encoder, &c, x, g, nx * B, FD_H, rng);
  st_assert_ok(plshim_encode_with_grad(m32, x, B, e));
  st_assert_ok(plshim_encoder_vjp(m32, ge, B, g32));
  expect_same_f32("encoder_vjp", g32, g, nx * B);
  g_free(c.buf_z);
  g_free(x);
  g_free(ge);
  g_free(g);
  g_free(g32);
  g_free(e);
  g_rand_free(rng);
}

static void test_decoder(void) {
  GRand *rng = g_rand_new_with_seed(3);
  float *z = st_randn(rng, nz * B, 1.0), *gx = st_randn(rng, nx * B, 1.0);
  float *g = g_new(float, nz * B), *g32 = g_new(float, nz * B);
  Ctx c = {m64, NULL, NULL, gx, NULL, NULL, NULL, g_new(float, nx * B)};
  st_assert_ok(plshim_decode_vjp(m64, z, gx, B, NULL, g));
  check_vjp("decode_vjp", loss_decoder, &c, z, g, nz * B, FD_H, rng);
  st_assert_ok(plshim_decode_vjp(m32, z, gx, B, NULL, g32));
  expect_same_f32("decode_vjp", g32, g, nz * B);
  g_free(c.buf_x);
  g_free(z);
  g_free(gx);
  g_free(g);
  g_free(g32);
  g_rand_free(rng);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  m64 = st_load(st_model_dir(), 1);
  m32 = st_load(st_model_dir(), 0);
  const PlShimManifest *man = plshim_model_manifest(m64);
  nz = (size_t)man->latent_channels * man->latent_h * man->latent_w;
  nx = (size_t)3 * man->image_size * man->image_size;
  g_test_add_func("/shim/vjp/guided", test_guided);
  g_test_add_func("/shim/vjp/encoder", test_encoder);
  g_test_add_func("/shim/vjp/decoder", test_decoder);
  int r = g_test_run();
  plshim_model_free(m64);
  plshim_model_free(m32);
  return r;
}
