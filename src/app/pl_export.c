/* Exports: main-thread snapshot where a widget is involved, file work in a thread. */
#include "pl_export.h"
#include "pl_run_record.h"
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <string.h>

typedef struct {
  char *path;
  char *title;
  GStrv keys, values;
  PlFigure *fig;
  PlRun *run;
  int max_frames;
  gboolean as_frames;
  PlImage *raster;     /* widget snapshot as an image (PNG) */
  GBytes *vector;      /* widget snapshot as SVG/PDF bytes */
} Job;

static void job_free(gpointer data) {
  Job *j = data;
  g_free(j->path);
  g_free(j->title);
  g_strfreev(j->keys);
  g_strfreev(j->values);
  if (j->fig)
    pl_figure_free(j->fig);
  if (j->run)
    pl_run_unref(j->run);
  pl_image_free(j->raster);
  if (j->vector)
    g_bytes_unref(j->vector);
  g_free(j);
}

static Job *job_new(const char *path, const char *const *keys, const char *const *values) {
  Job *j = g_new0(Job, 1);
  j->path = g_strdup(path);
  j->keys = g_strdupv((char **)keys);
  j->values = g_strdupv((char **)values);
  return j;
}

static void run_job(gpointer source, Job *j, GTaskThreadFunc func, GCancellable *c,
                    GAsyncReadyCallback cb, gpointer data) {
  GTask *task = g_task_new(source, c, cb, data);
  g_task_set_source_tag(task, pl_export_finish);
  g_task_set_task_data(task, j, job_free);
  g_task_run_in_thread(task, func);
  g_object_unref(task);
}

char *pl_export_finish(GAsyncResult *result, GError **error) {
  return g_task_propagate_pointer(G_TASK(result), error);
}

static void return_path(GTask *task, Job *j) {
  g_task_return_pointer(task, g_strdup(j->path), g_free);
}

/* --- figures --- */

static void figure_thread(GTask *task, gpointer s, gpointer data, GCancellable *c) {
  (void)s;
  (void)c;
  Job *j = data;
  GError *error = NULL;
  if (!pl_figure_save(j->fig, j->path, PL_FIGURE_FORMAT_AUTO, (const char *const *)j->keys,
                      (const char *const *)j->values, &error))
    g_task_return_error(task, error);
  else
    return_path(task, j);
}

void pl_export_figure_async(PlFigure *fig, const char *path, const char *const *keys,
                            const char *const *values, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data) {
  Job *j = job_new(path, keys, values);
  j->fig = fig;
  run_job(NULL, j, figure_thread, cancellable, callback, user_data);
}

/* --- widget snapshots --- */

static GskRenderNode *snapshot_widget(GtkWidget *widget, int *w, int *h) {
  *w = gtk_widget_get_width(widget);
  *h = gtk_widget_get_height(widget);
  if (*w <= 0 || *h <= 0)
    return NULL;
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(widget);
  GtkSnapshot *snap = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, snap, *w, *h);
  return gtk_snapshot_free_to_node(snap);
}

static cairo_status_t append_bytes(void *closure, const unsigned char *data, unsigned int len) {
  g_byte_array_append(closure, data, len);
  return CAIRO_STATUS_SUCCESS;
}

/* SVG has no metadata API in cairo: the pairs go into a <desc> after the root element. */
static GBytes *svg_with_desc(GByteArray *svg, const Job *j) {
  GString *desc = g_string_new("<desc>");
  for (guint i = 0; j->keys && j->keys[i] && j->values && j->values[i]; i++) {
    g_autofree char *v = g_markup_escape_text(j->values[i], -1);
    g_string_append_printf(desc, "%s: %s\n", j->keys[i], v);
  }
  g_string_append(desc, "</desc>\n");
  g_byte_array_append(svg, (const guint8 *)"", 1);  /* NUL for strstr */
  char *text = (char *)svg->data;
  char *root = strstr(text, "<svg");
  char *end = root ? strchr(root, '>') : NULL;
  GString *out = g_string_new(NULL);
  if (end) {
    g_string_append_len(out, text, end + 1 - text);
    g_string_append_c(out, '\n');
    g_string_append(out, desc->str);
    g_string_append(out, end + 1);
  } else {
    g_string_append(out, text);
  }
  g_string_free(desc, TRUE);
  gsize len = out->len;
  return g_bytes_new_take(g_string_free(out, FALSE), len);
}

static void widget_thread(GTask *task, gpointer s, gpointer data, GCancellable *c) {
  (void)s;
  (void)c;
  Job *j = data;
  GError *error = NULL;
  gboolean ok;
  if (j->raster) {
    ok = pl_image_save_png(j->raster, j->path, (const char *const *)j->keys,
                           (const char *const *)j->values, &error);
  } else {
    gsize len;
    const char *bytes = g_bytes_get_data(j->vector, &len);
    ok = g_file_set_contents(j->path, bytes, (gssize)len, &error);  /* temp file + rename */
  }
  if (!ok)
    g_task_return_error(task, error);
  else
    return_path(task, j);
}

static PlImage *image_from_surface(cairo_surface_t *surface) {
  cairo_surface_flush(surface);
  int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
  int stride = cairo_image_surface_get_stride(surface);
  const guint8 *px = cairo_image_surface_get_data(surface);
  PlImage *img = pl_image_new(3, h, w);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint32 v;
      memcpy(&v, px + (size_t)y * stride + 4 * x, 4);  /* opaque ARGB32, native endian */
      pl_image_plane(img, 0)[y * w + x] = ((v >> 16) & 0xff) / 255.0f;
      pl_image_plane(img, 1)[y * w + x] = ((v >> 8) & 0xff) / 255.0f;
      pl_image_plane(img, 2)[y * w + x] = (v & 0xff) / 255.0f;
    }
  return img;
}

void pl_export_widget_async(GtkWidget *widget, const char *path, const char *const *keys,
                            const char *const *values, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data) {
  Job *j = job_new(path, keys, values);
  int w, h;
  GskRenderNode *node = snapshot_widget(widget, &w, &h);
  if (!node) {
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, pl_export_finish);
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "nothing to export: the view is not shown");
    g_object_unref(task);
    job_free(j);
    return;
  }
  /* Drawing a render node uses the widgets' fonts: done here, on the main thread. The view
   * is what is on screen, so it is a picture: SVG/PDF get it at twice the resolution.
   * (Render nodes hold recording surfaces; cairo 1.16 leaks when those are painted into
   * SVG/PDF surfaces directly. Vector figures come from export-figure.) */
  PlFigureFormat fmt = pl_figure_format_from_path(path);
  gboolean vector = fmt == PL_FIGURE_FORMAT_SVG || fmt == PL_FIGURE_FORMAT_PDF;
  int k = vector ? 2 : 1;
  cairo_surface_t *picture = cairo_image_surface_create(CAIRO_FORMAT_RGB24, k * w, k * h);
  cairo_t *cr = cairo_create(picture);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_scale(cr, k, k);
  gsk_render_node_draw(node, cr);
  cairo_destroy(cr);
  gsk_render_node_unref(node);
  GByteArray *buf = g_byte_array_new();
  cairo_surface_t *surface = picture;
  if (vector) {
    surface = fmt == PL_FIGURE_FORMAT_SVG ? cairo_svg_surface_create_for_stream(append_bytes, buf, w, h)
                                          : cairo_pdf_surface_create_for_stream(append_bytes, buf, w, h);
    if (fmt == PL_FIGURE_FORMAT_PDF) {
      for (guint i = 0; keys && keys[i] && values && values[i]; i++)
        if (g_str_equal(keys[i], "plorg-params"))
          cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_KEYWORDS, values[i]);
      cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "PLoRG Studio");
    }
    cr = cairo_create(surface);
    cairo_scale(cr, 1.0 / k, 1.0 / k);
    cairo_set_source_surface(cr, picture, 0, 0);
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_destroy(picture);
  }
  if (vector) {
    cairo_surface_finish(surface);
    if (fmt == PL_FIGURE_FORMAT_SVG) {
      j->vector = svg_with_desc(buf, j);
      g_byte_array_unref(buf);
    } else {
      j->vector = g_byte_array_free_to_bytes(buf);
    }
  } else {
    j->raster = image_from_surface(surface);
    g_byte_array_unref(buf);
  }
  cairo_surface_destroy(surface);
  run_job(NULL, j, widget_thread, cancellable, callback, user_data);
}

/* --- intermediates --- */

static void intermediates_thread(GTask *task, gpointer s, gpointer data, GCancellable *c) {
  (void)s;
  Job *j = data;
  GError *error = NULL;
  int n = pl_run_history_count(j->run);
  int k = MIN(n, MAX(1, j->max_frames));
  if (n == 0) {
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "the run kept no steps yet");
    return;
  }
  GPtrArray *images = g_ptr_array_new_with_free_func((GDestroyNotify)pl_image_free);
  int *steps = g_new(int, k);
  gboolean ok = TRUE;
  for (int f = 0; f < k && ok; f++) {
    int i = k == 1 ? n - 1 : (int)((double)f * (n - 1) / (k - 1) + 0.5);
    PlImage *img = pl_run_history_decode(j->run, i, 0, &error);
    ok = img != NULL && !g_cancellable_is_cancelled(c);
    if (img) {
      steps[images->len] = pl_run_history_step(j->run, i);
      g_ptr_array_add(images, img);
    }
  }
  if (ok && j->as_frames) {
    ok = g_mkdir_with_parents(j->path, 0755) == 0;
    if (!ok)
      g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the folder %s", j->path);
    else
      ok = pl_figure_save_sequence((const PlImage *const *)images->pdata, steps, images->len,
                                   j->path, "x0", 256, (const char *const *)j->keys,
                                   (const char *const *)j->values, &error);
  } else if (ok) {
    ok = pl_figure_save_strip((const PlImage *const *)images->pdata, steps, images->len,
                              j->title, 128, j->path, PL_FIGURE_FORMAT_AUTO,
                              (const char *const *)j->keys, (const char *const *)j->values,
                              &error);
  }
  g_ptr_array_unref(images);
  g_free(steps);
  if (!ok) {
    if (!error)
      g_set_error(&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    g_task_return_error(task, error);
  } else {
    return_path(task, j);
  }
}

void pl_export_intermediates_async(PlRun *run, int max_frames, gboolean as_frames,
                                   const char *path, const char *title,
                                   const char *const *keys, const char *const *values,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data) {
  Job *j = job_new(path, keys, values);
  j->run = pl_run_ref(run);
  j->max_frames = max_frames;
  j->as_frames = as_frames;
  j->title = g_strdup(title);
  run_job(NULL, j, intermediates_thread, cancellable, callback, user_data);
}

/* --- run record --- */

static void record_thread(GTask *task, gpointer s, gpointer data, GCancellable *c) {
  (void)s;
  (void)c;
  Job *j = data;
  GError *error = NULL;
  if (!pl_run_record_write(j->run, j->path, &error))
    g_task_return_error(task, error);
  else
    return_path(task, j);
}

void pl_export_record_async(PlRun *run, const char *path, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data) {
  Job *j = job_new(path, NULL, NULL);
  j->run = pl_run_ref(run);
  run_job(NULL, j, record_thread, cancellable, callback, user_data);
}
