/* Helpers shared by the engine tests: the bundled model, held-out images, runs. */
#pragma once
#include <glib.h>
#include "pl_run.h"
#include "pl_run_record.h"

/* The model from $PLORG_MODEL_DIR (loaded once per test program). */
PlModel *etu_model(void);
/* The first n held-out images ($PLORG_DATA_DIR/images, sorted), fitted to the model size. */
GPtrArray *etu_images(int n);                  /* of PlImage*, free with g_ptr_array_unref */
const char *etu_image_path(int i);             /* path of the i-th image */
PlRun *etu_new_run(const PlImage *clean, PlTask task, const PlRunParams *p, guint64 op_seed);
/* Run to the end on this thread; returns the final state. */
PlRunState etu_execute(PlRun *run);
/* Params for quick tests: few steps, small ReSample optimiser budgets. */
void etu_quick_params(PlRunParams *p, PlSolver solver, int steps);
/* Max |a - b| over n floats. */
double etu_max_abs_diff(const float *a, const float *b, size_t n);
size_t etu_latent_len(void);
