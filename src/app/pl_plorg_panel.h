/* PlPlorgPanel: PLoRG on/off, tau, rank rule, projection side, every-F, ReSample's SVD placement.
 * Signals: "changed"; "live-changed" (name "tau"|"plorg", value) for live steering. */
#pragma once
#include <gtk/gtk.h>
#include "pl_run.h"

G_BEGIN_DECLS

#define PL_TYPE_PLORG_PANEL (pl_plorg_panel_get_type())
G_DECLARE_FINAL_TYPE(PlPlorgPanel, pl_plorg_panel, PL, PLORG_PANEL, GtkBox)

void pl_plorg_panel_get_params(PlPlorgPanel *self, PlPlorgParams *out);
void pl_plorg_panel_set_params(PlPlorgPanel *self, const PlPlorgParams *p);
void pl_plorg_panel_set_enabled(PlPlorgPanel *self, gboolean enabled);
gboolean pl_plorg_panel_get_enabled(PlPlorgPanel *self);
void pl_plorg_panel_set_tau(PlPlorgPanel *self, double tau);
double pl_plorg_panel_get_tau(PlPlorgPanel *self);

G_END_DECLS
