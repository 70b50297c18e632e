/* PlWindow: export actions. A chooser (or the "-to" action's path) gives the file; the
 * work runs in pl_export's threads; errors show in the banner. */
#include "pl_window_private.h"
#include "pl_app_config.h"
#include "pl_export.h"
#include "pl_run_record.h"
#include <math.h>
#include <string.h>

#define STRIP_FRAMES 8
#define SEQUENCE_FRAMES 24

typedef enum { EXPORT_FIGURE, EXPORT_VIEW, EXPORT_STRIP, EXPORT_FRAMES, EXPORT_RECORD } ExportKind;

static const char *const kind_names[] = {"figure", "view", "strip", "frames", "record"};

/* The run the export is about: the single run, or the first of the comparison. */
static PlRunController *subject(PlWindow *self) {
  gboolean compare = g_str_equal(gtk_stack_get_visible_child_name(self->main_stack), "compare");
  if (compare && pl_compare_view_get_n_runs(self->compare_view) > 0)
    return pl_compare_view_get_controller(self->compare_view, 0);
  return self->current;
}

/* Text chunks: the parameters (to restore them from the PNG), the image, the labels. */
static void make_metadata(PlWindow *self, const char *labels, GStrvBuilder *keys, GStrvBuilder *values) {
  PlRunController *ctl = subject(self);
  PlRunParams rp;
  PlOperatorParams op;
  if (ctl) {
    PlRun *run = pl_run_controller_get_run(ctl);
    rp = *pl_run_params(run);
    op = pl_run_inputs(run)->op;
  } else {
    pl_window_get_settings(self, &rp, &op);
  }
  op.mask = NULL;
  g_autofree char *json = pl_run_params_to_json(&rp, &op);
  g_strv_builder_add(keys, "plorg-params");
  g_strv_builder_add(values, json);
  const char *image = pl_image_panel_get_path(self->image_panel);
  if (image) {
    g_strv_builder_add(keys, "plorg-image");
    g_strv_builder_add(values, image);
  }
  if (labels) {
    g_strv_builder_add(keys, "plorg-labels");
    g_strv_builder_add(values, labels);
  }
  g_strv_builder_add(keys, "Software");
  g_strv_builder_add(values, "PLoRG Studio " PLORG_VERSION);
}

static void export_done(GObject *source, GAsyncResult *res, gpointer data) {
  (void)source;
  PlWindow *self = data;
  GError *error = NULL;
  g_autofree char *path = pl_export_finish(res, &error);
  self->pending_exports--;
  if (!path) {
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_autofree char *msg = g_strdup_printf("Export failed: %s", error->message);
      pl_window_show_error(self, msg);
    }
    g_error_free(error);
  } else {
    g_free(self->last_export);
    self->last_export = g_strdup(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *note = g_strdup_printf("exported %s", base);
    pl_window_set_status(self, note);
  }
  g_object_unref(self);
}

static char *metrics_text(PlRun *run) {
  double psnr = pl_run_psnr(run, 0), ssim = pl_run_ssim(run, 0);
  return isfinite(psnr) ? g_strdup_printf("PSNR %.2f dB  SSIM %.3f", psnr, ssim) : NULL;
}

static PlFigure *single_figure(PlWindow *self, GString *labels) {
  PlRunController *ctl = self->current;
  PlRun *run = ctl ? pl_run_controller_get_run(ctl) : NULL;
  g_autofree char *title = run ? g_strdup_printf("%s · %s", pl_task_label(pl_run_inputs(run)->op.task),
                                                 pl_run_controller_get_label(ctl))
                               : NULL;
  PlFigure *fig = pl_figure_new(title);
  const PlImage *gt = pl_image_panel_get_image(self->image_panel);
  if (gt) {
    pl_figure_add_panel(fig, gt, "Ground truth", NULL);
    g_string_append(labels, "Ground truth|");
  }
  g_autoptr(PlImage) y = run ? pl_run_measurement_preview(run) : NULL;
  const PlImage *y_shown = y ? y : pl_degradation_panel_get_measurement(self->degradation_panel);
  if (y_shown) {
    pl_figure_add_panel(fig, y_shown, "Measurement y", NULL);
    g_string_append(labels, "Measurement y|");
  }
  if (run) {
    const PlImage *shown = pl_live_view_get_x0_image(self->live_view);
    g_autoptr(PlImage) result = shown ? pl_image_copy(shown) : pl_run_result(run, 0);
    const PlPreview *p = pl_run_controller_get_x0_preview(ctl);
    if (!result && p)
      result = pl_preview_to_image(p);
    g_autofree char *metrics = metrics_text(run);
    if (result) {
      pl_figure_add_panel(fig, result, pl_run_controller_get_label(ctl), metrics);
      g_string_append(labels, pl_run_controller_get_label(ctl));
    }
  }
  return fig;
}

static void start_export(PlWindow *self, ExportKind kind, const char *path) {
  g_autoptr(GStrvBuilder) kb = g_strv_builder_new();
  g_autoptr(GStrvBuilder) vb = g_strv_builder_new();
  PlRunController *ctl = subject(self);
  GString *labels = g_string_new(NULL);
  PlFigure *fig = NULL;
  if (kind == EXPORT_FIGURE) {
    gboolean compare = g_str_equal(gtk_stack_get_visible_child_name(self->main_stack), "compare") &&
                       pl_compare_view_get_n_runs(self->compare_view) > 0;
    if (compare) {
      fig = pl_compare_view_build_figure(self->compare_view);
      g_string_append(labels, "Ground truth|Measurement y");
      for (guint i = 0; i < pl_compare_view_get_n_runs(self->compare_view); i++)
        g_string_append_printf(labels, "|%s",
                               pl_run_controller_get_label(pl_compare_view_get_controller(self->compare_view, i)));
    } else {
      fig = single_figure(self, labels);
    }
  }
  make_metadata(self, labels->len ? labels->str : NULL, kb, vb);
  g_string_free(labels, TRUE);
  g_auto(GStrv) keys = g_strv_builder_end(kb);
  g_auto(GStrv) values = g_strv_builder_end(vb);
  const char *const *k = (const char *const *)keys, *const *v = (const char *const *)values;

  if ((kind == EXPORT_STRIP || kind == EXPORT_FRAMES || kind == EXPORT_RECORD) && !ctl) {
    pl_window_show_error(self, "Nothing to export yet: start a run first");
    return;
  }
  self->pending_exports++;
  g_object_ref(self);
  switch (kind) {
  case EXPORT_FIGURE:
    pl_export_figure_async(fig, path, k, v, self->cancellable, export_done, self);
    break;
  case EXPORT_VIEW:
    pl_export_widget_async(gtk_stack_get_visible_child(self->main_stack), path, k, v,
                           self->cancellable, export_done, self);
    break;
  case EXPORT_STRIP:
  case EXPORT_FRAMES: {
    g_autofree char *title = g_strdup_printf("x̂₀ during %s", pl_run_controller_get_label(ctl));
    pl_export_intermediates_async(pl_run_controller_get_run(ctl),
                                  kind == EXPORT_STRIP ? STRIP_FRAMES : SEQUENCE_FRAMES,
                                  kind == EXPORT_FRAMES, path, title, k, v, self->cancellable,
                                  export_done, self);
    break;
  }
  case EXPORT_RECORD:
    pl_export_record_async(pl_run_controller_get_run(ctl), path, self->cancellable, export_done, self);
    break;
  }
}

static void on_chooser_response(GtkNativeDialog *dialog, int response, PlWindow *self) {
  ExportKind kind = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(dialog), "export-kind"));
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path) {
      /* No extension typed: take the selected filter's format. */
      GtkFileFilter *filter = gtk_file_chooser_get_filter(GTK_FILE_CHOOSER(dialog));
      const char *ext = filter ? g_object_get_data(G_OBJECT(filter), "ext") : NULL;
      if (ext && !strchr(strrchr(path, '/') ? strrchr(path, '/') : path, '.')) {
        char *with = g_strconcat(path, ".", ext, NULL);
        g_free(path);
        path = with;
      }
      start_export(self, kind, path);
    }
  }
  g_object_unref(dialog);
}

static void add_filter(GtkFileChooser *chooser, const char *name, const char *ext) {
  GtkFileFilter *f = gtk_file_filter_new();
  gtk_file_filter_set_name(f, name);
  gtk_file_filter_add_suffix(f, ext);
  g_object_set_data_full(G_OBJECT(f), "ext", g_strdup(ext), g_free);
  gtk_file_chooser_add_filter(chooser, f);
  g_object_unref(f);
}

static void choose_and_export(PlWindow *self, ExportKind kind) {
  gboolean folder = kind == EXPORT_FRAMES;
  static const char *const titles[] = {"Export Figure", "Export Current View", "Export Intermediates Strip",
                                       "Export Frames to a Folder", "Save Run Record"};
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
      titles[kind], GTK_WINDOW(self),
      folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_SAVE,
      folder ? "_Select" : "_Save", "_Cancel");
  GtkFileChooser *fc = GTK_FILE_CHOOSER(chooser);
  if (kind == EXPORT_RECORD) {
    add_filter(fc, "Run record (JSON)", "json");
    gtk_file_chooser_set_current_name(fc, "run-record.json");
  } else if (!folder) {
    add_filter(fc, "PNG image (carries the settings)", "png");
    add_filter(fc, "SVG drawing", "svg");
    add_filter(fc, "PDF document", "pdf");
    g_autofree char *name = g_strdup_printf("plorg-%s.png", kind_names[kind]);
    gtk_file_chooser_set_current_name(fc, name);
  }
  g_object_set_data(G_OBJECT(chooser), "export-kind", GINT_TO_POINTER(kind));
  g_signal_connect(chooser, "response", G_CALLBACK(on_chooser_response), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

static ExportKind kind_of(GSimpleAction *a) {
  const char *name = g_action_get_name(G_ACTION(a)) + strlen("export-");
  for (guint i = 0; i < G_N_ELEMENTS(kind_names); i++)
    if (g_str_has_prefix(name, kind_names[i]))
      return (ExportKind)i;
  return EXPORT_FIGURE;
}

static void act_export(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)p;
  choose_and_export(data, kind_of(a));
}

static void act_export_to(GSimpleAction *a, GVariant *p, gpointer data) {
  start_export(data, kind_of(a), g_variant_get_string(p, NULL));
}

static const GActionEntry export_actions[] = {
    {"export-figure", act_export, NULL, NULL, NULL, {0}},
    {"export-view", act_export, NULL, NULL, NULL, {0}},
    {"export-strip", act_export, NULL, NULL, NULL, {0}},
    {"export-frames", act_export, NULL, NULL, NULL, {0}},
    {"export-record", act_export, NULL, NULL, NULL, {0}},
    {"export-figure-to", act_export_to, "s", NULL, NULL, {0}},
    {"export-view-to", act_export_to, "s", NULL, NULL, {0}},
    {"export-strip-to", act_export_to, "s", NULL, NULL, {0}},
    {"export-frames-to", act_export_to, "s", NULL, NULL, {0}},
    {"export-record-to", act_export_to, "s", NULL, NULL, {0}},
};

void pl_window_export_actions_init(PlWindow *self) {
  g_action_map_add_action_entries(G_ACTION_MAP(self), export_actions, G_N_ELEMENTS(export_actions), self);
}
