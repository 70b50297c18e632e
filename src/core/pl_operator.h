/* Forward operators A of the inverse problems, with exact adjoints (linear ones) and the
 * exact gradient of the data term (all, phase retrieval included).
 *
 * Images x are 3 x n x n in the model range [-1,1] (as in the public PSLD/ReSample code);
 * phase retrieval maps x to [0,1] before the FFT, as the reference code does.
 * An operator owns scratch buffers (and FFTW plans, made once at creation), so one
 * operator must not be used from two threads at once; make one per thread.
 */
#pragma once
#include <glib.h>
#include <stddef.h>
#include "pl_image.h"

G_BEGIN_DECLS

#define PL_OPERATOR_ERROR (pl_operator_error_quark())
GQuark pl_operator_error_quark(void);
typedef enum {
  PL_OPERATOR_ERROR_INVALID,     /* parameters out of range */
  PL_OPERATOR_ERROR_NOT_LINEAR,  /* adjoint / gluing asked of phase retrieval */
} PlOperatorError;

typedef enum {
  PL_TASK_INPAINT_BOX,
  PL_TASK_INPAINT_RANDOM,
  PL_TASK_INPAINT_MASK,       /* user-drawn mask */
  PL_TASK_GAUSSIAN_BLUR,
  PL_TASK_MOTION_BLUR,
  PL_TASK_SUPER_RESOLUTION,
  PL_TASK_PHASE_RETRIEVAL,
  PL_TASK_COUNT
} PlTask;

const char *pl_task_name(PlTask task);          /* stable id: "box", "random", "mask", "gblur", "mblur", "sr4", "phase" */
const char *pl_task_label(PlTask task);         /* human label: "Box inpainting", ... */
gboolean pl_task_from_name(const char *name, PlTask *out);

typedef enum { PL_NORM_L2, PL_NORM_L2_SQUARED } PlNorm;  /* ||r|| (public code) or ||r||^2 (paper) */
const char *pl_norm_name(PlNorm norm);                  /* "l2", "l2sq" */
gboolean pl_norm_from_name(const char *name, PlNorm *out);

/* The units noise_sigma is given in. The public PSLD/ReSample code adds its sigma to
 * images in [-1,1] (MODEL); the paper states sigma_y for images in [0,1] (UNIT), which
 * is twice that std in [-1,1]. docs/FIDELITY.md, item 7. */
typedef enum { PL_NOISE_UNITS_MODEL, PL_NOISE_UNITS_UNIT } PlNoiseUnits;
const char *pl_noise_units_name(PlNoiseUnits u);         /* "model", "unit" */
gboolean pl_noise_units_from_name(const char *name, PlNoiseUnits *out);

typedef struct {
  PlTask task;
  int size;                 /* image side n (images are 3 x n x n) */
  /* box inpainting: box side (box_h x box_w), placement; box_y/box_x < 0 = random
   * placement (seeded) at least `margin` pixels from every edge */
  int box_h, box_w, box_y, box_x, margin;
  double missing_fraction;  /* random inpainting: share of pixels removed (per pixel, all channels) */
  const float *mask;        /* PL_TASK_INPAINT_MASK: n*n values, 1 = observed, 0 = missing; copied */
  int kernel_size;          /* blur kernels: side (odd) */
  double blur_sigma;        /* Gaussian blur sigma in pixels */
  double motion_intensity;  /* motion blur: the `motionblur` package's intensity in [0,1] */
  int sr_factor;            /* super-resolution factor (4) */
  int pr_pad;               /* phase retrieval zero padding on each side (n/4: oversampling 2) */
  double noise_sigma;       /* measurement noise std, in noise_units */
  PlNoiseUnits noise_units; /* MODEL ([-1,1], public code; default) or UNIT ([0,1], paper) */
  guint64 seed;             /* box placement, random mask, motion kernel, noise */
} PlOperatorParams;

/* The paper's settings for `task` at 256x256, scaled to `size`: box 128 (n/2) with margin
 * 16 (n/16), 70% missing, Gaussian 61x61 sigma 3.0, motion 61x61 intensity 0.5 (kernel
 * side and sigma scale with n/256, kept odd, at least 3), SR x4, pad n/4, sigma_y 0.01. */
void pl_operator_params_init(PlOperatorParams *p, PlTask task, int size);

typedef struct PlOperator PlOperator;

PlOperator *pl_operator_new(const PlOperatorParams *p, GError **error);
void pl_operator_free(PlOperator *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlOperator, pl_operator_free)

/* The parameters in use: box_y/box_x hold the resolved placement, mask (mask task only)
 * points at the operator's own 0/1 copy while op lives, so a copy recreates the operator. */
const PlOperatorParams *pl_operator_params(const PlOperator *op);
PlTask pl_operator_task(const PlOperator *op);
gboolean pl_operator_is_linear(const PlOperator *op);
int pl_operator_size(const PlOperator *op);            /* n */
size_t pl_operator_x_len(const PlOperator *op);        /* 3*n*n */
void pl_operator_y_shape(const PlOperator *op, int *c, int *h, int *w);
size_t pl_operator_y_len(const PlOperator *op);

/* Observation mask (n*n, 1 observed) for inpainting tasks, else NULL. */
const float *pl_operator_mask(const PlOperator *op);
/* Blur kernel (kernel_size^2, sums to 1) for blur tasks, else NULL. */
const float *pl_operator_kernel(const PlOperator *op, int *side);

/* y = A(x) (no noise) */
void pl_operator_forward(PlOperator *op, const float *x, float *y);
/* x = A^T y. Linear operators only (returns FALSE and sets error for phase retrieval). */
gboolean pl_operator_adjoint(PlOperator *op, const float *y, float *x, GError **error);
/* The measurement noise std in model units ([-1,1]): noise_sigma, doubled for UNIT. */
double pl_operator_noise_std(const PlOperator *op);
/* y = A(x) + std * N(0, I) (std = pl_operator_noise_std), noise from `seed` (deterministic). */
void pl_operator_measure(PlOperator *op, const float *x, guint64 seed, float *y);

/* Data term f(x) = ||A(x) - y|| (PL_NORM_L2) or ||A(x) - y||^2 (PL_NORM_L2_SQUARED);
 * returns f and, when grad != NULL, writes df/dx (3*n*n). Also returns the plain residual
 * norm ||A(x) - y|| in *residual when non-NULL. At r = 0 the L2 gradient is taken as 0. */
double pl_operator_data_term(PlOperator *op, const float *x, const float *y, PlNorm norm,
                             float *grad, double *residual);

/* PSLD's gluing target A^T y + (I - A^T A) x (linear operators only). */
gboolean pl_operator_glue(PlOperator *op, const float *y, const float *x, float *out,
                          GError **error);

/* PSLD's gluing as the official code builds it (pl_glue.c). Its "A^T" is the
 * operator's `transpose` method, T, which is not the adjoint: nearest-neighbour
 * upsampling for SR (each low-resolution pixel copied into its f x f block), the identity
 * for the blurs and for inpainting (y has the image's shape there). */
typedef enum { PL_GLUE_OFFICIAL, PL_GLUE_ADJOINT } PlGlueTranspose;
const char *pl_glue_transpose_name(PlGlueTranspose g);   /* "official", "adjoint" */
gboolean pl_glue_transpose_from_name(const char *name, PlGlueTranspose *out);
/* x = T y (y_len in, x_len out); linear operators only. */
gboolean pl_operator_transpose_official(PlOperator *op, const float *y, float *x, GError **error);
/* y = T^T x, the exact adjoint of T (SR: sum over each f x f block). */
gboolean pl_operator_transpose_official_adjoint(PlOperator *op, const float *x, float *y,
                                                GError **error);
/* out = M y + (I - M A) x with M = T (OFFICIAL) or A^T (ADJOINT). */
gboolean pl_operator_glue_with(PlOperator *op, PlGlueTranspose mode, const float *y,
                               const float *x, float *out, GError **error);
/* The cotangent of x through the gluing map: out = (I - M A)^T g = g - A^T M^T g.
 * For M = A^T this is the symmetric (I - A^T A) g; for M = T it is not symmetric.
 * g and out may be the same buffer. */
gboolean pl_operator_glue_vjp(PlOperator *op, PlGlueTranspose mode, const float *g, float *out,
                              GError **error);

/* A picture of y for display, 3 x n x n in [0,1]: masked image with missing pixels grey,
 * blurred image, SR upsampled with nearest neighbour, phase retrieval as centred
 * log-magnitude cropped to n x n. */
PlImage *pl_operator_measurement_preview(PlOperator *op, const float *y);

/* Kernels (exposed for tests and the app): out has side*side floats summing to 1. */
void pl_gaussian_kernel(int side, double sigma, float *out);
/* Motion blur kernel, side x side, seeded: the public `motionblur` package's algorithm
 * (its intensity in [0,1]; the tasks use 0.5), see pl_motionblur.c. */
void pl_motion_kernel(int side, double intensity, guint64 seed, float *out);
/* The same, also telling what the path was (for tests against the reference algorithm). */
typedef struct {
  int steps;             /* path segments drawn from the step-length law */
  double path_length;    /* their total length, canvas pixels (the canvas is 2 side wide) */
  int drawn_pixels;      /* canvas pixels the polyline set before the blur */
} PlMotionPathInfo;
void pl_motion_kernel_traced(int side, double intensity, guint64 seed, float *out,
                             PlMotionPathInfo *info);

G_END_DECLS
