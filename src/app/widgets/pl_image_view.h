/* PlImageView: shows one PlImage (or two, in before/after compare mode) with its aspect
 * ratio kept, optional nearest-neighbour upscaling (the model images are 64x64) and an
 * optional caption. Hovering shows the pixel position and value.
 *
 * Images are copied into the widget. Converting a PlImage to RGBA8 costs little at 64x64,
 * but pl_image_view_set_rgba8() lets a caller convert off the main thread
 * (pl_image_to_rgba8) and hand over finished bytes. All setters: main thread only.
 *
 * Compare mode ("compare" TRUE and a second image set): the first image is drawn left of
 * the split line, the second right of it; the line is dragged with the pointer or set
 * through "split" (0..1 of the image width).
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_image.h"

G_BEGIN_DECLS

#define PL_TYPE_IMAGE_VIEW (pl_image_view_get_type())
G_DECLARE_FINAL_TYPE(PlImageView, pl_image_view, PL, IMAGE_VIEW, GtkWidget)

GtkWidget *pl_image_view_new(void);

/* The main ("before") image; NULL clears. Copied. */
void pl_image_view_set_image(PlImageView *view, const PlImage *img);
/* Same, from ready RGBA8 bytes (height rows of stride bytes, alpha used); NULL clears. */
void pl_image_view_set_rgba8(PlImageView *view, const guint8 *rgba, int width, int height,
                             int stride);
/* The second ("after") image for compare mode; NULL clears. Copied. */
void pl_image_view_set_compare_image(PlImageView *view, const PlImage *img);
void pl_image_view_set_compare_rgba8(PlImageView *view, const guint8 *rgba, int width,
                                     int height, int stride);
gboolean pl_image_view_has_image(PlImageView *view);

/* Properties (each also a GObject property of the same name):
 *   "caption"        string, drawn below the image (or over it, see "caption-overlay")
 *   "caption-overlay" boolean, draw the caption on a band over the image's bottom edge
 *   "nearest"        boolean (TRUE), nearest-neighbour scaling; FALSE = bilinear
 *   "compare"        boolean, before/after mode (needs a compare image)
 *   "split"          double 0..1 (0.5), position of the compare split line
 *   "before-label" / "after-label"  strings drawn in the top corners in compare mode
 *                    (NULL = "before" / "after", "" = none)
 *   "font-scale"     double (1.0), multiplies the widget's font size (presentation mode)
 */
void pl_image_view_set_caption(PlImageView *view, const char *caption);
const char *pl_image_view_get_caption(PlImageView *view);
void pl_image_view_set_caption_overlay(PlImageView *view, gboolean overlay);
void pl_image_view_set_nearest(PlImageView *view, gboolean nearest);
gboolean pl_image_view_get_nearest(PlImageView *view);
void pl_image_view_set_compare(PlImageView *view, gboolean compare);
gboolean pl_image_view_get_compare(PlImageView *view);
void pl_image_view_set_split(PlImageView *view, double split);
double pl_image_view_get_split(PlImageView *view);
void pl_image_view_set_compare_labels(PlImageView *view, const char *before, const char *after);
void pl_image_view_set_font_scale(PlImageView *view, double scale);

/* Where the image lies inside a widget of the given size (letterboxed), in widget
 * coordinates; FALSE when there is no image. Exposed for tests and overlays. */
gboolean pl_image_view_get_image_rect(PlImageView *view, int width, int height,
                                      graphene_rect_t *out);

G_END_DECLS
