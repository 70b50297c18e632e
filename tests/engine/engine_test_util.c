/* Engine test helpers (see engine_test_util.h). */
#include "engine_test_util.h"
#include <math.h>
#include <string.h>

static PlModel *model = NULL;
static GPtrArray *paths = NULL;

PlModel *etu_model(void) {
  if (!model) {
    const char *dir = g_getenv("PLORG_MODEL_DIR");
    g_assert_nonnull(dir);
    GError *e = NULL;
    PlModelParams mp;
    pl_model_params_init(&mp);
    mp.device = PLSHIM_DEVICE_CPU;
    model = pl_model_load(dir, &mp, &e);
    g_assert_no_error(e);
  }
  return model;
}

static int cmp(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_paths(void) {
  if (paths)
    return;
  const char *data = g_getenv("PLORG_DATA_DIR");
  g_assert_nonnull(data);
  char *dir = g_build_filename(data, "images", NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  paths = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)))
    if (g_str_has_suffix(name, ".png"))
      g_ptr_array_add(paths, g_build_filename(dir, name, NULL));
  g_dir_close(d);
  g_free(dir);
  g_ptr_array_sort(paths, cmp);
}

const char *etu_image_path(int i) {
  list_paths();
  g_assert_cmpint(i, <, (int)paths->len);
  return g_ptr_array_index(paths, i);
}

GPtrArray *etu_images(int n) {
  list_paths();
  int size = pl_model_image_size(etu_model());
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)pl_image_free);
  for (int i = 0; i < n && i < (int)paths->len; i++) {
    GError *e = NULL;
    PlImage *img = pl_image_load(g_ptr_array_index(paths, i), &e);
    g_assert_no_error(e);
    g_ptr_array_add(out, pl_image_fit_square(img, size, PL_FIT_CENTER_CROP));
    pl_image_free(img);
  }
  return out;
}

PlRun *etu_new_run(const PlImage *clean, PlTask task, const PlRunParams *p, guint64 op_seed) {
  PlRunInputs in = {0};
  pl_operator_params_init(&in.op, task, pl_model_image_size(etu_model()));
  in.op.seed = op_seed;
  in.clean = clean;
  GError *e = NULL;
  PlRun *run = pl_run_new(etu_model(), &in, p, &e);
  g_assert_no_error(e);
  return run;
}

PlRunState etu_execute(PlRun *run) {
  GError *e = NULL;
  pl_run_execute(run, &e);
  g_clear_error(&e);
  return pl_run_state(run);
}

void etu_quick_params(PlRunParams *p, PlSolver solver, int steps) {
  pl_run_params_init(p, solver);
  p->steps = steps;
  p->resample.pixel_max_iters = 100;
  p->resample.latent_max_iters = 30;
}

double etu_max_abs_diff(const float *a, const float *b, size_t n) {
  double m = 0.0;
  for (size_t k = 0; k < n; k++)
    m = fmax(m, fabs((double)a[k] - b[k]));
  return m;
}

size_t etu_latent_len(void) {
  int c, h, w;
  pl_model_latent_shape(etu_model(), &c, &h, &w);
  return (size_t)c * h * w;
}
