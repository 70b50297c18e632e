/* PlApplication: app-wide actions and accelerators, the loaded model (loaded in a
 * thread; the previous model stays in use until a new one has loaded), the presets.
 *
 * Actions: app.load-model (folder chooser), app.load-model-dir(s), app.load-lpips (folder
 * chooser), app.load-lpips-dir(s), app.about, app.quit.
 * Signals: "model-loading" (folder), "model-changed", "model-failed" (message).
 * Command line: [FILE] --model DIR --presentation --measure STEPS.
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_model.h"
#include "pl_presets.h"
#include "pl_lpips_metric.h"

G_BEGIN_DECLS

#define PL_TYPE_APPLICATION (pl_application_get_type())
G_DECLARE_FINAL_TYPE(PlApplication, pl_application, PL, APPLICATION, GtkApplication)

PlApplication *pl_application_new(GApplicationFlags extra_flags);

PlModel *pl_application_get_model(PlApplication *self);     /* borrowed, may be NULL */
gboolean pl_application_is_loading(PlApplication *self);
/* Message of the last failed load (NULL after a successful one). */
const char *pl_application_get_model_error(PlApplication *self);
void pl_application_load_model(PlApplication *self, const char *dir, PlShimDevice device);
PlShimDevice pl_application_get_device(PlApplication *self);
PlPresets *pl_application_get_presets(PlApplication *self);
/* LPIPS network ($PLORG_LPIPS_DIR at start, or app.load-lpips / app.load-lpips-dir(s)). */
PlLpipsMetric *pl_application_get_lpips(PlApplication *self);
/* Cancel and join every run of every window (shutdown). */
void pl_application_stop_runs(PlApplication *self);

G_END_DECLS
