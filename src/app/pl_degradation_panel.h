/* PlDegradationPanel: the forward operator and its parameters, including the brush mask
 * editor for drawn inpainting masks. It also makes the measurement preview (off the main
 * thread, debounced) whenever the image or a parameter changes.
 *
 * Signals: "changed" (any parameter), "measurement-changed" (a new preview is ready),
 * "measurement-failed" (message).
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_operator.h"
#include "pl_mask_canvas.h"

G_BEGIN_DECLS

#define PL_TYPE_DEGRADATION_PANEL (pl_degradation_panel_get_type())
G_DECLARE_FINAL_TYPE(PlDegradationPanel, pl_degradation_panel, PL, DEGRADATION_PANEL, GtkBox)

void pl_degradation_panel_set_model_size(PlDegradationPanel *self, int size);
/* Ground truth in [0,1] at the model size (copied); NULL clears. */
void pl_degradation_panel_set_image(PlDegradationPanel *self, const PlImage *img);

PlTask pl_degradation_panel_get_task(PlDegradationPanel *self);
void pl_degradation_panel_set_task(PlDegradationPanel *self, PlTask task);
/* Current parameters; for the drawn mask, out->mask points into the canvas (valid until
 * the mask changes). */
void pl_degradation_panel_get_params(PlDegradationPanel *self, PlOperatorParams *out);
/* Show these parameters (the mask of a drawn-mask task is left as drawn). */
void pl_degradation_panel_set_params(PlDegradationPanel *self, const PlOperatorParams *op);

PlMaskCanvas *pl_degradation_panel_get_mask_canvas(PlDegradationPanel *self);
/* Latest measurement preview ([0,1]) or NULL; whether one is being computed. */
const PlImage *pl_degradation_panel_get_measurement(PlDegradationPanel *self);
gboolean pl_degradation_panel_is_busy(PlDegradationPanel *self);

G_END_DECLS
