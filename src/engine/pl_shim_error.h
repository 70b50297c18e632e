/* The one map from a shim status to an engine GError, used by every engine file that
 * calls the shim. */
#pragma once
#include <glib.h>
#include "plorg_shim.h"

G_BEGIN_DECLS

/* A model call during a run. TRUE for PLSHIM_OK; otherwise sets error, FALSE:
 *   NONFINITE         -> PL_ENGINE_ERROR_DIVERGED  "<what> produced NaN/Inf: <detail>"
 *   INVALID_ARGUMENT  -> PL_ENGINE_ERROR_INVALID   "<what> failed: <status>: <detail>"
 *   anything else     -> PL_ENGINE_ERROR_MODEL     "<what> failed: <status>: <detail>"
 * <what> is printf-formatted ("the UNet"); <detail> is the shim's last error. */
gboolean pl_shim_check(PlShimStatus st, GError **error, const char *what_format, ...)
    G_GNUC_PRINTF(3, 4);

/* Loading a bundle: any failure is PL_ENGINE_ERROR_MODEL (NaN weights are a bad bundle,
 * not a diverged run), "<what>: <status>: <detail><hint>"; hint may be "". */
gboolean pl_shim_check_load(PlShimStatus st, GError **error, const char *hint,
                            const char *what_format, ...) G_GNUC_PRINTF(4, 5);

G_END_DECLS
