/* PlMaskCanvas: paint an inpainting mask over a base image.
 *
 * The mask is n x n floats, row-major: 1 = observed, 0 = missing. Painting marks pixels
 * missing; erase mode (or the secondary mouse button) marks them observed again. The
 * missing region is drawn as a translucent overlay over the base image.
 *
 * Coordinates of strokes are mask-grid coordinates: x, y in [0, n]; pixel (col i, row j)
 * covers [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5). A stroke is a polyline;
 * a pixel is touched when its centre lies within brush-size / 2 of the polyline (a single
 * point paints a disc). Mouse drags and pl_mask_canvas_stroke() share one code path.
 *
 * History is per action (one stroke, clear, invert, set_mask), bounded to
 * PL_MASK_CANVAS_HISTORY entries; undo/redo restore the previous masks exactly.
 * "mask-changed" is emitted once per action that changed the mask (at the end of a
 * stroke, not during it) and after undo/redo/set_size.
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_image.h"

G_BEGIN_DECLS

#define PL_MASK_CANVAS_HISTORY 64

#define PL_TYPE_MASK_CANVAS (pl_mask_canvas_get_type())
G_DECLARE_FINAL_TYPE(PlMaskCanvas, pl_mask_canvas, PL, MASK_CANVAS, GtkWidget)

GtkWidget *pl_mask_canvas_new(void);

/* Base image drawn under the mask (copied; NULL = checkerboard). Its size need not match
 * the mask size: it is stretched over the same square. */
void pl_mask_canvas_set_image(PlMaskCanvas *canvas, const PlImage *img);

/* Resize the mask to n x n (n >= 1), all observed; clears the history. Default 64. */
void pl_mask_canvas_set_size(PlMaskCanvas *canvas, int n);
int pl_mask_canvas_get_size(PlMaskCanvas *canvas);

/* n*n floats (1 observed, 0 missing); valid until the next change. */
const float *pl_mask_canvas_get_mask(PlMaskCanvas *canvas);
/* Replace the mask (n*n floats, values > 0.5 count as observed); undoable. */
void pl_mask_canvas_set_mask(PlMaskCanvas *canvas, const float *mask);
int pl_mask_canvas_count_missing(PlMaskCanvas *canvas);

void pl_mask_canvas_clear(PlMaskCanvas *canvas);   /* all observed; undoable */
void pl_mask_canvas_invert(PlMaskCanvas *canvas);  /* undoable */
gboolean pl_mask_canvas_undo(PlMaskCanvas *canvas);  /* FALSE if nothing to undo */
gboolean pl_mask_canvas_redo(PlMaskCanvas *canvas);
gboolean pl_mask_canvas_can_undo(PlMaskCanvas *canvas);  /* also properties "can-undo", */
gboolean pl_mask_canvas_can_redo(PlMaskCanvas *canvas);  /* "can-redo" (read-only, notify) */

/* One stroke through npoints (x, y) pairs (xy has 2*npoints doubles), in mask-grid
 * coordinates, with the current brush size and erase mode: exactly what a mouse drag
 * along the same points does. One history entry. */
void pl_mask_canvas_stroke(PlMaskCanvas *canvas, const double *xy, int npoints);

/* Properties: "brush-size" double (diameter in mask pixels, 0.5..n, default 6),
 * "erase" boolean, "font-scale" double (hover readout size). */
void pl_mask_canvas_set_brush_size(PlMaskCanvas *canvas, double size);
double pl_mask_canvas_get_brush_size(PlMaskCanvas *canvas);
void pl_mask_canvas_set_erase(PlMaskCanvas *canvas, gboolean erase);
gboolean pl_mask_canvas_get_erase(PlMaskCanvas *canvas);

G_END_DECLS
