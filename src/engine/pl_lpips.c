/* LPIPS helpers shared by the CLI and the app (one loader, one distance, one message). */
#include "pl_lpips.h"
#include "pl_shim_error.h"
#include <math.h>

const char *pl_lpips_default_dir(void) {
  const char *env = g_getenv("PLORG_LPIPS_DIR");
  return env && *env ? env : NULL;
}

PlLpips *pl_lpips_load(const char *bundle_dir, const PlModelParams *params, GError **error) {
  g_return_val_if_fail(bundle_dir != NULL, NULL);
  PlShimLoadParams lp;
  plshim_load_params_init(&lp);
  if (params) {
    lp.device = params->device;
    lp.deterministic = params->deterministic ? 1 : 0;
  }
  PlLpips *net = NULL;
  PlShimStatus st = pllpips_load(bundle_dir, &lp, &net);
  if (!pl_shim_check_load(st, error, " (make one with models/export_lpips.py)",
                          "cannot load the LPIPS network %s", bundle_dir))
    return NULL;
  return net;
}

gboolean pl_lpips_check_size(PlLpips *net, int image_size, GError **error) {
  int min = pllpips_min_image_size(net);
  if (image_size >= min)
    return TRUE;
  g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
              "LPIPS (%s) needs images of at least %d px; these are %d px", pllpips_net(net), min,
              image_size);
  return FALSE;
}

double pl_lpips_distance(PlLpips *net, const PlImage *a, const PlImage *b, GError **error) {
  if (!net || a->c != 3 || b->c != 3 || a->h != b->h || a->w != b->w) {
    g_set_error_literal(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                        net ? "LPIPS needs two RGB images of one size" : "no LPIPS network is loaded");
    return NAN;
  }
  /* The network takes [-1,1] (the engine's model range); the callers' images stay [0,1]. */
  PlImage *x = pl_image_copy(a), *y = pl_image_copy(b);
  pl_image_to_model_range(x);
  pl_image_to_model_range(y);
  double d = NAN;
  PlShimStatus st = pllpips_distance(net, x->data, y->data, 1, x->h, x->w, &d);
  pl_image_free(x);
  pl_image_free(y);
  return pl_shim_check(st, error, "LPIPS") ? d : NAN;
}

const char *pl_lpips_missing_note(void) {
  return "LPIPS not computed: no LPIPS network is loaded (give --lpips DIR or set "
         "PLORG_LPIPS_DIR to a bundle from models/export_lpips.py; see "
         "models/README-real-models.md)";
}
