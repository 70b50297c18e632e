/* Figure export (not a widget): a grid of labelled panels, e.g.
 *   ground truth | measurement | PSLD | PLoRG-PSLD
 * each a PlImage upscaled nearest-neighbour to the panel size, with a title above and a
 * metrics line below ("PSNR 24.3 dB  SSIM 0.81"), an optional super-title and a parameter
 * footnote. Panels may also be drawings (e.g. pl_series_plot_draw), so the same plotting
 * code renders into an exported figure.
 *
 * Written through Cairo as PNG, SVG or PDF. PNGs go through the core's pl_image_save_png:
 * written atomically (temporary file + rename) and carrying the given key/value text
 * chunks, so exported PNGs carry the run parameters. SVG/PDF are written atomically too
 * (g_file_set_contents). Cairo draws their text as glyph outlines / subset fonts, so the
 * words are also stored as data: SVG gets <title> (super-title), <desc> (panel labels,
 * metrics, footnote) and <metadata> ("key=value" lines); PDF gets Title, Subject (the
 * same description) and Keywords ("key=value; ...") in its document information. Small
 * images are embedded pre-enlarged (whole-pixel replication) because SVG viewers ignore
 * Cairo's nearest filter.
 *
 * Intermediates: pl_figure_save_strip() writes a row of x0_hat images with step labels in
 * the same three formats. For an animated preview there is no GIF (or APNG/WebP) encoder
 * among the project's dependencies, so pl_figure_save_sequence() writes a numbered PNG
 * sequence (prefix-0000.png, ...) instead, which e.g. `ffmpeg -i prefix-%04d.png` turns
 * into a video or GIF.
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_image.h"

G_BEGIN_DECLS

typedef enum {
  PL_FIGURE_FORMAT_AUTO,   /* from the file name's extension; PNG when unknown */
  PL_FIGURE_FORMAT_PNG,
  PL_FIGURE_FORMAT_SVG,
  PL_FIGURE_FORMAT_PDF,
} PlFigureFormat;

/* ".png" / ".svg" / ".pdf" (case-insensitive) or PL_FIGURE_FORMAT_AUTO. */
PlFigureFormat pl_figure_format_from_path(const char *path);
const char *pl_figure_format_extension(PlFigureFormat fmt);  /* "png", "svg", "pdf" */

typedef struct PlFigure PlFigure;

/* Draws a panel's content into (0, 0, width, height) of cr. */
typedef void (*PlFigureDrawFunc)(cairo_t *cr, int width, int height, gpointer user_data);

PlFigure *pl_figure_new(const char *title);   /* title: super-title, may be NULL */
void pl_figure_free(PlFigure *fig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlFigure, pl_figure_free)

/* Image panel (copied, [0,1]); label and metrics may be NULL. */
void pl_figure_add_panel(PlFigure *fig, const PlImage *img, const char *label,
                         const char *metrics);
/* Drawing panel, width_factor panels wide (1 = square); destroy called on free. */
void pl_figure_add_drawing(PlFigure *fig, PlFigureDrawFunc draw, gpointer user_data,
                           GDestroyNotify destroy, double width_factor, const char *label,
                           const char *metrics);
/* Drawing panel showing a PlSeriesPlot or PlSpectrumPlot (referenced; drawn with its
 * pl_*_draw() at the time of saving, so save such a figure on the main thread; for a
 * worker, record the plot into a cairo recording surface and use pl_figure_add_drawing). */
void pl_figure_add_plot(PlFigure *fig, GtkWidget *plot, double width_factor, const char *label,
                        const char *metrics);
int pl_figure_get_n_panels(const PlFigure *fig);
void pl_figure_set_footnote(PlFigure *fig, const char *footnote);
/* Image side in figure units (pixels in PNG, points in SVG/PDF); default 256. */
void pl_figure_set_panel_size(PlFigure *fig, int size);
/* Panels per row; 0 (default) = all in one row. */
void pl_figure_set_columns(PlFigure *fig, int columns);
void pl_figure_set_font_scale(PlFigure *fig, double scale);   /* 1.0 */

/* Size of the whole figure in figure units, and drawing it (white background) into any
 * cairo context, e.g. for a preview in the export dialog. */
void pl_figure_get_size(const PlFigure *fig, int *width, int *height);
void pl_figure_draw(const PlFigure *fig, cairo_t *cr);

/* keys/values: NULL-terminated, may be NULL. Safe on a worker thread (Cairo and Pango
 * only) unless the figure holds pl_figure_add_plot panels. */
gboolean pl_figure_save(const PlFigure *fig, const char *path, PlFigureFormat fmt,
                        const char *const *keys, const char *const *values, GError **error);

/* Row of n intermediates with "step N" labels (steps may be NULL: no labels). */
gboolean pl_figure_save_strip(const PlImage *const *images, const int *steps, int n,
                              const char *title, int panel_size, const char *path,
                              PlFigureFormat fmt, const char *const *keys,
                              const char *const *values, GError **error);

/* Numbered PNG frames dir/prefix-0000.png ... (n files), each image upscaled to size x
 * size with its step label drawn in a corner (steps may be NULL) and a "step" text chunk
 * besides keys/values. Returns FALSE at the first failing frame. */
gboolean pl_figure_save_sequence(const PlImage *const *images, const int *steps, int n,
                                 const char *dir, const char *prefix, int size,
                                 const char *const *keys, const char *const *values,
                                 GError **error);

G_END_DECLS
