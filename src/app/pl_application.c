/* PlApplication: actions, accelerators, CSS, command line, model loading in a GTask. */
#include "pl_application.h"
#include "pl_app_config.h"
#include "pl_paths.h"
#include "pl_window.h"
#include "plorg-resources.h"

struct _PlApplication {
  GtkApplication parent_instance;
  PlModel *model;
  int loading;
  guint load_generation;
  PlShimDevice device;
  PlPresets *presets;
  PlLpipsMetric *lpips;
  char *opt_model;
  int opt_measure;
  gboolean opt_presentation;
  GCancellable *cancellable;
  char *model_error;   /* last load failure, for windows opened after it */
};

G_DEFINE_FINAL_TYPE(PlApplication, pl_application, GTK_TYPE_APPLICATION)

enum { SIGNAL_MODEL_LOADING, SIGNAL_MODEL_CHANGED, SIGNAL_MODEL_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* --- model loading --- */

typedef struct {
  char *dir;
  PlShimDevice device;
  guint generation;
  PlModel *model;
} LoadJob;

static void load_job_free(gpointer data) {
  LoadJob *j = data;
  g_free(j->dir);
  if (j->model)
    pl_model_unref(j->model);
  g_free(j);
}

static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *c) {
  (void)source;
  (void)c;
  LoadJob *j = data;
  PlModelParams params;
  pl_model_params_init(&params);
  params.device = j->device;
  GError *error = NULL;
  j->model = pl_model_load(j->dir, &params, &error);
  if (!j->model)
    g_task_return_error(task, error);
  else
    g_task_return_boolean(task, TRUE);
}

static void load_done(GObject *source, GAsyncResult *res, gpointer data) {
  (void)data;
  PlApplication *self = PL_APPLICATION(source);
  LoadJob *j = g_task_get_task_data(G_TASK(res));
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean(G_TASK(res), &error);
  self->loading--;
  if (j->generation != self->load_generation) {  /* a newer load was asked for */
    g_clear_error(&error);
    return;
  }
  if (!ok) {
    g_autofree char *base = g_path_get_basename(j->dir);
    g_autofree char *msg = g_strdup_printf(
        "Cannot load the model “%s”: %s%s", base, error->message,
        self->model ? ". The previous model stays loaded." : "");
    g_error_free(error);
    g_free(self->model_error);
    self->model_error = g_strdup(msg);
    g_signal_emit(self, signals[SIGNAL_MODEL_FAILED], 0, msg);
    return;
  }
  if (self->model)
    pl_model_unref(self->model);
  g_clear_pointer(&self->model_error, g_free);
  self->model = g_steal_pointer(&j->model);
  self->device = j->device;
  pl_presets_set_image_size(self->presets, pl_model_image_size(self->model));
  g_signal_emit(self, signals[SIGNAL_MODEL_CHANGED], 0);
}

void pl_application_load_model(PlApplication *self, const char *dir, PlShimDevice device) {
  LoadJob *j = g_new0(LoadJob, 1);
  j->dir = g_strdup(dir);
  j->device = device;
  j->generation = ++self->load_generation;
  self->loading++;
  g_signal_emit(self, signals[SIGNAL_MODEL_LOADING], 0, dir);
  GTask *task = g_task_new(self, NULL, load_done, NULL);
  g_task_set_task_data(task, j, load_job_free);
  g_task_run_in_thread(task, load_thread);
  g_object_unref(task);
}

PlModel *pl_application_get_model(PlApplication *self) { return self->model; }
const char *pl_application_get_model_error(PlApplication *self) { return self->model_error; }
gboolean pl_application_is_loading(PlApplication *self) { return self->loading > 0; }
PlShimDevice pl_application_get_device(PlApplication *self) { return self->device; }
PlPresets *pl_application_get_presets(PlApplication *self) { return self->presets; }
PlLpipsMetric *pl_application_get_lpips(PlApplication *self) { return self->lpips; }

void pl_application_stop_runs(PlApplication *self) {
  for (GList *l = gtk_application_get_windows(GTK_APPLICATION(self)); l; l = l->next)
    if (PL_IS_WINDOW(l->data))
      gtk_window_destroy(GTK_WINDOW(l->data));
}

/* --- actions --- */

static void on_model_folder(GtkNativeDialog *dialog, int response, PlApplication *self) {
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path)
      pl_application_load_model(self, path, self->device);
  }
  g_object_unref(dialog);
}

static void act_load_model(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  PlApplication *self = data;
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
      "Load Model Bundle", gtk_application_get_active_window(GTK_APPLICATION(self)),
      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "_Load", "_Cancel");
  g_signal_connect(chooser, "response", G_CALLBACK(on_model_folder), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

static void on_lpips_folder(GtkNativeDialog *dialog, int response, PlApplication *self) {
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path)
      pl_lpips_metric_load(self->lpips, path);
  }
  g_object_unref(dialog);
}

static void act_load_lpips(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  PlApplication *self = data;
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
      "Load LPIPS Network (folder from models/export_lpips.py)",
      gtk_application_get_active_window(GTK_APPLICATION(self)),
      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "_Load", "_Cancel");
  g_signal_connect(chooser, "response", G_CALLBACK(on_lpips_folder), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

static void act_load_lpips_dir(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  pl_lpips_metric_load(PL_APPLICATION(data)->lpips, g_variant_get_string(p, NULL));
}

static void act_load_model_dir(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  PlApplication *self = data;
  pl_application_load_model(self, g_variant_get_string(p, NULL), self->device);
}

static void act_about(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  PlApplication *self = data;
  const char *authors[] = {"The PLoRG Studio authors", NULL};
  gtk_show_about_dialog(gtk_application_get_active_window(GTK_APPLICATION(self)),
                        "program-name", "PLoRG Studio", "logo-icon-name", PLORG_APP_ID,
                        "version", PLORG_VERSION, "license-type", GTK_LICENSE_GPL_3_0,
                        "comments", "Watch and steer latent-diffusion solvers of inverse problems, "
                                    "with and without the PLoRG projection.",
                        "authors", authors, NULL);
}

static void act_quit(GSimpleAction *a, GVariant *p, gpointer data) {
  (void)a;
  (void)p;
  pl_application_stop_runs(data);
  g_application_quit(G_APPLICATION(data));
}

static const GActionEntry app_actions[] = {
    {"load-model", act_load_model, NULL, NULL, NULL, {0}},
    {"load-model-dir", act_load_model_dir, "s", NULL, NULL, {0}},
    {"load-lpips", act_load_lpips, NULL, NULL, NULL, {0}},
    {"load-lpips-dir", act_load_lpips_dir, "s", NULL, NULL, {0}},
    {"about", act_about, NULL, NULL, NULL, {0}},
    {"quit", act_quit, NULL, NULL, NULL, {0}},
};

static const struct {
  const char *action;
  const char *accels[3];
} accels[] = {
    {"app.quit", {"<Control>q", NULL}},
    {"app.load-model", {"<Control><Shift>o", NULL}},
    {"win.open-image", {"<Control>o", NULL}},
    {"win.run", {"F5", "<Control>Return", NULL}},
    {"win.toggle-pause", {"F6", "<Control>p", NULL}},
    {"win.step", {"F7", "<Control>period", NULL}},
    {"win.cancel", {"F8", "<Control>BackSpace", NULL}},
    {"win.compare", {"F9", "<Control>k", NULL}},
    {"win.presentation", {"F11", NULL}},
    {"win.export-figure", {"<Control>e", NULL}},
    {"win.export-view", {"<Control><Shift>e", NULL}},
    {"win.export-record", {"<Control>s", NULL}},
    {"win.branch", {"<Control>b", NULL}},
    {"win.show-single", {"<Alt>1", NULL}},
    {"win.show-compare", {"<Alt>2", NULL}},
    {"win.dismiss-error", {"<Control>w", NULL}},
    {"win.nudge-tau(0.01)", {"<Alt>Up", NULL}},
    {"win.nudge-tau(-0.01)", {"<Alt>Down", NULL}},
    {"win.scale-omega(2.0)", {"<Alt>Right", NULL}},
    {"win.scale-omega(0.5)", {"<Alt>Left", NULL}},
};

/* --- GApplication --- */

static void pl_application_startup(GApplication *app) {
  PlApplication *self = PL_APPLICATION(app);
  G_APPLICATION_CLASS(pl_application_parent_class)->startup(app);
  g_action_map_add_action_entries(G_ACTION_MAP(self), app_actions, G_N_ELEMENTS(app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS(accels); i++)
    gtk_application_set_accels_for_action(GTK_APPLICATION(self), accels[i].action, accels[i].accels);
  GtkCssProvider *css = gtk_css_provider_new();
  gtk_css_provider_load_from_resource(css, "/org/plorg/Studio/style.css");
  gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_unref(css);
  gtk_window_set_default_icon_name(PLORG_APP_ID);
  GError *error = NULL;
  if (!pl_presets_load(self->presets, &error)) {
    g_warning("presets: %s", error->message);  /* shown again in the window below */
    g_object_set_data_full(G_OBJECT(self), "presets-error", g_strdup(error->message), g_free);
    g_error_free(error);
  }
  pl_application_load_model(self, self->opt_model ? self->opt_model : pl_paths_model_dir(),
                            PLSHIM_DEVICE_AUTO);
  const char *lpips = g_getenv("PLORG_LPIPS_DIR");
  if (lpips && *lpips)
    pl_lpips_metric_load(self->lpips, lpips);
}

static PlWindow *ensure_window(PlApplication *self) {
  GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(self));
  if (win)
    return PL_WINDOW(win);
  PlWindow *w = pl_window_new(self);
  const char *presets_error = g_object_get_data(G_OBJECT(self), "presets-error");
  if (presets_error) {
    g_autofree char *msg = g_strdup_printf("Your presets could not be read (%s); the built-in ones are available.",
                                           presets_error);
    pl_window_show_error(w, msg);
  }
  if (!self->model && !self->loading && self->model_error)
    pl_window_show_error(w, self->model_error);
  if (self->opt_presentation)
    g_action_group_change_action_state(G_ACTION_GROUP(w), "presentation", g_variant_new_boolean(TRUE));
  if (self->opt_measure > 0)
    pl_window_measure(w, self->opt_measure);
  return w;
}

static void pl_application_activate(GApplication *app) {
  gtk_window_present(GTK_WINDOW(ensure_window(PL_APPLICATION(app))));
}

static void pl_application_open(GApplication *app, GFile **files, int n, const char *hint) {
  (void)hint;
  PlWindow *w = ensure_window(PL_APPLICATION(app));
  if (n > 0)
    pl_image_panel_load_file(pl_window_get_image_panel(w), files[0]);
  gtk_window_present(GTK_WINDOW(w));
}

static int pl_application_handle_local_options(GApplication *app, GVariantDict *options) {
  PlApplication *self = PL_APPLICATION(app);
  const char *model = NULL;
  if (g_variant_dict_lookup(options, "model", "&s", &model))
    self->opt_model = g_strdup(model);
  g_variant_dict_lookup(options, "measure", "i", &self->opt_measure);
  g_variant_dict_lookup(options, "presentation", "b", &self->opt_presentation);
  if (g_variant_dict_contains(options, "version")) {
    g_print("plorg-studio %s\n", PLORG_VERSION);
    return 0;
  }
  return -1;
}

static void pl_application_shutdown(GApplication *app) {
  PlApplication *self = PL_APPLICATION(app);
  g_cancellable_cancel(self->cancellable);
  pl_application_stop_runs(self);
  G_APPLICATION_CLASS(pl_application_parent_class)->shutdown(app);
}

static void pl_application_finalize(GObject *object) {
  PlApplication *self = PL_APPLICATION(object);
  if (self->model)
    pl_model_unref(self->model);
  g_clear_object(&self->presets);
  g_clear_object(&self->lpips);
  g_clear_object(&self->cancellable);
  g_free(self->opt_model);
  g_free(self->model_error);
  G_OBJECT_CLASS(pl_application_parent_class)->finalize(object);
}

static void pl_application_class_init(PlApplicationClass *klass) {
  GApplicationClass *app_class = G_APPLICATION_CLASS(klass);
  G_OBJECT_CLASS(klass)->finalize = pl_application_finalize;
  app_class->startup = pl_application_startup;
  app_class->activate = pl_application_activate;
  app_class->open = pl_application_open;
  app_class->handle_local_options = pl_application_handle_local_options;
  app_class->shutdown = pl_application_shutdown;
  GType t = G_TYPE_FROM_CLASS(klass);
  signals[SIGNAL_MODEL_LOADING] = g_signal_new("model-loading", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                               NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_MODEL_CHANGED] = g_signal_new("model-changed", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                               NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MODEL_FAILED] = g_signal_new("model-failed", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The app's UI, CSS and icons: compiled in, registered once. */
  plorg_register_resource();
}

static const GOptionEntry options[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, NULL, "Model bundle folder to load", "DIR"},
    {"presentation", 'p', 0, G_OPTION_ARG_NONE, NULL, "Start in presentation mode", NULL},
    {"measure", 0, 0, G_OPTION_ARG_INT, NULL,
     "Run STEPS steps of PLoRG-PSLD, print main-loop stall and preview latency, quit", "STEPS"},
    {"version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static void pl_application_init(PlApplication *self) {
  self->presets = pl_presets_new(NULL);
  self->lpips = pl_lpips_metric_new();
  self->cancellable = g_cancellable_new();
  g_application_add_main_option_entries(G_APPLICATION(self), options);
}

PlApplication *pl_application_new(GApplicationFlags extra_flags) {
  return g_object_new(PL_TYPE_APPLICATION, "application-id", PLORG_APP_ID,
                      "resource-base-path", "/org/plorg/Studio",
                      "flags", G_APPLICATION_HANDLES_OPEN | extra_flags, NULL);
}
