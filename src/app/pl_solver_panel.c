/* PlSolverPanel: keeps the full PlRunParams of the current solver and overlays the
 * widgets' values, so settings it does not show (ReSample's window, ...) survive. */
#include "pl_solver_panel.h"
#include "pl_presets.h"

static const PlSolver solvers[] = {PL_SOLVER_PSLD, PL_SOLVER_RESAMPLE, PL_SOLVER_DPS};

struct _PlSolverPanel {
  GtkBox parent_instance;
  GtkDropDown *solver_dropdown, *norm_dropdown, *device_dropdown;
  GtkDropDown *timesteps_dropdown, *glue_dropdown, *meas_dropdown; /* fidelity choices */
  GtkSpinButton *omega_spin, *gamma_spin, *steps_spin, *seed_spin, *eta_spin, *preview_spin;
  GtkSpinButton *event_spin, *latent_iters_spin;
  GtkLabel *omega_label;
  GtkWidget *gamma_label, *resample_expander;
  PlRunParams base;
  gboolean updating;
};

G_DEFINE_FINAL_TYPE(PlSolverPanel, pl_solver_panel, GTK_TYPE_BOX)

enum { SIGNAL_CHANGED, SIGNAL_LIVE_CHANGED, SIGNAL_PREVIEW_EVERY, SIGNAL_DEVICE, N_SIGNALS };
static guint signals[N_SIGNALS];

static guint solver_index(PlSolver s) {
  for (guint i = 0; i < G_N_ELEMENTS(solvers); i++)
    if (solvers[i] == s)
      return i;
  return 0;
}

PlSolver pl_solver_panel_get_solver(PlSolverPanel *self) {
  guint i = gtk_drop_down_get_selected(self->solver_dropdown);
  return solvers[MIN(i, G_N_ELEMENTS(solvers) - 1)];
}

static void update_sensitivity(PlSolverPanel *self) {
  PlSolver s = pl_solver_panel_get_solver(self);
  gtk_widget_set_sensitive(GTK_WIDGET(self->gamma_spin), s == PL_SOLVER_PSLD);
  gtk_widget_set_sensitive(self->gamma_label, s == PL_SOLVER_PSLD);
  gtk_widget_set_visible(self->resample_expander, s == PL_SOLVER_RESAMPLE);
  gtk_widget_set_sensitive(GTK_WIDGET(self->glue_dropdown), s == PL_SOLVER_PSLD);
  gtk_widget_set_sensitive(GTK_WIDGET(self->meas_dropdown), s == PL_SOLVER_PSLD);
  gtk_label_set_text(self->omega_label, s == PL_SOLVER_PSLD ? "Step size ω"
                                        : s == PL_SOLVER_DPS ? "Step size ζ"
                                                             : "Latent step size");
}

static void write_widgets(PlSolverPanel *self) {
  const PlRunParams *p = &self->base;
  self->updating = TRUE;
  gtk_drop_down_set_selected(self->solver_dropdown, solver_index(p->solver));
  gtk_spin_button_set_value(self->omega_spin, p->omega);
  gtk_spin_button_set_value(self->gamma_spin, p->gamma);
  gtk_drop_down_set_selected(self->norm_dropdown, p->norm == PL_NORM_L2_SQUARED ? 1 : 0);
  gtk_spin_button_set_value(self->steps_spin, p->steps);
  gtk_spin_button_set_value(self->seed_spin, (double)p->seed);
  gtk_spin_button_set_value(self->eta_spin, p->eta);
  if (p->preview_every > 0)
    gtk_spin_button_set_value(self->preview_spin, p->preview_every);
  gtk_spin_button_set_value(self->event_spin, p->resample.event_every);
  gtk_spin_button_set_value(self->latent_iters_spin, p->resample.latent_max_iters);
  /* dropdown rows follow the enums: 0 = the public code's choice */
  gtk_drop_down_set_selected(self->timesteps_dropdown, p->timesteps == PL_TIMESTEPS_ZERO ? 1 : 0);
  gtk_drop_down_set_selected(self->glue_dropdown, p->glue_transpose == PL_GLUE_ADJOINT ? 1 : 0);
  gtk_drop_down_set_selected(self->meas_dropdown, p->meas_noise == PL_MEAS_CLEAN ? 1 : 0);
  self->updating = FALSE;
  update_sensitivity(self);
}

void pl_solver_panel_get_params(PlSolverPanel *self, PlRunParams *out) {
  *out = self->base;
  out->solver = pl_solver_panel_get_solver(self);
  out->omega = gtk_spin_button_get_value(self->omega_spin);
  out->gamma = gtk_spin_button_get_value(self->gamma_spin);
  out->norm = gtk_drop_down_get_selected(self->norm_dropdown) == 1 ? PL_NORM_L2_SQUARED : PL_NORM_L2;
  out->steps = gtk_spin_button_get_value_as_int(self->steps_spin);
  out->seed = (guint64)gtk_spin_button_get_value(self->seed_spin);
  out->eta = gtk_spin_button_get_value(self->eta_spin);
  out->preview_every = gtk_spin_button_get_value_as_int(self->preview_spin);
  out->resample.event_every = gtk_spin_button_get_value_as_int(self->event_spin);
  out->resample.latent_max_iters = gtk_spin_button_get_value_as_int(self->latent_iters_spin);
  out->timesteps = gtk_drop_down_get_selected(self->timesteps_dropdown) == 1 ? PL_TIMESTEPS_ZERO
                                                                            : PL_TIMESTEPS_LDM;
  out->glue_transpose =
      gtk_drop_down_get_selected(self->glue_dropdown) == 1 ? PL_GLUE_ADJOINT : PL_GLUE_OFFICIAL;
  out->meas_noise =
      gtk_drop_down_get_selected(self->meas_dropdown) == 1 ? PL_MEAS_CLEAN : PL_MEAS_NOISED;
}

void pl_solver_panel_set_params(PlSolverPanel *self, const PlRunParams *p) {
  self->base = *p;
  write_widgets(self);
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void pl_solver_panel_set_solver(PlSolverPanel *self, PlSolver solver) {
  gtk_drop_down_set_selected(self->solver_dropdown, solver_index(solver));
}

void pl_solver_panel_set_omega(PlSolverPanel *self, double omega) {
  gtk_spin_button_set_value(self->omega_spin, omega);
}

int pl_solver_panel_get_preview_every(PlSolverPanel *self) {
  return gtk_spin_button_get_value_as_int(self->preview_spin);
}

PlShimDevice pl_solver_panel_get_device(PlSolverPanel *self) {
  switch (gtk_drop_down_get_selected(self->device_dropdown)) {
  case 1: return PLSHIM_DEVICE_CPU;
  case 2: return PLSHIM_DEVICE_CUDA;
  default: return PLSHIM_DEVICE_AUTO;
  }
}

/* A new solver brings its own defaults; the run length and seed stay the user's. */
static void on_solver_changed(PlSolverPanel *self) {
  if (self->updating)
    return;
  int steps = gtk_spin_button_get_value_as_int(self->steps_spin);
  guint64 seed = (guint64)gtk_spin_button_get_value(self->seed_spin);
  int preview = pl_solver_panel_get_preview_every(self);
  pl_run_params_init(&self->base, pl_solver_panel_get_solver(self));
  pl_presets_scale_steps(&self->base, steps);
  self->base.seed = seed;
  self->base.preview_every = preview;
  write_widgets(self);
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_steps_changed(PlSolverPanel *self) {
  if (self->updating)
    return;
  int from = self->base.steps;
  pl_solver_panel_get_params(self, &self->base);
  int steps = self->base.steps;
  self->base.steps = from;   /* scale ReSample's event spacing from the old length */
  pl_presets_scale_steps(&self->base, steps);
  self->updating = TRUE;
  gtk_spin_button_set_value(self->event_spin, self->base.resample.event_every);
  self->updating = FALSE;
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_value_changed(PlSolverPanel *self) {
  if (!self->updating)
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_omega_changed(PlSolverPanel *self) {
  if (self->updating)
    return;
  g_signal_emit(self, signals[SIGNAL_LIVE_CHANGED], 0, "omega",
                gtk_spin_button_get_value(self->omega_spin));
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_gamma_changed(PlSolverPanel *self) {
  if (self->updating)
    return;
  g_signal_emit(self, signals[SIGNAL_LIVE_CHANGED], 0, "gamma",
                gtk_spin_button_get_value(self->gamma_spin));
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_preview_changed(PlSolverPanel *self) {
  if (!self->updating)
    g_signal_emit(self, signals[SIGNAL_PREVIEW_EVERY], 0, pl_solver_panel_get_preview_every(self));
}

static void on_device_changed(PlSolverPanel *self) {
  g_signal_emit(self, signals[SIGNAL_DEVICE], 0);
}

static void pl_solver_panel_dispose(GObject *object) {
  gtk_widget_dispose_template(GTK_WIDGET(object), PL_TYPE_SOLVER_PANEL);
  G_OBJECT_CLASS(pl_solver_panel_parent_class)->dispose(object);
}

static void pl_solver_panel_class_init(PlSolverPanelClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = pl_solver_panel_dispose;
  GType t = G_TYPE_FROM_CLASS(klass);
  signals[SIGNAL_CHANGED] = g_signal_new("changed", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[SIGNAL_LIVE_CHANGED] = g_signal_new("live-changed", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                              G_TYPE_DOUBLE);
  signals[SIGNAL_PREVIEW_EVERY] = g_signal_new("preview-every-changed", t, G_SIGNAL_RUN_LAST, 0,
                                               NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_DEVICE] = g_signal_new("device-changed", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                        NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-solver-panel.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, PlSolverPanel, name)
  BIND(solver_dropdown);
  BIND(norm_dropdown);
  BIND(device_dropdown);
  BIND(timesteps_dropdown);
  BIND(glue_dropdown);
  BIND(meas_dropdown);
  BIND(omega_spin);
  BIND(gamma_spin);
  BIND(steps_spin);
  BIND(seed_spin);
  BIND(eta_spin);
  BIND(preview_spin);
  BIND(event_spin);
  BIND(latent_iters_spin);
  BIND(omega_label);
  BIND(gamma_label);
  BIND(resample_expander);
#undef BIND
}

static void pl_solver_panel_init(PlSolverPanel *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  pl_run_params_init(&self->base, PL_SOLVER_PSLD);
  pl_presets_scale_steps(&self->base, 100);
  self->base.preview_every = 5;
  write_widgets(self);
  g_signal_connect_swapped(self->solver_dropdown, "notify::selected", G_CALLBACK(on_solver_changed), self);
  g_signal_connect_swapped(self->norm_dropdown, "notify::selected", G_CALLBACK(on_value_changed), self);
  GtkDropDown *fidelity[] = {self->timesteps_dropdown, self->glue_dropdown, self->meas_dropdown};
  for (guint i = 0; i < G_N_ELEMENTS(fidelity); i++)
    g_signal_connect_swapped(fidelity[i], "notify::selected", G_CALLBACK(on_value_changed), self);
  g_signal_connect_swapped(self->device_dropdown, "notify::selected", G_CALLBACK(on_device_changed), self);
  g_signal_connect_swapped(self->omega_spin, "value-changed", G_CALLBACK(on_omega_changed), self);
  g_signal_connect_swapped(self->gamma_spin, "value-changed", G_CALLBACK(on_gamma_changed), self);
  g_signal_connect_swapped(self->steps_spin, "value-changed", G_CALLBACK(on_steps_changed), self);
  g_signal_connect_swapped(self->preview_spin, "value-changed", G_CALLBACK(on_preview_changed), self);
  GtkSpinButton *plain[] = {self->seed_spin, self->eta_spin, self->event_spin, self->latent_iters_spin};
  for (guint i = 0; i < G_N_ELEMENTS(plain); i++)
    g_signal_connect_swapped(plain[i], "value-changed", G_CALLBACK(on_value_changed), self);
}
