/* PlPresetDialog: asks for a preset name. Signal "save" (name, compare). */
#pragma once
#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PL_TYPE_PRESET_DIALOG (pl_preset_dialog_get_type())
G_DECLARE_FINAL_TYPE(PlPresetDialog, pl_preset_dialog, PL, PRESET_DIALOG, GtkWindow)

PlPresetDialog *pl_preset_dialog_new(GtkWindow *parent, gboolean compare);

G_END_DECLS
