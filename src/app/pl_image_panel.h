/* PlImagePanel: the input (ground truth) image: open a file, pick a bundled sample, choose
 * how it is fitted to the model's square size. Decoding and resizing run in a thread.
 *
 * Signals: "image-changed" (a new fitted image is ready), "load-failed" (message),
 * "settings-found" (JSON of run parameters found in an exported PNG's text chunks).
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_image.h"

G_BEGIN_DECLS

#define PL_TYPE_IMAGE_PANEL (pl_image_panel_get_type())
G_DECLARE_FINAL_TYPE(PlImagePanel, pl_image_panel, PL, IMAGE_PANEL, GtkBox)

void pl_image_panel_set_model_size(PlImagePanel *self, int size);
void pl_image_panel_load_file(PlImagePanel *self, GFile *file);
/* Load a bundled sample by file name (e.g. "twitter-1f469.png") or full path. */
gboolean pl_image_panel_load_sample(PlImagePanel *self, const char *name);
/* The image fitted to the model size, [0,1], or NULL. */
const PlImage *pl_image_panel_get_image(PlImagePanel *self);
const char *pl_image_panel_get_path(PlImagePanel *self);
gboolean pl_image_panel_is_loading(PlImagePanel *self);

G_END_DECLS
