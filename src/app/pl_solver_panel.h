/* PlSolverPanel: solver, step size, steps, seed, device and preview cadence.
 *
 * Signals: "changed"; "live-changed" (name "omega"|"gamma", value) for the parameters a
 * running solver accepts; "preview-every-changed" (int); "device-changed".
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_run.h"

G_BEGIN_DECLS

#define PL_TYPE_SOLVER_PANEL (pl_solver_panel_get_type())
G_DECLARE_FINAL_TYPE(PlSolverPanel, pl_solver_panel, PL, SOLVER_PANEL, GtkBox)

/* Fills everything except the PLoRG fields (left as the solver's defaults). */
void pl_solver_panel_get_params(PlSolverPanel *self, PlRunParams *out);
void pl_solver_panel_set_params(PlSolverPanel *self, const PlRunParams *p);
PlSolver pl_solver_panel_get_solver(PlSolverPanel *self);
void pl_solver_panel_set_solver(PlSolverPanel *self, PlSolver solver);
/* Live value (used by the set-omega action and while running). */
void pl_solver_panel_set_omega(PlSolverPanel *self, double omega);
int pl_solver_panel_get_preview_every(PlSolverPanel *self);
PlShimDevice pl_solver_panel_get_device(PlSolverPanel *self);

G_END_DECLS
