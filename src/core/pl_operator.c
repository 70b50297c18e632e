/* Forward operators: parameters, construction, A, A^T, data term, gluing and previews.
 * The blur and phase-retrieval transforms live in pl_blur.c / pl_phase.c, the kernels in
 * pl_kernels.c, bicubic resizing in pl_resize.c. */
#include "pl_operator.h"
#include "pl_operator_private.h"
#include "pl_resize.h"
#include "pl_rng.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(pl-operator-error-quark, pl_operator_error)

struct PlOperator {
  PlOperatorParams p;  /* copy; p.mask points at our own mask (mask task) */
  int n, yc, yh, yw;
  float *mask;         /* inpainting: n*n, 1 observed / 0 missing */
  float *kernel;       /* blurs: ksize^2 */
  int ksize;
  PlBlur *blur;
  PlResize *resize;
  PlPhase *phase;
  float *ybuf;         /* y_len scratch */
  float *xbuf;         /* x_len scratch */
};

static const struct { const char *name, *label; } task_info[PL_TASK_COUNT] = {
  [PL_TASK_INPAINT_BOX] = { "box", "Box inpainting" },
  [PL_TASK_INPAINT_RANDOM] = { "random", "Random inpainting" },
  [PL_TASK_INPAINT_MASK] = { "mask", "Mask inpainting" },
  [PL_TASK_GAUSSIAN_BLUR] = { "gblur", "Gaussian blur" },
  [PL_TASK_MOTION_BLUR] = { "mblur", "Motion blur" },
  [PL_TASK_SUPER_RESOLUTION] = { "sr4", "Super-resolution x4" },
  [PL_TASK_PHASE_RETRIEVAL] = { "phase", "Phase retrieval" },
};

const char *pl_task_name(PlTask task)
{
  return (unsigned)task < PL_TASK_COUNT ? task_info[task].name : "unknown";
}

const char *pl_task_label(PlTask task)
{
  return (unsigned)task < PL_TASK_COUNT ? task_info[task].label : "Unknown";
}

gboolean pl_task_from_name(const char *name, PlTask *out)
{
  for (int t = 0; name != NULL && t < PL_TASK_COUNT; t++)
    if (strcmp(name, task_info[t].name) == 0) {
      if (out != NULL)
        *out = (PlTask)t;
      return TRUE;
    }
  return FALSE;
}

const char *pl_norm_name(PlNorm norm)
{
  return norm == PL_NORM_L2_SQUARED ? "l2sq" : "l2";
}

gboolean pl_norm_from_name(const char *name, PlNorm *out)
{
  PlNorm v;
  if (g_strcmp0(name, "l2") == 0)
    v = PL_NORM_L2;
  else if (g_strcmp0(name, "l2sq") == 0)
    v = PL_NORM_L2_SQUARED;
  else
    return FALSE;
  if (out != NULL)
    *out = v;
  return TRUE;
}

const char *pl_noise_units_name(PlNoiseUnits u)
{
  return u == PL_NOISE_UNITS_UNIT ? "unit" : "model";
}

gboolean pl_noise_units_from_name(const char *name, PlNoiseUnits *out)
{
  PlNoiseUnits v;
  if (g_strcmp0(name, "model") == 0)
    v = PL_NOISE_UNITS_MODEL;
  else if (g_strcmp0(name, "unit") == 0)
    v = PL_NOISE_UNITS_UNIT;
  else
    return FALSE;
  if (out != NULL)
    *out = v;
  return TRUE;
}

void pl_operator_params_init(PlOperatorParams *p, PlTask task, int size)
{
  memset(p, 0, sizeof *p);
  const double f = size / 256.0;
  p->task = task;
  p->size = size;
  p->box_h = p->box_w = size / 2;
  p->box_y = p->box_x = -1;
  p->margin = size / 16;
  p->missing_fraction = 0.7;
  p->mask = NULL;
  int k = (int)lround(61.0 * f);
  if (k % 2 == 0)
    k += 1;
  p->kernel_size = MAX(k, 3);
  p->blur_sigma = 3.0 * f;
  p->motion_intensity = 0.5;
  p->sr_factor = 4;
  p->pr_pad = size / 4;
  p->noise_sigma = 0.01;
  p->noise_units = PL_NOISE_UNITS_MODEL;  /* as the public code: docs/FIDELITY.md, item 7 */
  p->seed = 0;
}

static gboolean invalid(GError **error, const char *what)
{
  g_set_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_INVALID, "Invalid operator parameters: %s", what);
  return FALSE;
}

static gboolean validate(const PlOperatorParams *p, GError **error)
{
  const int n = p->size;
  if ((unsigned)p->task >= PL_TASK_COUNT)
    return invalid(error, "unknown task");
  if (n < 2 || n > PL_IMAGE_MAX_SIDE)
    return invalid(error, "image size out of range");
  if (!isfinite(p->noise_sigma) || p->noise_sigma < 0.0)
    return invalid(error, "noise sigma must be finite and >= 0");
  if (p->noise_units != PL_NOISE_UNITS_MODEL && p->noise_units != PL_NOISE_UNITS_UNIT)
    return invalid(error, "noise units must be model or unit");
  switch (p->task) {
  case PL_TASK_INPAINT_BOX:
    if (p->box_h < 1 || p->box_w < 1 || p->box_h > n || p->box_w > n || p->margin < 0)
      return invalid(error, "box size or margin out of range");
    /* compared without sums: box_y + box_h overflows for box_y near INT_MAX */
    if (p->margin > n)
      return invalid(error, "box margin larger than the image");
    if ((p->box_y < 0 && p->box_h > n - 2 * p->margin) || (p->box_x < 0 && p->box_w > n - 2 * p->margin))
      return invalid(error, "box and margins do not fit in the image");
    if ((p->box_y >= 0 && p->box_y > n - p->box_h) || (p->box_x >= 0 && p->box_x > n - p->box_w))
      return invalid(error, "box lies outside the image");
    break;
  case PL_TASK_INPAINT_RANDOM:
    if (!(p->missing_fraction >= 0.0 && p->missing_fraction <= 1.0))
      return invalid(error, "missing fraction must be in [0,1]");
    break;
  case PL_TASK_INPAINT_MASK:
    if (p->mask == NULL)
      return invalid(error, "mask inpainting needs a mask");
    break;
  case PL_TASK_GAUSSIAN_BLUR:
  case PL_TASK_MOTION_BLUR:
    if (p->kernel_size < 1 || p->kernel_size % 2 == 0 || p->kernel_size / 2 >= n)
      return invalid(error, "blur kernel side must be odd and its radius smaller than the image");
    if (p->task == PL_TASK_GAUSSIAN_BLUR && !(p->blur_sigma > 0.0 && isfinite(p->blur_sigma)))
      return invalid(error, "blur sigma must be positive");
    if (p->task == PL_TASK_MOTION_BLUR && !(p->motion_intensity >= 0.0 && p->motion_intensity <= 1.0))
      return invalid(error, "motion intensity must be in [0,1]");
    break;
  case PL_TASK_SUPER_RESOLUTION:
    if (p->sr_factor < 2 || n % p->sr_factor != 0)
      return invalid(error, "SR factor must be >= 2 and divide the image size");
    break;
  case PL_TASK_PHASE_RETRIEVAL:
    if (p->pr_pad < 0 || p->pr_pad > 2 * n)
      return invalid(error, "phase retrieval padding out of range");
    break;
  default:
    break;
  }
  return TRUE;
}

static void make_box_mask(PlOperator *op)
{
  const PlOperatorParams *p = &op->p;
  const int n = op->n;
  PlRng rng;
  pl_rng_seed_purpose(&rng, p->seed, PL_RNG_BOX, 0);
  /* top-left corner uniform over all placements keeping `margin` free on every side */
  int y0 = p->box_y >= 0 ? p->box_y : p->margin + pl_rng_int(&rng, n - 2 * p->margin - p->box_h + 1);
  int x0 = p->box_x >= 0 ? p->box_x : p->margin + pl_rng_int(&rng, n - 2 * p->margin - p->box_w + 1);
  op->p.box_y = y0;
  op->p.box_x = x0;
  for (int i = 0; i < n * n; i++)
    op->mask[i] = 1.0f;
  for (int y = y0; y < y0 + p->box_h; y++)
    for (int x = x0; x < x0 + p->box_w; x++)
      op->mask[(size_t)y * n + x] = 0.0f;
}

static void make_random_mask(PlOperator *op)
{
  const int np = op->n * op->n;
  const int missing = (int)lround(op->p.missing_fraction * np);
  int *perm = g_new(int, np);
  for (int i = 0; i < np; i++)
    perm[i] = i;
  PlRng rng;
  pl_rng_seed_purpose(&rng, op->p.seed, PL_RNG_RANDOM_MASK, 0);
  /* partial Fisher-Yates: the first `missing` entries are a uniform random subset */
  for (int i = 0; i < missing; i++) {
    int j = i + pl_rng_int(&rng, np - i);
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (int i = 0; i < np; i++)
    op->mask[i] = 1.0f;
  for (int i = 0; i < missing; i++)
    op->mask[perm[i]] = 0.0f;
  g_free(perm);
}

PlOperator *pl_operator_new(const PlOperatorParams *p, GError **error)
{
  g_return_val_if_fail(p != NULL, NULL);
  if (!validate(p, error))
    return NULL;
  PlOperator *op = g_new0(PlOperator, 1);
  op->p = *p;
  op->p.mask = NULL;
  const int n = op->n = p->size;
  op->yc = 3;
  op->yh = op->yw = n;
  switch (p->task) {
  case PL_TASK_INPAINT_BOX:
  case PL_TASK_INPAINT_RANDOM:
  case PL_TASK_INPAINT_MASK:
    op->mask = g_new(float, (size_t)n * n);
    if (p->task == PL_TASK_INPAINT_BOX)
      make_box_mask(op);
    else if (p->task == PL_TASK_INPAINT_RANDOM)
      make_random_mask(op);
    else {  /* a drawn mask may be antialiased: observed where >= 1/2, so A^T A is a projection */
      for (int i = 0; i < n * n; i++)
        op->mask[i] = p->mask[i] >= 0.5f ? 1.0f : 0.0f;
      op->p.mask = op->mask;
    }
    break;
  case PL_TASK_GAUSSIAN_BLUR:
  case PL_TASK_MOTION_BLUR:
    op->ksize = p->kernel_size;
    op->kernel = g_new(float, (size_t)op->ksize * op->ksize);
    if (p->task == PL_TASK_GAUSSIAN_BLUR)
      pl_gaussian_kernel(op->ksize, p->blur_sigma, op->kernel);
    else
      pl_motion_kernel(op->ksize, p->motion_intensity, p->seed, op->kernel);
    op->blur = pl_blur_new(n, op->kernel, op->ksize);
    break;
  case PL_TASK_SUPER_RESOLUTION:
    op->yh = op->yw = n / p->sr_factor;
    op->resize = pl_resize_new(n, n, op->yh, op->yw);
    break;
  case PL_TASK_PHASE_RETRIEVAL:
    op->phase = pl_phase_new(n, p->pr_pad);
    op->yh = op->yw = pl_phase_side(op->phase);
    break;
  default:
    break;
  }
  op->ybuf = g_new(float, pl_operator_y_len(op));
  op->xbuf = g_new(float, pl_operator_x_len(op));
  return op;
}

void pl_operator_free(PlOperator *op)
{
  if (op == NULL)
    return;
  pl_blur_free(op->blur);
  pl_resize_free(op->resize);
  pl_phase_free(op->phase);
  g_free(op->mask);
  g_free(op->kernel);
  g_free(op->ybuf);
  g_free(op->xbuf);
  g_free(op);
}

const PlOperatorParams *pl_operator_params(const PlOperator *op) { return &op->p; }
PlTask pl_operator_task(const PlOperator *op) { return op->p.task; }
gboolean pl_operator_is_linear(const PlOperator *op) { return op->p.task != PL_TASK_PHASE_RETRIEVAL; }
int pl_operator_size(const PlOperator *op) { return op->n; }
size_t pl_operator_x_len(const PlOperator *op) { return (size_t)3 * op->n * op->n; }
size_t pl_operator_y_len(const PlOperator *op) { return (size_t)op->yc * op->yh * op->yw; }
const float *pl_operator_mask(const PlOperator *op) { return op->mask; }

void pl_operator_y_shape(const PlOperator *op, int *c, int *h, int *w)
{
  if (c != NULL) *c = op->yc;
  if (h != NULL) *h = op->yh;
  if (w != NULL) *w = op->yw;
}

const float *pl_operator_kernel(const PlOperator *op, int *side)
{
  if (side != NULL)
    *side = op->kernel != NULL ? op->ksize : 0;
  return op->kernel;
}

void pl_operator_forward(PlOperator *op, const float *x, float *y)
{
  const size_t np = (size_t)op->n * op->n, yp = (size_t)op->yh * op->yw;
  for (int c = 0; c < 3; c++) {
    const float *xc = x + c * np;
    float *yc = y + c * yp;
    if (op->mask != NULL)
      for (size_t i = 0; i < np; i++)
        yc[i] = op->mask[i] * xc[i];
    else if (op->blur != NULL)
      pl_blur_forward(op->blur, xc, yc);
    else if (op->resize != NULL)
      pl_resize_apply(op->resize, xc, yc);
    else
      pl_phase_forward(op->phase, xc, yc);
  }
}

gboolean pl_operator_adjoint(PlOperator *op, const float *y, float *x, GError **error)
{
  if (!pl_operator_is_linear(op)) {
    g_set_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_NOT_LINEAR,
                "%s is not linear: it has no adjoint", pl_task_label(op->p.task));
    return FALSE;
  }
  const size_t np = (size_t)op->n * op->n, yp = (size_t)op->yh * op->yw;
  for (int c = 0; c < 3; c++) {
    const float *yc = y + c * yp;
    float *xc = x + c * np;
    if (op->mask != NULL)  /* diagonal: self-adjoint */
      for (size_t i = 0; i < np; i++)
        xc[i] = op->mask[i] * yc[i];
    else if (op->blur != NULL)
      pl_blur_adjoint(op->blur, yc, xc);
    else
      pl_resize_apply_adjoint(op->resize, yc, xc);
  }
  return TRUE;
}

double pl_operator_noise_std(const PlOperator *op)
{
  /* sigma in [0,1] units is 2 sigma in [-1,1] units (x_model = 2 x_unit - 1) */
  return op->p.noise_units == PL_NOISE_UNITS_UNIT ? 2.0 * op->p.noise_sigma : op->p.noise_sigma;
}

void pl_operator_measure(PlOperator *op, const float *x, guint64 seed, float *y)
{
  pl_operator_forward(op, x, y);
  const double sigma = pl_operator_noise_std(op);
  if (sigma <= 0.0)
    return;
  PlRng rng;
  pl_rng_seed_purpose(&rng, seed, PL_RNG_MEASUREMENT, 0);
  const size_t len = pl_operator_y_len(op);
  for (size_t i = 0; i < len; i++)
    y[i] = (float)(y[i] + sigma * pl_rng_normal(&rng));
}

/* sum of squares with four partial sums: breaks the add chain, same result to rounding */
static double sum_squares(const float *v, size_t n)
{
  double acc[4] = { 0.0, 0.0, 0.0, 0.0 };
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; k++)
      acc[k] += (double)v[i + k] * v[i + k];
  for (; i < n; i++)
    acc[0] += (double)v[i] * v[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

double pl_operator_data_term(PlOperator *op, const float *x, const float *y, PlNorm norm,
                             float *grad, double *residual)
{
  double ss = 0.0;
  if (pl_operator_is_linear(op)) {
    const size_t ylen = pl_operator_y_len(op);
    pl_operator_forward(op, x, op->ybuf);
    for (size_t i = 0; i < ylen; i++)
      op->ybuf[i] -= y[i];
    ss = sum_squares(op->ybuf, ylen);
    if (grad != NULL) {
      /* grad ||r||^2 = 2 A^T r, grad ||r|| = A^T r / ||r|| (0 at r = 0): the factor is
       * applied to r, before the (linear) adjoint */
      const double rn = sqrt(ss);
      const float c = norm == PL_NORM_L2_SQUARED ? 2.0f : rn > 0.0 ? (float)(1.0 / rn) : 0.0f;
      for (size_t i = 0; i < ylen; i++)
        op->ybuf[i] *= c;
      pl_operator_adjoint(op, op->ybuf, grad, NULL);
    }
  } else {
    /* the phase transform returns grad ||r||^2; d||r|| = d||r||^2 / (2 ||r||) */
    const size_t np = (size_t)op->n * op->n, yp = (size_t)op->yh * op->yw;
    for (int c = 0; c < 3; c++)
      ss += pl_phase_residual_grad(op->phase, x + c * np, y + c * yp, grad != NULL ? grad + c * np : NULL);
    if (grad != NULL && norm == PL_NORM_L2) {
      const double rn = sqrt(ss);
      const float c = rn > 0.0 ? (float)(0.5 / rn) : 0.0f;
      for (size_t i = 0; i < pl_operator_x_len(op); i++)
        grad[i] *= c;
    }
  }
  const double rn = sqrt(ss);
  if (residual != NULL)
    *residual = rn;
  return norm == PL_NORM_L2_SQUARED ? ss : rn;
}

gboolean pl_operator_glue(PlOperator *op, const float *y, const float *x, float *out,
                          GError **error)
{
  if (!pl_operator_is_linear(op)) {
    g_set_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_NOT_LINEAR,
                "%s is not linear: no gluing term", pl_task_label(op->p.task));
    return FALSE;
  }
  /* A^T y + (I - A^T A) x = x + A^T (y - A x) */
  const size_t ylen = pl_operator_y_len(op), xlen = pl_operator_x_len(op);
  pl_operator_forward(op, x, op->ybuf);
  for (size_t i = 0; i < ylen; i++)
    op->ybuf[i] = y[i] - op->ybuf[i];
  pl_operator_adjoint(op, op->ybuf, op->xbuf, NULL);
  for (size_t i = 0; i < xlen; i++)
    out[i] = x[i] + op->xbuf[i];
  return TRUE;
}

static float unit(float v)
{
  return CLAMP(0.5f * (v + 1.0f), 0.0f, 1.0f);
}

PlImage *pl_operator_measurement_preview(PlOperator *op, const float *y)
{
  const int n = op->n;
  PlImage *img = pl_image_new(3, n, n);
  if (img == NULL)
    return NULL;
  const size_t yp = (size_t)op->yh * op->yw;
  double peak = 0.0;
  if (op->phase != NULL)
    for (size_t i = 0; i < pl_operator_y_len(op); i++)
      peak = MAX(peak, log1p(fabs((double)y[i])));
  for (int c = 0; c < 3; c++) {
    const float *yc = y + c * yp;
    float *out = pl_image_plane(img, c);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        float v;
        if (op->mask != NULL)
          v = op->mask[(size_t)i * n + j] > 0.5f ? unit(yc[(size_t)i * n + j]) : 0.5f;
        else if (op->resize != NULL)
          v = unit(yc[(size_t)(i / op->p.sr_factor) * op->yw + j / op->p.sr_factor]);
        else if (op->phase != NULL) {
          /* the centred spectrum's middle n x n window, log scale, one peak for all channels */
          const int off = (op->yh - n) / 2;
          const double m = log1p(fabs((double)yc[(size_t)(i + off) * op->yw + j + off]));
          v = peak > 0.0 ? (float)(m / peak) : 0.0f;
        } else
          v = unit(yc[(size_t)i * n + j]);
        out[(size_t)i * n + j] = v;
      }
  }
  return img;
}
