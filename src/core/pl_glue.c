/* PSLD's gluing map x -> M y + (I - M A) x, with M the official code's `transpose` (T)
 * or the exact adjoint A^T, and its vector-Jacobian product. docs/FIDELITY.md, item 1.
 * T in the public code (DPS's measurements.py, used by PSLD's psld.py):
 *   SuperResolutionOperator.transpose = F.interpolate(scale_factor=f) (nearest),
 *   Gaussian/Motion blur and Inpainting transpose = the identity. */
#include "pl_operator.h"

#include <string.h>

const char *pl_glue_transpose_name(PlGlueTranspose g)
{
  return g == PL_GLUE_ADJOINT ? "adjoint" : "official";
}

gboolean pl_glue_transpose_from_name(const char *name, PlGlueTranspose *out)
{
  PlGlueTranspose v;
  if (g_strcmp0(name, "official") == 0)
    v = PL_GLUE_OFFICIAL;
  else if (g_strcmp0(name, "adjoint") == 0)
    v = PL_GLUE_ADJOINT;
  else
    return FALSE;
  if (out != NULL)
    *out = v;
  return TRUE;
}

static gboolean need_linear(PlOperator *op, GError **error)
{
  if (pl_operator_is_linear(op))
    return TRUE;
  g_set_error(error, PL_OPERATOR_ERROR, PL_OPERATOR_ERROR_NOT_LINEAR,
              "%s is not linear: no gluing term", pl_task_label(pl_operator_task(op)));
  return FALSE;
}

gboolean pl_operator_transpose_official(PlOperator *op, const float *y, float *x, GError **error)
{
  if (!need_linear(op, error))
    return FALSE;
  const int n = pl_operator_size(op);
  if (pl_operator_task(op) != PL_TASK_SUPER_RESOLUTION) {
    memcpy(x, y, pl_operator_x_len(op) * sizeof(float));  /* y has x's shape here */
    return TRUE;
  }
  int h, w;
  pl_operator_y_shape(op, NULL, &h, &w);
  const int f = pl_operator_params(op)->sr_factor;
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        x[((size_t)c * n + i) * n + j] = y[((size_t)c * h + i / f) * w + j / f];
  return TRUE;
}

gboolean pl_operator_transpose_official_adjoint(PlOperator *op, const float *x, float *y,
                                                GError **error)
{
  if (!need_linear(op, error))
    return FALSE;
  const int n = pl_operator_size(op);
  if (pl_operator_task(op) != PL_TASK_SUPER_RESOLUTION) {
    memcpy(y, x, pl_operator_x_len(op) * sizeof(float));
    return TRUE;
  }
  int h, w;
  pl_operator_y_shape(op, NULL, &h, &w);
  const int f = pl_operator_params(op)->sr_factor;
  memset(y, 0, pl_operator_y_len(op) * sizeof(float));
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        y[((size_t)c * h + i / f) * w + j / f] += x[((size_t)c * n + i) * n + j];
  return TRUE;
}

/* x = M y for the chosen M */
static gboolean apply_m(PlOperator *op, PlGlueTranspose mode, const float *y, float *x,
                        GError **error)
{
  return mode == PL_GLUE_ADJOINT ? pl_operator_adjoint(op, y, x, error)
                                 : pl_operator_transpose_official(op, y, x, error);
}

/* y = M^T x */
static gboolean apply_mt(PlOperator *op, PlGlueTranspose mode, const float *x, float *y,
                         GError **error)
{
  if (mode == PL_GLUE_ADJOINT) {
    pl_operator_forward(op, x, y);
    return TRUE;
  }
  return pl_operator_transpose_official_adjoint(op, x, y, error);
}

gboolean pl_operator_glue_with(PlOperator *op, PlGlueTranspose mode, const float *y,
                               const float *x, float *out, GError **error)
{
  if (!need_linear(op, error))
    return FALSE;
  /* M y + (I - M A) x = x + M (y - A x), as the code's sum of the two parts */
  const size_t ylen = pl_operator_y_len(op), xlen = pl_operator_x_len(op);
  float *r = g_new(float, ylen), *mr = g_new(float, xlen);
  pl_operator_forward(op, x, r);
  for (size_t i = 0; i < ylen; i++)
    r[i] = y[i] - r[i];
  gboolean ok = apply_m(op, mode, r, mr, error);
  if (ok)
    for (size_t i = 0; i < xlen; i++)
      out[i] = x[i] + mr[i];
  g_free(r);
  g_free(mr);
  return ok;
}

gboolean pl_operator_glue_vjp(PlOperator *op, PlGlueTranspose mode, const float *g, float *out,
                              GError **error)
{
  if (!need_linear(op, error))
    return FALSE;
  /* d glue / dx = I - M A, so the cotangent is (I - M A)^T g = g - A^T (M^T g) */
  const size_t ylen = pl_operator_y_len(op), xlen = pl_operator_x_len(op);
  float *u = g_new(float, ylen), *v = g_new(float, xlen);
  gboolean ok = apply_mt(op, mode, g, u, error) && pl_operator_adjoint(op, u, v, error);
  if (ok)
    for (size_t i = 0; i < xlen; i++)
      out[i] = g[i] - v[i];
  g_free(u);
  g_free(v);
  return ok;
}
