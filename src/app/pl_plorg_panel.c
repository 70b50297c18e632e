/* PlPlorgPanel: widgets <-> PlPlorgParams, live signals for tau and on/off. */
#include "pl_plorg_panel.h"

struct _PlPlorgPanel {
  GtkBox parent_instance;
  GtkSwitch *enabled_switch;
  GtkRange *tau_scale;
  GtkDropDown *rule_dropdown, *side_dropdown, *svd_dropdown;
  GtkSpinButton *every_spin;
  gboolean updating;
};

G_DEFINE_FINAL_TYPE(PlPlorgPanel, pl_plorg_panel, GTK_TYPE_BOX)

enum { SIGNAL_CHANGED, SIGNAL_LIVE_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

void pl_plorg_panel_get_params(PlPlorgPanel *self, PlPlorgParams *out) {
  out->enabled = gtk_switch_get_active(self->enabled_switch);
  pl_projection_params_init(&out->proj);
  out->proj.tau = gtk_range_get_value(self->tau_scale);
  out->proj.rule = gtk_drop_down_get_selected(self->rule_dropdown) == 1 ? PL_RANK_POOLED : PL_RANK_PAPER;
  switch (gtk_drop_down_get_selected(self->side_dropdown)) {
  case 1: out->proj.side = PL_SIDE_LEFT; break;
  case 2: out->proj.side = PL_SIDE_RIGHT; break;
  default: out->proj.side = PL_SIDE_BOTH; break;
  }
  out->every = gtk_spin_button_get_value_as_int(self->every_spin);
  out->resample_svd = gtk_drop_down_get_selected(self->svd_dropdown) == 1
                          ? PL_RESAMPLE_SVD_DIFFSTATEGRAD
                          : PL_RESAMPLE_SVD_PAPER;
}

void pl_plorg_panel_set_params(PlPlorgPanel *self, const PlPlorgParams *p) {
  self->updating = TRUE;
  gtk_switch_set_active(self->enabled_switch, p->enabled);
  gtk_range_set_value(self->tau_scale, p->proj.tau);
  gtk_drop_down_set_selected(self->rule_dropdown, p->proj.rule == PL_RANK_POOLED ? 1 : 0);
  gtk_drop_down_set_selected(self->side_dropdown, p->proj.side == PL_SIDE_LEFT    ? 1
                                                  : p->proj.side == PL_SIDE_RIGHT ? 2
                                                                                  : 0);
  gtk_spin_button_set_value(self->every_spin, MAX(1, p->every));
  gtk_drop_down_set_selected(self->svd_dropdown,
                             p->resample_svd == PL_RESAMPLE_SVD_DIFFSTATEGRAD ? 1 : 0);
  self->updating = FALSE;
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void pl_plorg_panel_set_enabled(PlPlorgPanel *self, gboolean enabled) {
  gtk_switch_set_active(self->enabled_switch, enabled);
}

gboolean pl_plorg_panel_get_enabled(PlPlorgPanel *self) {
  return gtk_switch_get_active(self->enabled_switch);
}

void pl_plorg_panel_set_tau(PlPlorgPanel *self, double tau) {
  gtk_range_set_value(self->tau_scale, tau);
}

double pl_plorg_panel_get_tau(PlPlorgPanel *self) { return gtk_range_get_value(self->tau_scale); }

static void on_enabled(PlPlorgPanel *self) {
  if (self->updating)
    return;
  g_signal_emit(self, signals[SIGNAL_LIVE_CHANGED], 0, "plorg",
                gtk_switch_get_active(self->enabled_switch) ? 1.0 : 0.0);
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_tau(PlPlorgPanel *self) {
  if (self->updating)
    return;
  g_signal_emit(self, signals[SIGNAL_LIVE_CHANGED], 0, "tau", gtk_range_get_value(self->tau_scale));
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_other(PlPlorgPanel *self) {
  if (!self->updating)
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void pl_plorg_panel_dispose(GObject *object) {
  gtk_widget_dispose_template(GTK_WIDGET(object), PL_TYPE_PLORG_PANEL);
  G_OBJECT_CLASS(pl_plorg_panel_parent_class)->dispose(object);
}

static void pl_plorg_panel_class_init(PlPlorgPanelClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = pl_plorg_panel_dispose;
  GType t = G_TYPE_FROM_CLASS(klass);
  signals[SIGNAL_CHANGED] = g_signal_new("changed", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[SIGNAL_LIVE_CHANGED] = g_signal_new("live-changed", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                              G_TYPE_DOUBLE);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-plorg-panel.ui");
  gtk_widget_class_bind_template_child(wc, PlPlorgPanel, enabled_switch);
  gtk_widget_class_bind_template_child(wc, PlPlorgPanel, tau_scale);
  gtk_widget_class_bind_template_child(wc, PlPlorgPanel, rule_dropdown);
  gtk_widget_class_bind_template_child(wc, PlPlorgPanel, side_dropdown);
  gtk_widget_class_bind_template_child(wc, PlPlorgPanel, every_spin);
  gtk_widget_class_bind_template_child(wc, PlPlorgPanel, svd_dropdown);
}

static void pl_plorg_panel_init(PlPlorgPanel *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  g_signal_connect_swapped(self->enabled_switch, "notify::active", G_CALLBACK(on_enabled), self);
  g_signal_connect_swapped(self->tau_scale, "value-changed", G_CALLBACK(on_tau), self);
  g_signal_connect_swapped(self->rule_dropdown, "notify::selected", G_CALLBACK(on_other), self);
  g_signal_connect_swapped(self->side_dropdown, "notify::selected", G_CALLBACK(on_other), self);
  g_signal_connect_swapped(self->every_spin, "value-changed", G_CALLBACK(on_other), self);
  g_signal_connect_swapped(self->svd_dropdown, "notify::selected", G_CALLBACK(on_other), self);
}
