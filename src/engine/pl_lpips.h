/* LPIPS for the engine's callers (CLI, app): load an LPIPS bundle (models/export_lpips.py)
 * with GError messages, and the distance between two [0,1] images. LPIPS needs a network;
 * none ships with PLoRG Studio, so callers say "not computed" when none is loaded instead of
 * printing a number. A PlLpips handle (shim/plorg_lpips.h) is used from one thread at a time. */
#pragma once
#include <glib.h>
#include "plorg_lpips.h"
#include "pl_image.h"
#include "pl_model.h"

G_BEGIN_DECLS

/* The LPIPS bundle folder from the environment: $PLORG_LPIPS_DIR, or NULL when unset/empty. */
const char *pl_lpips_default_dir(void);

/* Load bundle_dir with the device and threads of params (NULL: defaults). Fails with
 * PL_ENGINE_ERROR_MODEL and a message naming the folder and what is wrong with it. */
PlLpips *pl_lpips_load(const char *bundle_dir, const PlModelParams *params, GError **error);

/* The smallest image side the network accepts is checked here, so a caller can refuse a
 * model whose images are too small before any work is done. */
gboolean pl_lpips_check_size(PlLpips *net, int image_size, GError **error);

/* LPIPS(a, b) of two 3-channel [0,1] images of one size (not modified). NaN with
 * PL_ENGINE_ERROR_INVALID (shapes) or _MODEL (the network failed) on error. */
double pl_lpips_distance(PlLpips *net, const PlImage *a, const PlImage *b, GError **error);

/* One line for users when no network is loaded: LPIPS not computed, and how to load one. */
const char *pl_lpips_missing_note(void);

G_END_DECLS
