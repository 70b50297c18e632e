/* PlWindow: template, panels wiring, settings, presets menu, errors, presentation mode,
 * drag and drop. Run control lives in pl_window_run.c, exports in pl_window_export.c. */
#include "pl_window_private.h"
#include "pl_paths.h"
#include "pl_preset_dialog.h"
#include "pl_run_record.h"

G_DEFINE_FINAL_TYPE(PlWindow, pl_window, GTK_TYPE_APPLICATION_WINDOW)

#define DEFAULT_SAMPLE "twitter-1f469.png"

static PlApplication *app_of(PlWindow *self) {
  return PL_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
}

/* --- errors and status --- */

void pl_window_show_error(PlWindow *self, const char *message) {
  gtk_label_set_text(self->banner_label, message);
  gtk_revealer_set_reveal_child(self->banner_revealer, TRUE);
  g_debug("error shown: %s", message);
}

const char *pl_window_get_error(PlWindow *self) {
  return gtk_revealer_get_reveal_child(self->banner_revealer) ? gtk_label_get_text(self->banner_label)
                                                              : NULL;
}

void pl_window_dismiss_error(PlWindow *self) {
  gtk_revealer_set_reveal_child(self->banner_revealer, FALSE);
}

void pl_window_set_status(PlWindow *self, const char *text) {
  g_autofree char *line = self->model_note && text ? g_strdup_printf("%s · %s", self->model_note, text)
                                                   : g_strdup(text ? text : self->model_note);
  gtk_label_set_text(self->subtitle_label, line ? line : "");
}

/* --- settings --- */

void pl_window_get_settings(PlWindow *self, PlRunParams *rp, PlOperatorParams *op) {
  pl_solver_panel_get_params(self->solver_panel, rp);
  pl_plorg_panel_get_params(self->plorg_panel, &rp->plorg);
  pl_degradation_panel_get_params(self->degradation_panel, op);
}

void pl_window_apply_settings(PlWindow *self, const PlRunParams *rp, const PlOperatorParams *op) {
  pl_degradation_panel_set_params(self->degradation_panel, op);
  pl_solver_panel_set_params(self->solver_panel, rp);
  pl_plorg_panel_set_params(self->plorg_panel, &rp->plorg);
}

gboolean pl_window_is_ready(PlWindow *self) {
  PlApplication *app = app_of(self);
  return app && pl_application_get_model(app) && !pl_application_is_loading(app) &&
         pl_image_panel_get_image(self->image_panel) &&
         !pl_image_panel_is_loading(self->image_panel) &&
         pl_degradation_panel_get_measurement(self->degradation_panel) &&
         !pl_degradation_panel_is_busy(self->degradation_panel);
}

void pl_window_maybe_start_pending(PlWindow *self) {
  pl_window_update_actions(self);
  if (self->pending_compare && pl_window_is_ready(self)) {
    self->pending_compare = FALSE;
    pl_window_start_compare(self);
  }
}

gboolean pl_window_apply_preset(PlWindow *self, const char *id) {
  const PlPreset *p = pl_presets_lookup(pl_application_get_presets(app_of(self)), id);
  if (!p) {
    g_autofree char *msg = g_strdup_printf("No preset “%s”", id);
    pl_window_show_error(self, msg);
    return FALSE;
  }
  /* A calibrated comparison opens on the image it was calibrated on. */
  if (p->sample && !pl_image_panel_load_sample(self->image_panel, p->sample))
    return FALSE;
  pl_window_apply_settings(self, &p->run, &p->op);
  pl_window_set_status(self, p->label);
  if (p->compare) {
    self->pending_compare = TRUE;
    pl_window_maybe_start_pending(self);
  }
  return TRUE;
}

/* --- presets menu --- */

static void rebuild_presets_menu(PlWindow *self) {
  PlPresets *presets = pl_application_get_presets(app_of(self));
  GMenu *menu = g_menu_new();
  GMenu *section = NULL;
  const char *current = NULL;
  GMenu *deletes = g_menu_new();
  for (guint i = 0; i < pl_presets_get_count(presets); i++) {
    const PlPreset *p = pl_presets_get(presets, i);
    if (!current || !g_str_equal(current, p->section)) {
      if (section) {
        g_menu_append_section(menu, current, G_MENU_MODEL(section));
        g_object_unref(section);
      }
      section = g_menu_new();
      current = p->section;
    }
    GMenuItem *item = g_menu_item_new(p->label, NULL);
    g_menu_item_set_action_and_target(item, "win.apply-preset", "s", p->id);
    g_menu_append_item(section, item);
    g_object_unref(item);
    if (!p->builtin) {
      item = g_menu_item_new(p->label, NULL);
      g_menu_item_set_action_and_target(item, "win.delete-preset", "s", p->id);
      g_menu_append_item(deletes, item);
      g_object_unref(item);
    }
  }
  if (section) {
    g_menu_append_section(menu, current, G_MENU_MODEL(section));
    g_object_unref(section);
  }
  GMenu *own = g_menu_new();
  g_menu_append(own, "Save Current Settings as Preset…", "win.save-preset-dialog");
  if (g_menu_model_get_n_items(G_MENU_MODEL(deletes)) > 0)
    g_menu_append_submenu(own, "Delete Preset", G_MENU_MODEL(deletes));
  g_menu_append_section(menu, NULL, G_MENU_MODEL(own));
  g_object_unref(own);
  g_object_unref(deletes);
  gtk_menu_button_set_menu_model(self->presets_button, G_MENU_MODEL(menu));
  g_clear_object(&self->presets_menu);
  self->presets_menu = menu;
}

static void save_preset(PlWindow *self, const char *name, gboolean compare) {
  PlRunParams rp;
  PlOperatorParams op;
  pl_window_get_settings(self, &rp, &op);
  GError *error = NULL;
  if (!pl_presets_save_user(pl_application_get_presets(app_of(self)), name, compare, &rp, &op, &error)) {
    g_autofree char *msg = g_strdup_printf("Cannot save the preset: %s", error->message);
    pl_window_show_error(self, msg);
    g_error_free(error);
    return;
  }
  g_autofree char *note = g_strdup_printf("saved preset “%s”", name);
  pl_window_set_status(self, note);
}

static void on_preset_save(PlPresetDialog *dialog, const char *name, gboolean compare, PlWindow *self) {
  (void)dialog;
  save_preset(self, name, compare);
}

/* --- actions --- */

static void act_save_preset(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  save_preset(data, g_variant_get_string(param, NULL), FALSE);
}

static void act_save_preset_dialog(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  (void)param;
  PlWindow *self = data;
  PlPresetDialog *dialog = pl_preset_dialog_new(GTK_WINDOW(self), FALSE);
  gtk_window_set_destroy_with_parent(GTK_WINDOW(dialog), TRUE);
  g_signal_connect_object(dialog, "save", G_CALLBACK(on_preset_save), self, 0);
  gtk_window_present(GTK_WINDOW(dialog));
}

static void act_delete_preset(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  PlWindow *self = data;
  GError *error = NULL;
  if (!pl_presets_delete_user(pl_application_get_presets(app_of(self)),
                              g_variant_get_string(param, NULL), &error)) {
    pl_window_show_error(self, error->message);
    g_error_free(error);
  }
}

static void act_apply_preset(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  pl_window_apply_preset(data, g_variant_get_string(param, NULL));
}

static void on_open_response(GtkNativeDialog *dialog, int response, PlWindow *self) {
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    if (file)
      pl_image_panel_load_file(self->image_panel, file);
  }
  g_object_unref(dialog);
}

static void act_open_image(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  (void)param;
  PlWindow *self = data;
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
      "Open Image", GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
  GtkFileFilter *filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, "PNG and JPEG images");
  gtk_file_filter_add_mime_type(filter, "image/png");
  gtk_file_filter_add_mime_type(filter, "image/jpeg");
  gtk_file_filter_add_suffix(filter, "png");
  gtk_file_filter_add_suffix(filter, "jpg");
  gtk_file_filter_add_suffix(filter, "jpeg");
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(chooser), filter);
  g_object_unref(filter);
  g_autoptr(GFile) samples = g_file_new_build_filename(pl_paths_data_dir(), "images", NULL);
  gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(chooser), samples, NULL);
  g_signal_connect(chooser, "response", G_CALLBACK(on_open_response), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

static void act_open_file(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  PlWindow *self = data;
  g_autoptr(GFile) file = g_file_new_for_path(g_variant_get_string(param, NULL));
  pl_image_panel_load_file(self->image_panel, file);
}

static void act_open_sample(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  PlWindow *self = data;
  pl_image_panel_load_sample(self->image_panel, g_variant_get_string(param, NULL));
}

static void change_task(GSimpleAction *a, GVariant *value, gpointer data) {
  PlWindow *self = data;
  PlTask task;
  if (!pl_task_from_name(g_variant_get_string(value, NULL), &task))
    return;
  pl_degradation_panel_set_task(self->degradation_panel, task);
  g_simple_action_set_state(a, value);
}

static void change_solver(GSimpleAction *a, GVariant *value, gpointer data) {
  PlWindow *self = data;
  PlSolver solver;
  if (!pl_solver_from_name(g_variant_get_string(value, NULL), &solver))
    return;
  pl_solver_panel_set_solver(self->solver_panel, solver);
  g_simple_action_set_state(a, value);
}

static void change_plorg(GSimpleAction *a, GVariant *value, gpointer data) {
  pl_plorg_panel_set_enabled(PL_WINDOW(data)->plorg_panel, g_variant_get_boolean(value));
  g_simple_action_set_state(a, value);
}

static void act_set_tau(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  pl_plorg_panel_set_tau(PL_WINDOW(data)->plorg_panel, g_variant_get_double(param));
}

static void act_set_omega(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  pl_solver_panel_set_omega(PL_WINDOW(data)->solver_panel, g_variant_get_double(param));
}

/* Keyboard steering for talks: tau up/down by a step, omega times/divided by a factor. */
static void act_nudge_tau(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  PlWindow *self = data;
  double tau = pl_plorg_panel_get_tau(self->plorg_panel) + g_variant_get_double(param);
  pl_plorg_panel_set_tau(self->plorg_panel, CLAMP(tau, 0.5, 1.0));
  g_autofree char *note = g_strdup_printf("τ = %.3f", pl_plorg_panel_get_tau(self->plorg_panel));
  pl_window_set_status(self, note);
}

static void act_scale_omega(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  PlWindow *self = data;
  PlRunParams rp;
  pl_solver_panel_get_params(self->solver_panel, &rp);
  pl_solver_panel_set_omega(self->solver_panel, rp.omega * g_variant_get_double(param));
  pl_solver_panel_get_params(self->solver_panel, &rp);
  g_autofree char *note = g_strdup_printf("step size = %.4g", rp.omega);
  pl_window_set_status(self, note);
}

static void change_presentation(GSimpleAction *a, GVariant *value, gpointer data) {
  PlWindow *self = data;
  self->presentation = g_variant_get_boolean(value);
  /* The views get the whole screen; steering stays on the keyboard (nudge-tau, scale-omega). */
  gtk_widget_set_visible(self->sidebar, !self->presentation);
  if (self->presentation) {
    gtk_widget_add_css_class(GTK_WIDGET(self), "presentation");
    gtk_window_fullscreen(GTK_WINDOW(self));
  } else {
    gtk_widget_remove_css_class(GTK_WIDGET(self), "presentation");
    gtk_window_unfullscreen(GTK_WINDOW(self));
  }
  g_simple_action_set_state(a, value);
}

static void act_dismiss_error(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)a;
  (void)param;
  pl_window_dismiss_error(data);
}

static void act_show_page(GSimpleAction *a, GVariant *param, gpointer data) {
  (void)param;
  PlWindow *self = data;
  gboolean compare = g_str_equal(g_action_get_name(G_ACTION(a)), "show-compare");
  gtk_stack_set_visible_child_name(self->main_stack, compare ? "compare" : "single");
}

static const GActionEntry window_actions[] = {
    {"open-image", act_open_image, NULL, NULL, NULL, {0}},
    {"open-file", act_open_file, "s", NULL, NULL, {0}},
    {"open-sample", act_open_sample, "s", NULL, NULL, {0}},
    {"apply-preset", act_apply_preset, "s", NULL, NULL, {0}},
    {"save-preset", act_save_preset, "s", NULL, NULL, {0}},
    {"save-preset-dialog", act_save_preset_dialog, NULL, NULL, NULL, {0}},
    {"delete-preset", act_delete_preset, "s", NULL, NULL, {0}},
    {"task", NULL, "s", "'box'", change_task, {0}},
    {"solver", NULL, "s", "'psld'", change_solver, {0}},
    {"plorg", NULL, NULL, "false", change_plorg, {0}},
    {"set-tau", act_set_tau, "d", NULL, NULL, {0}},
    {"set-omega", act_set_omega, "d", NULL, NULL, {0}},
    {"nudge-tau", act_nudge_tau, "d", NULL, NULL, {0}},
    {"scale-omega", act_scale_omega, "d", NULL, NULL, {0}},
    {"presentation", NULL, NULL, "false", change_presentation, {0}},
    {"dismiss-error", act_dismiss_error, NULL, NULL, NULL, {0}},
    {"show-single", act_show_page, NULL, NULL, NULL, {0}},
    {"show-compare", act_show_page, NULL, NULL, NULL, {0}},
};

static void set_action_state(PlWindow *self, const char *name, GVariant *state) {
  GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), name);
  g_simple_action_set_state(G_SIMPLE_ACTION(a), state);
}

/* --- panel signals --- */

static void on_image_changed(PlImagePanel *panel, PlWindow *self) {
  const PlImage *img = pl_image_panel_get_image(panel);
  pl_degradation_panel_set_image(self->degradation_panel, img);
  pl_live_view_set_ground_truth(self->live_view, img);
  pl_window_maybe_start_pending(self);
}

static void on_load_failed(GObject *source, const char *message, PlWindow *self) {
  (void)source;
  pl_window_show_error(self, message);
  pl_window_update_actions(self);
}

static void on_settings_found(PlImagePanel *panel, const char *json, PlWindow *self) {
  (void)panel;
  PlRunParams rp;
  PlOperatorParams op;
  GError *error = NULL;
  if (!pl_run_params_from_json(json, &rp, &op, &error)) {
    g_autofree char *msg = g_strdup_printf("The image carries settings that cannot be read: %s",
                                           error->message);
    pl_window_show_error(self, msg);
    g_error_free(error);
    return;
  }
  pl_window_apply_settings(self, &rp, &op);
  pl_window_set_status(self, "settings restored from the image");
}

static void on_measurement_changed(PlDegradationPanel *panel, PlWindow *self) {
  pl_live_view_set_measurement(self->live_view, pl_degradation_panel_get_measurement(panel));
  pl_window_maybe_start_pending(self);
}

static void on_degradation_changed(PlDegradationPanel *panel, PlWindow *self) {
  set_action_state(self, "task", g_variant_new_string(pl_task_name(pl_degradation_panel_get_task(panel))));
  pl_window_update_actions(self);
}

static void on_solver_changed(PlSolverPanel *panel, PlWindow *self) {
  set_action_state(self, "solver", g_variant_new_string(pl_solver_name(pl_solver_panel_get_solver(panel))));
}

static void on_plorg_changed(PlPlorgPanel *panel, PlWindow *self) {
  set_action_state(self, "plorg", g_variant_new_boolean(pl_plorg_panel_get_enabled(panel)));
}

static void on_live_changed(GObject *panel, const char *name, double value, PlWindow *self) {
  (void)panel;
  pl_window_forward_live(self, name, value);
}

static void on_preview_every(PlSolverPanel *panel, int n, PlWindow *self) {
  (void)panel;
  pl_window_forward_preview_every(self, n);
}

static void on_device_changed(PlSolverPanel *panel, PlWindow *self) {
  PlApplication *app = app_of(self);
  PlModel *model = pl_application_get_model(app);
  if (model)
    pl_application_load_model(app, pl_model_dir(model), pl_solver_panel_get_device(panel));
}

/* --- model --- */

static void on_model_loading(PlApplication *app, const char *dir, PlWindow *self) {
  (void)app;
  gtk_spinner_start(self->spinner);
  g_autofree char *base = g_path_get_basename(dir);
  g_autofree char *note = g_strdup_printf("loading model %s…", base);
  pl_window_set_status(self, note);
  pl_window_update_actions(self);
}

static void on_model_changed(PlApplication *app, PlWindow *self) {
  gtk_spinner_stop(self->spinner);
  PlModel *model = pl_application_get_model(app);
  if (!model)
    return;
  const PlShimManifest *m = pl_model_manifest(model);
  g_free(self->model_note);
  self->model_note = g_strdup_printf("%s · %d×%d · %s", m && m->name ? m->name : "model",
                                     pl_model_image_size(model), pl_model_image_size(model),
                                     pl_model_device(model));
  pl_window_set_status(self, NULL);
  int n = pl_model_image_size(model);
  pl_image_panel_set_model_size(self->image_panel, n);
  pl_degradation_panel_set_model_size(self->degradation_panel, n);
  pl_window_maybe_start_pending(self);
}

static void on_model_failed(PlApplication *app, const char *message, PlWindow *self) {
  (void)app;
  gtk_spinner_stop(self->spinner);
  pl_window_set_status(self, NULL);
  pl_window_show_error(self, message);
  pl_window_update_actions(self);
}

/* --- drag and drop: an image opens, a model folder loads --- */

static gboolean on_drop(GtkDropTarget *target, const GValue *value, double x, double y,
                        PlWindow *self) {
  (void)target;
  (void)x;
  (void)y;
  GSList *files = g_value_get_boxed(value);
  if (!files)
    return FALSE;
  GFile *file = files->data;
  g_autofree char *path = g_file_get_path(file);
  if (path && g_file_test(path, G_FILE_TEST_IS_DIR))
    pl_application_load_model(app_of(self), path, pl_solver_panel_get_device(self->solver_panel));
  else
    pl_image_panel_load_file(self->image_panel, file);
  return TRUE;
}

/* --- class --- */

static void pl_window_dispose(GObject *object) {
  PlWindow *self = PL_WINDOW(object);
  if (self->cancellable)
    g_cancellable_cancel(self->cancellable);
  g_clear_handle_id(&self->measure_id, g_source_remove);
  pl_window_stop_all(self);
  g_clear_object(&self->current);
  gtk_widget_dispose_template(GTK_WIDGET(self), PL_TYPE_WINDOW);
  G_OBJECT_CLASS(pl_window_parent_class)->dispose(object);
}

static void pl_window_finalize(GObject *object) {
  PlWindow *self = PL_WINDOW(object);
  g_clear_object(&self->meter);
  g_clear_object(&self->cancellable);
  g_clear_object(&self->presets_menu);
  g_free(self->last_export);
  g_free(self->model_note);
  G_OBJECT_CLASS(pl_window_parent_class)->finalize(object);
}

static void pl_window_class_init(PlWindowClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  object_class->dispose = pl_window_dispose;
  object_class->finalize = pl_window_finalize;
  g_type_ensure(PL_TYPE_IMAGE_PANEL);
  g_type_ensure(PL_TYPE_DEGRADATION_PANEL);
  g_type_ensure(PL_TYPE_SOLVER_PANEL);
  g_type_ensure(PL_TYPE_PLORG_PANEL);
  g_type_ensure(PL_TYPE_LIVE_VIEW);
  g_type_ensure(PL_TYPE_COMPARE_VIEW);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, PlWindow, name)
  BIND(run_button);
  BIND(sidebar);
  BIND(pause_button);
  BIND(resume_button);
  BIND(subtitle_label);
  BIND(banner_label);
  BIND(banner_revealer);
  BIND(presets_button);
  BIND(spinner);
  BIND(main_stack);
  BIND(live_view);
  BIND(compare_view);
  BIND(image_panel);
  BIND(degradation_panel);
  BIND(solver_panel);
  BIND(plorg_panel);
#undef BIND
}

static void pl_window_init(PlWindow *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  self->cancellable = g_cancellable_new();
  self->meter = pl_stall_meter_new();
  pl_live_view_set_stall_meter(self->live_view, self->meter);
  g_action_map_add_action_entries(G_ACTION_MAP(self), window_actions, G_N_ELEMENTS(window_actions), self);
  pl_window_run_actions_init(self);
  pl_window_export_actions_init(self);

  g_signal_connect(self->image_panel, "image-changed", G_CALLBACK(on_image_changed), self);
  g_signal_connect(self->image_panel, "load-failed", G_CALLBACK(on_load_failed), self);
  g_signal_connect(self->image_panel, "settings-found", G_CALLBACK(on_settings_found), self);
  g_signal_connect(self->degradation_panel, "measurement-changed", G_CALLBACK(on_measurement_changed), self);
  g_signal_connect(self->degradation_panel, "measurement-failed", G_CALLBACK(on_load_failed), self);
  g_signal_connect(self->degradation_panel, "changed", G_CALLBACK(on_degradation_changed), self);
  g_signal_connect(self->solver_panel, "changed", G_CALLBACK(on_solver_changed), self);
  g_signal_connect(self->solver_panel, "live-changed", G_CALLBACK(on_live_changed), self);
  g_signal_connect(self->solver_panel, "preview-every-changed", G_CALLBACK(on_preview_every), self);
  g_signal_connect(self->solver_panel, "device-changed", G_CALLBACK(on_device_changed), self);
  g_signal_connect(self->plorg_panel, "changed", G_CALLBACK(on_plorg_changed), self);
  g_signal_connect(self->plorg_panel, "live-changed", G_CALLBACK(on_live_changed), self);

  GtkDropTarget *drop = gtk_drop_target_new(GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect(drop, "drop", G_CALLBACK(on_drop), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drop));
}

PlWindow *pl_window_new(PlApplication *app) {
  PlWindow *self = g_object_new(PL_TYPE_WINDOW, "application", app, NULL);
  g_signal_connect_object(app, "model-loading", G_CALLBACK(on_model_loading), self, 0);
  g_signal_connect_object(app, "model-changed", G_CALLBACK(on_model_changed), self, 0);
  g_signal_connect_object(app, "model-failed", G_CALLBACK(on_model_failed), self, 0);
  PlPresets *presets = pl_application_get_presets(app);
  g_signal_connect_object(presets, "changed", G_CALLBACK(rebuild_presets_menu), self, G_CONNECT_SWAPPED);
  PlLpipsMetric *lpips = pl_application_get_lpips(app);
  pl_live_view_set_lpips(self->live_view, lpips);
  pl_compare_view_set_lpips(self->compare_view, lpips);
  g_signal_connect_object(lpips, "failed", G_CALLBACK(on_load_failed), self, 0);
  rebuild_presets_menu(self);
  if (pl_application_get_model(app))
    on_model_changed(app, self);
  else if (pl_application_is_loading(app))
    on_model_loading(app, "model", self);
  /* Start with a picture, so that one preset is all a first run needs. */
  g_autoptr(GPtrArray) samples = pl_paths_sample_images();
  g_autofree char *preferred = g_build_filename(pl_paths_data_dir(), "images", DEFAULT_SAMPLE, NULL);
  if (g_file_test(preferred, G_FILE_TEST_IS_REGULAR))
    pl_image_panel_load_sample(self->image_panel, preferred);
  else if (samples->len > 0)
    pl_image_panel_load_sample(self->image_panel, samples->pdata[0]);
  pl_window_update_actions(self);
  return self;
}

PlRunController *pl_window_get_run(PlWindow *self) { return self->current; }
guint pl_window_get_pending_exports(PlWindow *self) { return self->pending_exports; }
const char *pl_window_get_last_export(PlWindow *self) { return self->last_export; }
PlImagePanel *pl_window_get_image_panel(PlWindow *self) { return self->image_panel; }
PlDegradationPanel *pl_window_get_degradation_panel(PlWindow *self) { return self->degradation_panel; }
PlSolverPanel *pl_window_get_solver_panel(PlWindow *self) { return self->solver_panel; }
PlPlorgPanel *pl_window_get_plorg_panel(PlWindow *self) { return self->plorg_panel; }
PlLiveView *pl_window_get_live_view(PlWindow *self) { return self->live_view; }
PlCompareView *pl_window_get_compare_view(PlWindow *self) { return self->compare_view; }
PlStallMeter *pl_window_get_stall_meter(PlWindow *self) { return self->meter; }
