/* What both parity programs need to hand a case to a Python replica. */
#pragma once
#include "pl_image.h"
#include <glib.h>

/* A smooth test image in [0,1] (3 x n x n): parity needs no natural image. */
PlImage *parity_smooth_image(int n);

/* dir/name := n float32 values, native byte order (the replicas read them with numpy). */
gboolean parity_write_floats(const char *dir, const char *name, const float *v, size_t n,
                             GError **error);
