/* PlLpipsMetric: the LPIPS distance, when an LPIPS network bundle is loaded
 * (models/export_lpips.py writes one from the user's weight files; none ships with the
 * app). Without one there is no LPIPS number and the views say so.
 *
 * The network handle is used from one thread at a time (a mutex); loading and distances
 * run in GTask threads. Signal "changed": a network was loaded (or failed: "failed"). */
#pragma once
#include <gio/gio.h>
#include "pl_image.h"

G_BEGIN_DECLS

#define PL_TYPE_LPIPS_METRIC (pl_lpips_metric_get_type())
G_DECLARE_FINAL_TYPE(PlLpipsMetric, pl_lpips_metric, PL, LPIPS_METRIC, GObject)

PlLpipsMetric *pl_lpips_metric_new(void);
void pl_lpips_metric_load(PlLpipsMetric *self, const char *bundle_dir);
gboolean pl_lpips_metric_is_loaded(PlLpipsMetric *self);
gboolean pl_lpips_metric_is_loading(PlLpipsMetric *self);
const char *pl_lpips_metric_get_name(PlLpipsMetric *self);   /* "alex", "vgg" or NULL */

/* Distance between two [0,1] images of the same size (copied). */
void pl_lpips_metric_distance_async(PlLpipsMetric *self, const PlImage *a, const PlImage *b,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
/* NaN with error when no network is loaded or the network failed. */
double pl_lpips_metric_distance_finish(PlLpipsMetric *self, GAsyncResult *result, GError **error);

G_END_DECLS
