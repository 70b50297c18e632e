/* MATLAB imresize(..., 'bicubic') as two sparse weight matrices (rows, columns).
 *
 * For each output index o (1-based as in MATLAB) along a dimension of scale s = out/in:
 *   u = o/s + 0.5 (1 - 1/s)                       (output centre in input coordinates)
 *   shrinking: kernel h(x) = s k(s x), width 4/s  (antialiasing), else h = k, width 4
 *   taps j = floor(u - width/2) + (0 .. ceil(width)+1), weights h(u - j) / sum
 *   out-of-range taps mirrored with the edge repeated: [1..L, L..1] periodically.
 * The adjoint applies the same weights transposed. */
#include "pl_resize.h"

#include <math.h>
#include <string.h>

typedef struct {
  int in_len, out_len, taps;
  int *idx;     /* out_len * taps input indices (0-based, already mirrored) */
  double *wt;   /* out_len * taps weights, each row summing to 1 */
} Axis;

struct PlResize {
  Axis rows, cols;
};

double pl_cubic_kernel(double x)
{
  const double ax = fabs(x), ax2 = ax * ax, ax3 = ax2 * ax;
  if (ax <= 1.0)
    return 1.5 * ax3 - 2.5 * ax2 + 1.0;
  if (ax <= 2.0)
    return -0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0;
  return 0.0;
}

/* MATLAB's aux = [1:L, L:-1:1] indexing, 0-based */
static int mirror_index(long j, int len)
{
  long period = 2L * len;
  long m = j % period;
  if (m < 0)
    m += period;
  return (int)(m < len ? m : period - 1 - m);
}

static void axis_init(Axis *a, int in_len, int out_len)
{
  const double scale = (double)out_len / in_len;
  const gboolean shrink = scale < 1.0;
  const double width = shrink ? 4.0 / scale : 4.0;
  a->in_len = in_len;
  a->out_len = out_len;
  a->taps = (int)ceil(width) + 2;
  a->idx = g_new(int, (size_t)out_len * a->taps);
  a->wt = g_new(double, (size_t)out_len * a->taps);
  for (int o = 0; o < out_len; o++) {
    const double u = (o + 1) / scale + 0.5 * (1.0 - 1.0 / scale);
    const long left = (long)floor(u - width / 2.0);
    int *idx = a->idx + (size_t)o * a->taps;
    double *wt = a->wt + (size_t)o * a->taps;
    double sum = 0.0;
    for (int k = 0; k < a->taps; k++) {
      const long j = left + k;  /* 1-based input index */
      const double d = u - (double)j;
      wt[k] = shrink ? scale * pl_cubic_kernel(scale * d) : pl_cubic_kernel(d);
      idx[k] = mirror_index(j - 1, in_len);
      sum += wt[k];
    }
    for (int k = 0; k < a->taps; k++)
      wt[k] /= sum;
  }
}

static void axis_clear(Axis *a)
{
  g_free(a->idx);
  g_free(a->wt);
}

PlResize *pl_resize_new(int h, int w, int oh, int ow)
{
  g_return_val_if_fail(h > 0 && w > 0 && oh > 0 && ow > 0, NULL);
  PlResize *r = g_new0(PlResize, 1);
  axis_init(&r->rows, h, oh);
  axis_init(&r->cols, w, ow);
  return r;
}

void pl_resize_free(PlResize *r)
{
  if (r == NULL)
    return;
  axis_clear(&r->rows);
  axis_clear(&r->cols);
  g_free(r);
}

/* out = R_rows * in * R_cols^T, columns first (tmp is h x ow, double). */
void pl_resize_apply(const PlResize *r, const float *in, float *out)
{
  const Axis *ra = &r->rows, *ca = &r->cols;
  const int h = ra->in_len, w = ca->in_len, oh = ra->out_len, ow = ca->out_len;
  double *tmp = g_new(double, (size_t)h * ow);
  for (int y = 0; y < h; y++) {
    const float *src = in + (size_t)y * w;
    for (int o = 0; o < ow; o++) {
      const int *idx = ca->idx + (size_t)o * ca->taps;
      const double *wt = ca->wt + (size_t)o * ca->taps;
      double acc = 0.0;
      for (int k = 0; k < ca->taps; k++)
        acc += wt[k] * src[idx[k]];
      tmp[(size_t)y * ow + o] = acc;
    }
  }
  for (int o = 0; o < oh; o++) {
    const int *idx = ra->idx + (size_t)o * ra->taps;
    const double *wt = ra->wt + (size_t)o * ra->taps;
    for (int x = 0; x < ow; x++) {
      double acc = 0.0;
      for (int k = 0; k < ra->taps; k++)
        acc += wt[k] * tmp[(size_t)idx[k] * ow + x];
      out[(size_t)o * ow + x] = (float)acc;
    }
  }
  g_free(tmp);
}

/* out = R_rows^T * in * R_cols: the transposed steps in reverse order (scatter). */
void pl_resize_apply_adjoint(const PlResize *r, const float *in, float *out)
{
  const Axis *ra = &r->rows, *ca = &r->cols;
  const int h = ra->in_len, w = ca->in_len, oh = ra->out_len, ow = ca->out_len;
  double *tmp = g_new0(double, (size_t)h * ow);
  double *row = g_new(double, w);
  for (int o = 0; o < oh; o++) {
    const int *idx = ra->idx + (size_t)o * ra->taps;
    const double *wt = ra->wt + (size_t)o * ra->taps;
    for (int k = 0; k < ra->taps; k++) {
      double *dst = tmp + (size_t)idx[k] * ow;
      for (int x = 0; x < ow; x++)
        dst[x] += wt[k] * in[(size_t)o * ow + x];
    }
  }
  for (int y = 0; y < h; y++) {
    memset(row, 0, (size_t)w * sizeof(double));
    const double *src = tmp + (size_t)y * ow;
    for (int o = 0; o < ow; o++) {
      const int *idx = ca->idx + (size_t)o * ca->taps;
      const double *wt = ca->wt + (size_t)o * ca->taps;
      for (int k = 0; k < ca->taps; k++)
        row[idx[k]] += wt[k] * src[o];
    }
    for (int x = 0; x < w; x++)
      out[(size_t)y * w + x] = (float)row[x];
  }
  g_free(row);
  g_free(tmp);
}
