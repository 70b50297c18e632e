/* PlPresetDialog: a name entry and a compare flag. */
#include "pl_preset_dialog.h"

struct _PlPresetDialog {
  GtkWindow parent_instance;
  GtkEntry *name_entry;
  GtkCheckButton *compare_check;
  GtkWidget *save_button;
};

G_DEFINE_FINAL_TYPE(PlPresetDialog, pl_preset_dialog, GTK_TYPE_WINDOW)

enum { SIGNAL_SAVE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void on_name_changed(GtkEditable *entry, PlPresetDialog *self) {
  g_autofree char *name = g_strstrip(g_strdup(gtk_editable_get_text(entry)));
  gtk_widget_set_sensitive(self->save_button, *name != '\0');
}

static void on_save_clicked(GtkWidget *w, PlPresetDialog *self) {
  (void)w;
  g_autofree char *name = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->name_entry))));
  if (!*name)
    return;
  g_signal_emit(self, signals[SIGNAL_SAVE], 0, name,
                gtk_check_button_get_active(self->compare_check));
  gtk_window_close(GTK_WINDOW(self));
}

static void on_cancel_clicked(GtkWidget *w, PlPresetDialog *self) {
  (void)w;
  gtk_window_close(GTK_WINDOW(self));
}

static void pl_preset_dialog_dispose(GObject *object) {
  gtk_widget_dispose_template(GTK_WIDGET(object), PL_TYPE_PRESET_DIALOG);
  G_OBJECT_CLASS(pl_preset_dialog_parent_class)->dispose(object);
}

static void pl_preset_dialog_class_init(PlPresetDialogClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = pl_preset_dialog_dispose;
  signals[SIGNAL_SAVE] = g_signal_new("save", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                      G_TYPE_BOOLEAN);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-preset-dialog.ui");
  gtk_widget_class_bind_template_child(wc, PlPresetDialog, name_entry);
  gtk_widget_class_bind_template_child(wc, PlPresetDialog, compare_check);
  gtk_widget_class_bind_template_child(wc, PlPresetDialog, save_button);
  gtk_widget_class_bind_template_callback(wc, on_name_changed);
  gtk_widget_class_bind_template_callback(wc, on_save_clicked);
  gtk_widget_class_bind_template_callback(wc, on_cancel_clicked);
}

static void pl_preset_dialog_init(PlPresetDialog *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
}

PlPresetDialog *pl_preset_dialog_new(GtkWindow *parent, gboolean compare) {
  PlPresetDialog *self = g_object_new(PL_TYPE_PRESET_DIALOG, "transient-for", parent, NULL);
  gtk_check_button_set_active(self->compare_check, compare);
  return self;
}
