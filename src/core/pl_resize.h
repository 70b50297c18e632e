/* MATLAB-style bicubic resizing (imresize with 'bicubic', antialiasing on shrink).
 * Implemented as separable sparse weight matrices so that the exact adjoint is the
 * transposed application: used by the 4x super-resolution operator. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef struct PlResize PlResize;  /* opaque: the row and column weight matrices */

/* Plan a resize of h x w planes to oh x ow. Boundary handling as MATLAB: indices mirrored. */
PlResize *pl_resize_new(int h, int w, int oh, int ow);
void pl_resize_free(PlResize *r);
/* out (oh*ow) = R in (h*w), one plane */
void pl_resize_apply(const PlResize *r, const float *in, float *out);
/* out (h*w) = R^T in (oh*ow), one plane: the exact adjoint of pl_resize_apply */
void pl_resize_apply_adjoint(const PlResize *r, const float *in, float *out);

/* MATLAB's cubic kernel (a = -0.5). */
double pl_cubic_kernel(double x);

G_END_DECLS
