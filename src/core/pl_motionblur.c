/* Motion-blur kernels with the algorithm of the public `motionblur` package
 * (LeviBorodenko/motionblur, used by the DPS, PSLD, ReSample and DAPS tasks), written from
 * reading it; our random numbers (PlRng) drive it, so kernels match it in distribution,
 * not bit for bit.
 *
 * For a side x side kernel and intensity I it works on a canvas of N = 2 side pixels
 * (supersampled for anti-aliasing), diagonal D = sqrt(2) N:
 * 1. path length L = 0.75 D (U(0,1) + U(0, I^2)); steps of length Beta(1,30) (1 - I + 0.1) D,
 *    each kept only when shorter than L, until they add up to L;
 * 2. a largest angle A ~ U(0, I pi) and a "jitter" p ~ Beta(2,20); the first heading is
 *    U(-A, A), each next one has magnitude Triangular(0, I A, A + 0.1) and keeps the
 *    previous heading's sign, flipping it with probability p;
 * 3. the path is the cumulative sum of the steps; its centre of mass (mean of the vertices)
 *    goes to the canvas centre after a rotation by U(0, pi);
 * 4. drawn as a polyline of width int(D/150) on a black 8-bit canvas (Pillow's line:
 *    coordinates truncated to integers, Bresenham, the last point included), blurred with Pillow's GaussianBlur of
 *    radius int(0.01 D) (three extended box passes per axis), resized to side x side with
 *    Pillow's Lanczos filter, and normalised to sum 1. Every stage rounds to 8 bits as
 *    Pillow does, which decides which faint pixels survive. */
#include "pl_operator.h"
#include "pl_rng.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define MB_EPS 0.1  /* the package's "tiny error" */

/* Beta(1, b) restricted to [0, m): inverse CDF of the truncated law, one draw. The
 * package draws until a step is below m; this is the same distribution without a loop
 * that can run for very long when m is tiny. */
static double beta1_below(PlRng *rng, double b, double scale, double m)
{
  double xm = MIN(m / scale, 1.0);
  double fm = 1.0 - pow(1.0 - xm, b);
  double u = pl_rng_uniform(rng) * fm;
  return scale * (1.0 - pow(1.0 - u, 1.0 / b));
}

/* Gamma(k, 1) for integer k: a sum of k exponentials. */
static double gamma_int(PlRng *rng, int k)
{
  double s = 0.0;
  for (int i = 0; i < k; i++)
    s -= log1p(-pl_rng_uniform(rng));
  return s;
}

static double beta_int(PlRng *rng, int a, int b)
{
  double x = gamma_int(rng, a), y = gamma_int(rng, b);
  return x / (x + y);
}

static double triangular(PlRng *rng, double lo, double mode, double hi)
{
  double u = pl_rng_uniform(rng), span = hi - lo;
  if (!(span > 0.0))
    return lo;
  double fc = (mode - lo) / span;
  return u < fc ? lo + sqrt(u * span * (mode - lo)) : hi - sqrt((1.0 - u) * span * (hi - mode));
}

static double sign_of(double v) { return v > 0.0 ? 1.0 : v < 0.0 ? -1.0 : 0.0; }

/* The path's vertices on the N x N canvas; returns their count (0: no step). */
static int make_path(PlRng *rng, int N, double I, double **px, double **py, double *length)
{
  const double diag = sqrt(2.0) * N;
  const double max_len = 0.75 * diag * (pl_rng_uniform(rng) + I * I * pl_rng_uniform(rng));
  const double scale = (1.0 - I + MB_EPS) * diag;
  GArray *steps = g_array_new(FALSE, FALSE, sizeof(double));
  double total = 0.0;
  while (total < max_len && max_len > 0.0) {
    double st = beta1_below(rng, 30.0, scale, max_len);
    g_array_append_val(steps, st);
    total += st;
  }
  const int n = (int)steps->len;
  *length = total;
  *px = g_new(double, MAX(n, 1));
  *py = g_new(double, MAX(n, 1));
  if (n == 0) {
    g_array_unref(steps);
    return 0;
  }
  const double amax = I * G_PI * pl_rng_uniform(rng);
  const double jitter = beta_int(rng, 2, 20);
  double angle = -amax + 2.0 * amax * pl_rng_uniform(rng);
  double x = 0.0, y = 0.0, cx = 0.0, cy = 0.0;
  for (int k = 0; k < n; k++) {
    if (k > 0) {
      double mag = triangular(rng, 0.0, I * amax, amax + MB_EPS);
      double s = sign_of(angle);
      angle = mag * (pl_rng_uniform(rng) < jitter ? -s : s);
    }
    double st = g_array_index(steps, double, k);
    x += st * cos(angle);
    y += st * sin(angle);
    (*px)[k] = x;
    (*py)[k] = y;
    cx += x;
    cy += y;
  }
  cx /= n;
  cy /= n;
  const double rot = G_PI * pl_rng_uniform(rng), c = cos(rot), s = sin(rot);
  for (int k = 0; k < n; k++) {
    double dx = (*px)[k] - cx, dy = (*py)[k] - cy;
    (*px)[k] = c * dx - s * dy + N / 2.0;
    (*py)[k] = s * dx + c * dy + N / 2.0;
  }
  g_array_unref(steps);
  return n;
}

static void put(guint8 *img, int N, int x, int y)
{
  if (x >= 0 && y >= 0 && x < N && y < N)
    img[(size_t)y * N + x] = 255;
}

/* Pillow's one-pixel line: Bresenham from (x0,y0), the end point itself not drawn (the
 * next segment starts there; the polyline's last point is set by the caller). */
static void thin_line(guint8 *img, int N, int x0, int y0, int x1, int y1)
{
  int dx = abs(x1 - x0), dy = abs(y1 - y0);
  int xs = x1 >= x0 ? 1 : -1, ys = y1 >= y0 ? 1 : -1;
  if (dx == 0 || dy == 0) {
    for (int i = 0; i < dx + dy; i++, x0 += dx ? xs : 0, y0 += dy ? ys : 0)
      put(img, N, x0, y0);
    return;
  }
  if (dx > dy) {
    int e = 2 * dy - dx;
    for (int i = 0; i < dx; i++, x0 += xs) {
      put(img, N, x0, y0);
      if (e >= 0) {
        y0 += ys;
        e -= 2 * dx;
      }
      e += 2 * dy;
    }
  } else {
    int e = 2 * dx - dy;
    for (int i = 0; i < dy; i++, y0 += ys) {
      put(img, N, x0, y0);
      if (e >= 0) {
        x0 += xs;
        e -= 2 * dy;
      }
      e += 2 * dx;
    }
  }
}

/* Wider lines (kernels above ~105 pixels): every pixel centre within width/2 of the segment. */
static void wide_line(guint8 *img, int N, double x0, double y0, double x1, double y1, int width)
{
  double h = width / 2.0, vx = x1 - x0, vy = y1 - y0, l2 = vx * vx + vy * vy;
  int xa = (int)floor(MIN(x0, x1) - h), xb = (int)ceil(MAX(x0, x1) + h);
  int ya = (int)floor(MIN(y0, y1) - h), yb = (int)ceil(MAX(y0, y1) + h);
  for (int y = MAX(ya, 0); y <= MIN(yb, N - 1); y++)
    for (int x = MAX(xa, 0); x <= MIN(xb, N - 1); x++) {
      double t = l2 > 0.0 ? CLAMP(((x - x0) * vx + (y - y0) * vy) / l2, 0.0, 1.0) : 0.0;
      double ex = x - (x0 + t * vx), ey = y - (y0 + t * vy);
      if (ex * ex + ey * ey <= h * h)
        img[(size_t)y * N + x] = 255;
    }
}

/* One extended-box pass along rows (Pillow's fixed-point horizontal box blur, edges
 * extended), in place. */
static void box_rows(guint8 *img, int N, float radius, guint32 *acc_line)
{
  const int r = (int)radius;
  const guint32 ww = (guint32)((float)(1 << 24) / (radius * 2 + 1));
  const guint32 fw = ((1u << 24) - (guint32)(r * 2 + 1) * ww) / 2;
  for (int y = 0; y < N; y++) {
    guint8 *row = img + (size_t)y * N;
    for (int x = 0; x < N; x++) {
      guint32 acc = 0;
      for (int k = -r; k <= r; k++)
        acc += row[CLAMP(x + k, 0, N - 1)];
      guint32 bulk = acc * ww + (guint32)(row[CLAMP(x - r - 1, 0, N - 1)] +
                                          row[CLAMP(x + r + 1, 0, N - 1)]) * fw;
      acc_line[x] = (bulk + (1u << 23)) >> 24;
    }
    for (int x = 0; x < N; x++)
      row[x] = (guint8)acc_line[x];
  }
}

static void transpose(guint8 *img, int N)
{
  for (int y = 0; y < N; y++)
    for (int x = y + 1; x < N; x++) {
      guint8 t = img[(size_t)y * N + x];
      img[(size_t)y * N + x] = img[(size_t)x * N + y];
      img[(size_t)x * N + y] = t;
    }
}

/* Pillow's GaussianBlur(radius): the box radius of Gwosdek et al. for three passes. */
static void gaussian_blur(guint8 *img, int N, float sigma)
{
  const int passes = 3;
  float s2 = sigma * sigma / passes;
  float L = sqrtf(12.0f * s2 + 1.0f);
  float l = floorf((L - 1.0f) / 2.0f);
  float a = (2 * l + 1) * (l * (l + 1) - 3 * s2) / (6 * (s2 - (l + 1) * (l + 1)));
  float radius = l + a;
  if (radius == 0.0f)
    return;
  guint32 *line = g_new(guint32, N);
  for (int pass = 0; pass < 2; pass++) {  /* rows, then columns via a transpose */
    for (int i = 0; i < passes; i++)
      box_rows(img, N, radius, line);
    transpose(img, N);
  }
  g_free(line);
}

static double lanczos3(double x)
{
  if (!(x >= -3.0 && x < 3.0))
    return 0.0;
  double s1 = x == 0.0 ? 1.0 : sin(G_PI * x) / (G_PI * x);
  double x3 = x / 3.0;
  double s3 = x3 == 0.0 ? 1.0 : sin(G_PI * x3) / (G_PI * x3);
  return s1 * s3;
}

/* Pillow's antialiased Lanczos resize of an N x N 8-bit image to n x n: fixed-point
 * coefficients (22 fraction bits), rows first, each pass rounded and clipped to 8 bits. */
static void lanczos_resize(const guint8 *in, int N, guint8 *out, int n)
{
  const double scale = (double)N / n, fscale = MAX(scale, 1.0), support = 3.0 * fscale;
  const int ksize = (int)ceil(support) * 2 + 1, bits = 22;
  gint32 *kk = g_new0(gint32, (size_t)n * ksize);
  int *lo = g_new(int, n), *cnt = g_new(int, n);
  double *k = g_new(double, ksize);
  for (int xx = 0; xx < n; xx++) {
    double centre = (xx + 0.5) * scale, ww = 0.0;
    int xmin = MAX((int)(centre - support + 0.5), 0);
    int xmax = MIN((int)(centre + support + 0.5), N) - xmin;
    for (int x = 0; x < xmax; x++)
      ww += (k[x] = lanczos3((x + xmin - centre + 0.5) / fscale));
    for (int x = 0; x < xmax; x++) {
      double v = ww != 0.0 ? k[x] / ww : k[x];
      kk[(size_t)xx * ksize + x] = (gint32)(v < 0 ? -0.5 + v * (1 << bits) : 0.5 + v * (1 << bits));
    }
    lo[xx] = xmin;
    cnt[xx] = xmax;
  }
  guint8 *tmp = g_new(guint8, (size_t)N * n);  /* N rows x n columns */
  for (int y = 0; y < N; y++)
    for (int xx = 0; xx < n; xx++) {
      gint32 ss = 1 << (bits - 1);
      for (int x = 0; x < cnt[xx]; x++)
        ss += in[(size_t)y * N + lo[xx] + x] * kk[(size_t)xx * ksize + x];
      tmp[(size_t)y * n + xx] = (guint8)CLAMP(ss >> bits, 0, 255);
    }
  for (int yy = 0; yy < n; yy++)
    for (int x = 0; x < n; x++) {
      gint32 ss = 1 << (bits - 1);
      for (int y = 0; y < cnt[yy]; y++)
        ss += tmp[(size_t)(lo[yy] + y) * n + x] * kk[(size_t)yy * ksize + y];
      out[(size_t)yy * n + x] = (guint8)CLAMP(ss >> bits, 0, 255);
    }
  g_free(tmp);
  g_free(k);
  g_free(kk);
  g_free(lo);
  g_free(cnt);
}

void pl_motion_kernel(int side, double intensity, guint64 seed, float *out)
{
  pl_motion_kernel_traced(side, intensity, seed, out, NULL);
}

void pl_motion_kernel_traced(int side, double intensity, guint64 seed, float *out,
                             PlMotionPathInfo *info)
{
  g_return_if_fail(side >= 1 && out != NULL);
  const size_t nn = (size_t)side * side;
  memset(out, 0, nn * sizeof(float));
  const double I = isfinite(intensity) ? CLAMP(intensity, 0.0, 1.0) : 0.5;
  const int N = 2 * side;
  const double diag = sqrt(2.0) * N;
  PlRng rng;
  pl_rng_seed_stream(&rng, seed, G_GUINT64_CONSTANT(0x6d6f74696f6e));  /* "motion" */
  double *px = NULL, *py = NULL;
  double length = 0.0;
  int nv = make_path(&rng, N, I, &px, &py, &length);
  guint8 *canvas = g_new0(guint8, (size_t)N * N);
  const int width = (int)(diag / 150.0);
  for (int k = 0; k + 1 < nv; k++) {
    if (width <= 1)
      thin_line(canvas, N, (int)px[k], (int)py[k], (int)px[k + 1], (int)py[k + 1]);
    else
      wide_line(canvas, N, px[k], py[k], px[k + 1], py[k + 1], width);
  }
  if (nv > 1 && width <= 1)
    put(canvas, N, (int)px[nv - 1], (int)py[nv - 1]);  /* Pillow ends a polyline on its last point */
  if (info) {
    info->steps = nv;
    info->path_length = length;
    info->drawn_pixels = 0;
    for (size_t i = 0; i < (size_t)N * N; i++)
      info->drawn_pixels += canvas[i] != 0;
  }
  gaussian_blur(canvas, N, (float)(int)(diag * 0.01));
  guint8 *small = g_new0(guint8, nn);
  lanczos_resize(canvas, N, small, side);
  double sum = 0.0;
  for (size_t i = 0; i < nn; i++)
    sum += small[i];
  if (sum > 0.0) {
    for (size_t i = 0; i < nn; i++)
      out[i] = (float)(small[i] / sum);
  } else {
    out[(size_t)(side / 2) * side + side / 2] = 1.0f;  /* nothing drawn: the identity */
  }
  g_free(small);
  g_free(canvas);
  g_free(px);
  g_free(py);
}
