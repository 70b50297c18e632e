/* Exports that write files: figures, a snapshot of a widget, a strip or frames of a run's
 * intermediates, the run record. Each starts from the main thread and does its file work
 * (and history decoding) in a GTask thread; finish with pl_export_finish().
 *
 * keys/values: NULL-terminated text pairs stored in PNGs (tEXt) and PDF metadata; the
 * app stores "plorg-params" (run parameters JSON) so that opening the PNG restores them.
 */
#pragma once
#include <gtk/gtk.h>
#include "pl_figure.h"
#include "pl_run.h"

G_BEGIN_DECLS

/* fig is taken over (freed when done). */
void pl_export_figure_async(PlFigure *fig, const char *path, const char *const *keys,
                            const char *const *values, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);

/* What `widget` shows now (snapshot on this thread), as PNG, SVG or PDF by extension. */
void pl_export_widget_async(GtkWidget *widget, const char *path, const char *const *keys,
                            const char *const *values, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);

/* Up to max_frames kept steps, evenly spaced, decoded in the thread: one strip figure
 * (PNG/SVG/PDF) or, with as_frames, a numbered PNG sequence in the folder `path`. */
void pl_export_intermediates_async(PlRun *run, int max_frames, gboolean as_frames,
                                   const char *path, const char *title,
                                   const char *const *keys, const char *const *values,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);

void pl_export_record_async(PlRun *run, const char *path, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);

/* The path written, or NULL with error. */
char *pl_export_finish(GAsyncResult *result, GError **error);

G_END_DECLS
