/* PlWindow: the main window (ui/pl-window.ui): header bar with run controls, a sidebar
 * of settings panels, the single-run live view and the compare view.
 *
 * Window actions (win.*), all reachable from buttons, menus or shortcuts:
 *   run pause resume toggle-pause step cancel compare compare-add show-single show-compare
 *   branch scrub(i) open-image open-file(s) open-sample(s) apply-preset(s) save-preset(s)
 *   save-preset-dialog delete-preset(s) task(s, state) solver(s, state) plorg(b, state)
 *   set-tau(d) set-omega(d) export-figure export-view export-strip export-frames
 *   export-record and their "-to"(s) forms taking a path, presentation(b, state),
 *   dismiss-error.
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_application.h"
#include "pl_compare_view.h"
#include "pl_degradation_panel.h"
#include "pl_image_panel.h"
#include "pl_live_view.h"
#include "pl_plorg_panel.h"
#include "pl_solver_panel.h"
#include "pl_stall_meter.h"

G_BEGIN_DECLS

#define PL_TYPE_WINDOW (pl_window_get_type())
G_DECLARE_FINAL_TYPE(PlWindow, pl_window, PL, WINDOW, GtkApplicationWindow)

PlWindow *pl_window_new(PlApplication *app);

/* Errors are shown in a banner at the top of the window; the window stays usable. */
void pl_window_show_error(PlWindow *self, const char *message);
const char *pl_window_get_error(PlWindow *self);    /* NULL when none is shown */
void pl_window_dismiss_error(PlWindow *self);
/* A short status note in the header (model, device, last export). */
void pl_window_set_status(PlWindow *self, const char *text);

/* The sidebar's settings as run parameters and degradation (mask points into the canvas). */
void pl_window_get_settings(PlWindow *self, PlRunParams *rp, PlOperatorParams *op);
void pl_window_apply_settings(PlWindow *self, const PlRunParams *rp, const PlOperatorParams *op);
gboolean pl_window_apply_preset(PlWindow *self, const char *id);

/* Model, image and measurement ready, nothing loading: a run can start. */
gboolean pl_window_is_ready(PlWindow *self);
PlRunController *pl_window_get_run(PlWindow *self);    /* the single run shown, or NULL */
guint pl_window_get_pending_exports(PlWindow *self);
const char *pl_window_get_last_export(PlWindow *self);  /* path of the last finished export */

PlImagePanel *pl_window_get_image_panel(PlWindow *self);
PlDegradationPanel *pl_window_get_degradation_panel(PlWindow *self);
PlSolverPanel *pl_window_get_solver_panel(PlWindow *self);
PlPlorgPanel *pl_window_get_plorg_panel(PlWindow *self);
PlLiveView *pl_window_get_live_view(PlWindow *self);
PlCompareView *pl_window_get_compare_view(PlWindow *self);
PlStallMeter *pl_window_get_stall_meter(PlWindow *self);

/* --measure: once ready, run `steps` steps of PLoRG-PSLD with the stall meter on, print
 * the numbers and quit. */
void pl_window_measure(PlWindow *self, int steps);

G_END_DECLS
