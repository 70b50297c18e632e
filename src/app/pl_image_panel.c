/* PlImagePanel: decode + fit in a GTask, sample thumbnails loaded in a GTask. */
#include "pl_image_panel.h"
#include "pl_image_view.h"
#include "pl_paths.h"

struct _PlImagePanel {
  GtkBox parent_instance;
  PlImageView *preview;
  GtkLabel *fit_info;
  GtkPopover *samples_popover;
  GtkFlowBox *samples_box;
  GtkDropDown *fit_dropdown;

  int size;
  PlImage *original, *fitted;
  char *path;
  guint generation;   /* results of older loads are dropped */
  int loading;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE(PlImagePanel, pl_image_panel, GTK_TYPE_BOX)

enum { SIGNAL_IMAGE_CHANGED, SIGNAL_LOAD_FAILED, SIGNAL_SETTINGS_FOUND, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  guint generation;
  char *path;         /* NULL when refitting `original` */
  PlImage *original;  /* in (refit) or out */
  PlImage *fitted;
  int size;
  PlFitMode mode;
  char *params_json;  /* settings found in the PNG */
} LoadJob;

static void load_job_free(gpointer data) {
  LoadJob *j = data;
  g_free(j->path);
  pl_image_free(j->original);
  pl_image_free(j->fitted);
  g_free(j->params_json);
  g_free(j);
}

/* Thread: decode (if a path), look for saved settings, fit to the model size. */
static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *c) {
  (void)source;
  (void)c;
  LoadJob *j = data;
  GError *error = NULL;
  if (j->path) {
    g_autoptr(GHashTable) text = NULL;
    if (g_str_has_suffix(j->path, ".png") || g_str_has_suffix(j->path, ".PNG"))
      text = pl_image_read_png_text(j->path, NULL);
    const char *params = text ? g_hash_table_lookup(text, "plorg-params") : NULL;
    const char *ref = text ? g_hash_table_lookup(text, "plorg-image") : NULL;
    if (params) {
      /* An exported figure: restore its settings, and its ground truth if still there. */
      j->params_json = g_strdup(params);
      if (ref && g_file_test(ref, G_FILE_TEST_IS_REGULAR)) {
        j->original = pl_image_load(ref, NULL);
        if (j->original) {
          g_free(j->path);
          j->path = g_strdup(ref);
        }
      }
      if (!j->original) {
        g_task_return_boolean(task, TRUE);
        return;
      }
    } else {
      j->original = pl_image_load(j->path, &error);
      if (!j->original) {
        g_task_return_error(task, error);
        return;
      }
    }
  }
  j->fitted = pl_image_fit_square(j->original, j->size, j->mode);
  if (!j->fitted) {
    g_task_return_new_error(task, PL_IMAGE_ERROR, PL_IMAGE_ERROR_INVALID,
                            "cannot fit the image to %d×%d", j->size, j->size);
    return;
  }
  g_task_return_boolean(task, TRUE);
}

static void update_labels(PlImagePanel *self) {
  if (!self->fitted) {
    gtk_label_set_text(self->fit_info, "");
    return;
  }
  g_autofree char *base = self->path ? g_path_get_basename(self->path) : g_strdup("image");
  pl_image_view_set_caption(self->preview, base);
  g_autofree char *info = g_strdup_printf(
      "%d×%d → %d×%d (%s)", self->original->w, self->original->h, self->fitted->w,
      self->fitted->h, pl_fit_mode_name(gtk_drop_down_get_selected(self->fit_dropdown)));
  gtk_label_set_text(self->fit_info, info);
}

static void load_done(GObject *source, GAsyncResult *res, gpointer data) {
  (void)data;
  PlImagePanel *self = PL_IMAGE_PANEL(source);
  LoadJob *j = g_task_get_task_data(G_TASK(res));
  GError *error = NULL;
  self->loading--;
  if (!g_task_propagate_boolean(G_TASK(res), &error)) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_autofree char *base = j->path ? g_path_get_basename(j->path) : g_strdup("image");
      g_autofree char *msg = g_strdup_printf("Cannot open “%s”: %s", base, error->message);
      g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, msg);
    }
    g_error_free(error);
    return;
  }
  if (j->generation != self->generation)
    return;
  if (j->fitted) {
    if (j->path) {
      g_free(self->path);
      self->path = g_strdup(j->path);
      pl_image_free(self->original);
      self->original = g_steal_pointer(&j->original);
    }
    pl_image_free(self->fitted);
    self->fitted = g_steal_pointer(&j->fitted);
    pl_image_view_set_image(self->preview, self->fitted);
    update_labels(self);
    g_signal_emit(self, signals[SIGNAL_IMAGE_CHANGED], 0);
  }
  if (j->params_json)
    g_signal_emit(self, signals[SIGNAL_SETTINGS_FOUND], 0, j->params_json);
}

static void start_job(PlImagePanel *self, LoadJob *j) {
  j->generation = ++self->generation;
  j->size = self->size;
  j->mode = gtk_drop_down_get_selected(self->fit_dropdown);
  self->loading++;
  GTask *task = g_task_new(self, self->cancellable, load_done, NULL);
  g_task_set_task_data(task, j, load_job_free);
  g_task_run_in_thread(task, load_thread);
  g_object_unref(task);
}

void pl_image_panel_load_file(PlImagePanel *self, GFile *file) {
  g_autofree char *path = g_file_get_path(file);
  if (!path) {
    g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, "Only local files can be opened");
    return;
  }
  LoadJob *j = g_new0(LoadJob, 1);
  j->path = g_steal_pointer(&path);
  start_job(self, j);
}

gboolean pl_image_panel_load_sample(PlImagePanel *self, const char *name) {
  g_autofree char *path = g_path_is_absolute(name)
                              ? g_strdup(name)
                              : g_build_filename(pl_paths_data_dir(), "images", name, NULL);
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    g_autofree char *msg = g_strdup_printf("No bundled sample “%s”", name);
    g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, msg);
    return FALSE;
  }
  g_autoptr(GFile) file = g_file_new_for_path(path);
  pl_image_panel_load_file(self, file);
  return TRUE;
}

static void refit(PlImagePanel *self) {
  if (!self->original)
    return;
  LoadJob *j = g_new0(LoadJob, 1);
  j->original = pl_image_copy(self->original);
  start_job(self, j);
}

void pl_image_panel_set_model_size(PlImagePanel *self, int size) {
  if (size <= 0 || size == self->size)
    return;
  self->size = size;
  refit(self);
}

const PlImage *pl_image_panel_get_image(PlImagePanel *self) { return self->fitted; }
const char *pl_image_panel_get_path(PlImagePanel *self) { return self->path; }
gboolean pl_image_panel_is_loading(PlImagePanel *self) { return self->loading > 0; }

/* --- sample thumbnails --- */

typedef struct {
  GPtrArray *paths;   /* char* */
  GPtrArray *pixels;  /* GBytes* RGBA8 or NULL */
  GArray *sizes;      /* int pairs w, h */
} Thumbs;

static void thumbs_free(gpointer data) {
  Thumbs *t = data;
  g_ptr_array_unref(t->paths);
  g_ptr_array_unref(t->pixels);
  g_array_unref(t->sizes);
  g_free(t);
}

static void thumbs_thread(GTask *task, gpointer source, gpointer data, GCancellable *c) {
  (void)source;
  (void)c;
  Thumbs *t = data;
  for (guint i = 0; i < t->paths->len; i++) {
    g_autoptr(PlImage) img = pl_image_load(t->paths->pdata[i], NULL);
    g_autoptr(PlImage) small = img ? pl_image_fit_square(img, 48, PL_FIT_CENTER_CROP) : NULL;
    int wh[2] = {0, 0};
    GBytes *bytes = NULL;
    if (small) {
      gsize len = (gsize)small->w * small->h * 4;
      guint8 *rgba = g_malloc(len);
      pl_image_to_rgba8(small, rgba);
      bytes = g_bytes_new_take(rgba, len);
      wh[0] = small->w;
      wh[1] = small->h;
    }
    g_ptr_array_add(t->pixels, bytes);
    g_array_append_vals(t->sizes, wh, 2);
  }
  g_task_return_boolean(task, TRUE);
}

static void thumbs_done(GObject *source, GAsyncResult *res, gpointer data) {
  (void)data;
  if (!g_task_propagate_boolean(G_TASK(res), NULL))
    return;
  PlImagePanel *self = PL_IMAGE_PANEL(source);
  Thumbs *t = g_task_get_task_data(G_TASK(res));
  for (guint i = 0; i < t->paths->len; i++) {
    GBytes *bytes = t->pixels->pdata[i];
    if (!bytes)
      continue;
    int w = g_array_index(t->sizes, int, 2 * i), h = g_array_index(t->sizes, int, 2 * i + 1);
    g_autoptr(GdkTexture) tex = gdk_memory_texture_new(w, h, GDK_MEMORY_R8G8B8A8, bytes, 4 * w);
    GtkWidget *pic = gtk_picture_new_for_paintable(GDK_PAINTABLE(tex));
    gtk_picture_set_can_shrink(GTK_PICTURE(pic), FALSE);
    g_autofree char *base = g_path_get_basename(t->paths->pdata[i]);
    gtk_widget_set_tooltip_text(pic, base);
    g_object_set_data_full(G_OBJECT(pic), "sample-path", g_strdup(t->paths->pdata[i]), g_free);
    gtk_flow_box_append(self->samples_box, pic);
  }
}

static void load_thumbs(PlImagePanel *self) {
  Thumbs *t = g_new0(Thumbs, 1);
  t->paths = pl_paths_sample_images();
  t->pixels = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  t->sizes = g_array_new(FALSE, FALSE, sizeof(int));
  GTask *task = g_task_new(self, self->cancellable, thumbs_done, NULL);
  g_task_set_task_data(task, t, thumbs_free);
  g_task_run_in_thread(task, thumbs_thread);
  g_object_unref(task);
}

static void on_sample_activated(GtkFlowBox *box, GtkFlowBoxChild *child, PlImagePanel *self) {
  (void)box;
  GtkWidget *pic = gtk_flow_box_child_get_child(child);
  const char *path = g_object_get_data(G_OBJECT(pic), "sample-path");
  gtk_popover_popdown(self->samples_popover);
  if (path)
    pl_image_panel_load_sample(self, path);
}

static void on_fit_changed(GObject *dropdown, GParamSpec *pspec, PlImagePanel *self) {
  (void)dropdown;
  (void)pspec;
  refit(self);
}

static void pl_image_panel_dispose(GObject *object) {
  PlImagePanel *self = PL_IMAGE_PANEL(object);
  g_cancellable_cancel(self->cancellable);
  gtk_widget_dispose_template(GTK_WIDGET(self), PL_TYPE_IMAGE_PANEL);
  G_OBJECT_CLASS(pl_image_panel_parent_class)->dispose(object);
}

static void pl_image_panel_finalize(GObject *object) {
  PlImagePanel *self = PL_IMAGE_PANEL(object);
  g_clear_object(&self->cancellable);
  pl_image_free(self->original);
  pl_image_free(self->fitted);
  g_free(self->path);
  G_OBJECT_CLASS(pl_image_panel_parent_class)->finalize(object);
}

static void pl_image_panel_class_init(PlImagePanelClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = pl_image_panel_dispose;
  object_class->finalize = pl_image_panel_finalize;

  signals[SIGNAL_IMAGE_CHANGED] = g_signal_new("image-changed", G_TYPE_FROM_CLASS(klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 0);
  signals[SIGNAL_LOAD_FAILED] = g_signal_new("load-failed", G_TYPE_FROM_CLASS(klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_SETTINGS_FOUND] = g_signal_new("settings-found", G_TYPE_FROM_CLASS(klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure(PL_TYPE_IMAGE_VIEW);
  gtk_widget_class_set_template_from_resource(widget_class, "/org/plorg/Studio/pl-image-panel.ui");
  gtk_widget_class_bind_template_child(widget_class, PlImagePanel, preview);
  gtk_widget_class_bind_template_child(widget_class, PlImagePanel, fit_info);
  gtk_widget_class_bind_template_child(widget_class, PlImagePanel, samples_popover);
  gtk_widget_class_bind_template_child(widget_class, PlImagePanel, samples_box);
  gtk_widget_class_bind_template_child(widget_class, PlImagePanel, fit_dropdown);
  gtk_widget_class_bind_template_callback(widget_class, on_sample_activated);
}

static void pl_image_panel_init(PlImagePanel *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  self->size = 64;
  self->cancellable = g_cancellable_new();
  g_signal_connect(self->fit_dropdown, "notify::selected", G_CALLBACK(on_fit_changed), self);
  load_thumbs(self);
}
