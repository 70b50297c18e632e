/* Build-time paths with environment overrides. */
#include "pl_paths.h"
#include "pl_app_config.h"
#include "pl_model.h"

const char *pl_paths_data_dir(void) {
  const char *env = g_getenv("PLORG_DATA_DIR");
  return env && *env ? env : PLORG_DATA_DIR;
}

static int cmp_str(gconstpointer a, gconstpointer b) {
  return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

GPtrArray *pl_paths_sample_images(void) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *dir = g_build_filename(pl_paths_data_dir(), "images", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_suffix(name, ".png") || g_str_has_suffix(name, ".jpg"))
      g_ptr_array_add(out, g_build_filename(dir, name, NULL));
  g_ptr_array_sort(out, cmp_str);
  return out;
}

const char *pl_paths_model_dir(void) {
  const char *env = g_getenv("PLORG_MODEL_DIR");
  return env && *env ? env : pl_model_default_dir();
}
