/* Small engine internals used across its files. Not installed. */
#pragma once
#include <glib.h>
#include "pl_run.h"

G_BEGIN_DECLS

static inline double pl_ms_since(gint64 t0_us) { return (double)(g_get_monotonic_time() - t0_us) / 1000.0; }

gboolean pl_run_params_validate(const PlRunParams *p, int T, GError **error);

PlStepReport *pl_step_report_new(int batch, int channels, int kmax);
PlStepReport *pl_step_report_copy_no_images(const PlStepReport *r);
void pl_step_report_drop_images(PlStepReport *r);

/* Images for reports and results. */
PlImage *pl_x_to_unit_image(const float *x, int n);      /* 3 x n x n model range -> [0,1] copy */
PlImage *pl_latent_to_image(const float *z, int C, int H, int W);

G_END_DECLS
