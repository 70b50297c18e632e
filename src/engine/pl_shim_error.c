#include "pl_shim_error.h"
#include "pl_model.h"

gboolean pl_shim_check(PlShimStatus st, GError **error, const char *what_format, ...) {
  if (st == PLSHIM_OK)
    return TRUE;
  va_list ap;
  va_start(ap, what_format);
  char *what = g_strdup_vprintf(what_format, ap);
  va_end(ap);
  if (st == PLSHIM_ERR_NONFINITE)
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_DIVERGED, "%s produced NaN/Inf: %s",
                what, plshim_last_error());
  else
    g_set_error(error, PL_ENGINE_ERROR,
                st == PLSHIM_ERR_INVALID_ARGUMENT ? PL_ENGINE_ERROR_INVALID : PL_ENGINE_ERROR_MODEL,
                "%s failed: %s: %s", what, plshim_status_name(st), plshim_last_error());
  g_free(what);
  return FALSE;
}

gboolean pl_shim_check_load(PlShimStatus st, GError **error, const char *hint,
                            const char *what_format, ...) {
  if (st == PLSHIM_OK)
    return TRUE;
  va_list ap;
  va_start(ap, what_format);
  char *what = g_strdup_vprintf(what_format, ap);
  va_end(ap);
  g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_MODEL, "%s: %s: %s%s", what,
              plshim_status_name(st), plshim_last_error(), hint ? hint : "");
  g_free(what);
  return FALSE;
}
