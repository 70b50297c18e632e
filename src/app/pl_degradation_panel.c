/* PlDegradationPanel: per-task parameters kept while switching tasks; measurement preview
 * in a GTask after a short debounce, stale results dropped by generation. */
#include "pl_degradation_panel.h"
#include <string.h>

#define DEBOUNCE_MS 60

struct _PlDegradationPanel {
  GtkBox parent_instance;
  GtkDropDown *task_dropdown;
  GtkStack *param_stack;
  GtkSpinButton *box_size_spin, *box_x_spin, *box_y_spin;
  GtkCheckButton *box_random_check;
  GtkWidget *box_pos_box;
  GtkRange *missing_scale, *brush_scale, *intensity_scale;
  PlMaskCanvas *mask_canvas;
  GtkToggleButton *erase_toggle;
  GtkWidget *undo_button, *redo_button;
  GtkSpinButton *gblur_kernel_spin, *mblur_kernel_spin, *sigma_spin, *sr_spin, *pad_spin;
  GtkSpinButton *noise_spin, *op_seed_spin;
  GtkDropDown *noise_units_dropdown;   /* row 0 = model units [-1,1] (PL_NOISE_UNITS_MODEL) */

  int size;
  PlOperatorParams params[PL_TASK_COUNT];
  gboolean updating;     /* widgets being set from code: no "changed" */
  PlImage *image;
  PlImage *measurement;
  guint debounce_id;
  guint generation;
  int busy;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE(PlDegradationPanel, pl_degradation_panel, GTK_TYPE_BOX)

enum { SIGNAL_CHANGED, SIGNAL_MEASUREMENT_CHANGED, SIGNAL_MEASUREMENT_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

static int odd(int k) { return k | 1; }

/* --- measurement preview job --- */

typedef struct {
  guint generation;
  PlOperatorParams op;
  float *mask;
  PlImage *clean;   /* [0,1] in, copied */
  PlImage *preview; /* out */
} MeasureJob;

static void measure_job_free(gpointer data) {
  MeasureJob *j = data;
  g_free(j->mask);
  pl_image_free(j->clean);
  pl_image_free(j->preview);
  g_free(j);
}

static void measure_thread(GTask *task, gpointer source, gpointer data, GCancellable *c) {
  (void)source;
  (void)c;
  MeasureJob *j = data;
  GError *error = NULL;
  j->op.mask = j->mask;
  g_autoptr(PlOperator) op = pl_operator_new(&j->op, &error);
  if (!op) {
    g_task_return_error(task, error);
    return;
  }
  g_autoptr(PlImage) x = pl_image_copy(j->clean);
  pl_image_to_model_range(x);
  float *y = g_new(float, pl_operator_y_len(op));
  pl_operator_measure(op, x->data, j->op.seed, y);
  j->preview = pl_operator_measurement_preview(op, y);
  g_free(y);
  g_task_return_boolean(task, TRUE);
}

static void measure_done(GObject *source, GAsyncResult *res, gpointer data) {
  (void)data;
  PlDegradationPanel *self = PL_DEGRADATION_PANEL(source);
  MeasureJob *j = g_task_get_task_data(G_TASK(res));
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean(G_TASK(res), &error);
  if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free(error);
    return;
  }
  self->busy--;
  if (j->generation != self->generation) {
    g_clear_error(&error);
    return;
  }
  if (!ok) {
    g_autofree char *msg = g_strdup_printf("Cannot make the measurement: %s", error->message);
    g_error_free(error);
    g_signal_emit(self, signals[SIGNAL_MEASUREMENT_FAILED], 0, msg);
    return;
  }
  pl_image_free(self->measurement);
  self->measurement = g_steal_pointer(&j->preview);
  g_signal_emit(self, signals[SIGNAL_MEASUREMENT_CHANGED], 0);
}

static gboolean measure_now(gpointer data) {
  PlDegradationPanel *self = data;
  self->debounce_id = 0;
  if (!self->image || self->image->h != self->size)
    return G_SOURCE_REMOVE;
  MeasureJob *j = g_new0(MeasureJob, 1);
  j->generation = ++self->generation;
  pl_degradation_panel_get_params(self, &j->op);
  if (j->op.mask)
    j->mask = g_memdup2(j->op.mask, sizeof(float) * self->size * self->size);
  j->op.mask = NULL;
  j->clean = pl_image_copy(self->image);
  self->busy++;
  GTask *task = g_task_new(self, self->cancellable, measure_done, NULL);
  g_task_set_task_data(task, j, measure_job_free);
  g_task_run_in_thread(task, measure_thread);
  g_object_unref(task);
  return G_SOURCE_REMOVE;
}

static void schedule_measurement(PlDegradationPanel *self) {
  g_clear_handle_id(&self->debounce_id, g_source_remove);
  self->debounce_id = g_timeout_add(DEBOUNCE_MS, measure_now, self);
}

/* --- widgets <-> parameters --- */

static void read_widgets(PlDegradationPanel *self) {
  PlTask task = gtk_drop_down_get_selected(self->task_dropdown);
  PlOperatorParams *p = &self->params[task];
  switch (task) {
  case PL_TASK_INPAINT_BOX: {
    int side = gtk_spin_button_get_value_as_int(self->box_size_spin);
    p->box_h = p->box_w = side;
    gboolean random = gtk_check_button_get_active(self->box_random_check);
    p->box_x = random ? -1 : gtk_spin_button_get_value_as_int(self->box_x_spin);
    p->box_y = random ? -1 : gtk_spin_button_get_value_as_int(self->box_y_spin);
    break;
  }
  case PL_TASK_INPAINT_RANDOM:
    p->missing_fraction = gtk_range_get_value(self->missing_scale);
    break;
  case PL_TASK_GAUSSIAN_BLUR:
    p->kernel_size = odd(gtk_spin_button_get_value_as_int(self->gblur_kernel_spin));
    p->blur_sigma = gtk_spin_button_get_value(self->sigma_spin);
    break;
  case PL_TASK_MOTION_BLUR:
    p->kernel_size = odd(gtk_spin_button_get_value_as_int(self->mblur_kernel_spin));
    p->motion_intensity = gtk_range_get_value(self->intensity_scale);
    break;
  case PL_TASK_SUPER_RESOLUTION:
    p->sr_factor = gtk_spin_button_get_value_as_int(self->sr_spin);
    break;
  case PL_TASK_PHASE_RETRIEVAL:
    p->pr_pad = gtk_spin_button_get_value_as_int(self->pad_spin);
    break;
  default:
    break;
  }
  double noise = gtk_spin_button_get_value(self->noise_spin);
  guint64 seed = (guint64)gtk_spin_button_get_value(self->op_seed_spin);
  PlNoiseUnits units = gtk_drop_down_get_selected(self->noise_units_dropdown) == 1
                           ? PL_NOISE_UNITS_UNIT
                           : PL_NOISE_UNITS_MODEL;
  for (int t = 0; t < PL_TASK_COUNT; t++) {
    self->params[t].noise_sigma = noise;
    self->params[t].noise_units = units;
    self->params[t].seed = seed;
  }
}

static void write_widgets(PlDegradationPanel *self) {
  PlTask task = gtk_drop_down_get_selected(self->task_dropdown);
  const PlOperatorParams *p = &self->params[task];
  self->updating = TRUE;
  gtk_stack_set_visible_child_name(self->param_stack, pl_task_name(task));
  switch (task) {
  case PL_TASK_INPAINT_BOX: {
    gtk_spin_button_set_value(self->box_size_spin, p->box_h);
    gboolean random = p->box_x < 0 || p->box_y < 0;
    gtk_check_button_set_active(self->box_random_check, random);
    gtk_widget_set_sensitive(self->box_pos_box, !random);
    if (!random) {
      gtk_spin_button_set_value(self->box_x_spin, p->box_x);
      gtk_spin_button_set_value(self->box_y_spin, p->box_y);
    }
    break;
  }
  case PL_TASK_INPAINT_RANDOM:
    gtk_range_set_value(self->missing_scale, p->missing_fraction);
    break;
  case PL_TASK_GAUSSIAN_BLUR:
    gtk_spin_button_set_value(self->gblur_kernel_spin, p->kernel_size);
    gtk_spin_button_set_value(self->sigma_spin, p->blur_sigma);
    break;
  case PL_TASK_MOTION_BLUR:
    gtk_spin_button_set_value(self->mblur_kernel_spin, p->kernel_size);
    gtk_range_set_value(self->intensity_scale, p->motion_intensity);
    break;
  case PL_TASK_SUPER_RESOLUTION:
    gtk_spin_button_set_value(self->sr_spin, p->sr_factor);
    break;
  case PL_TASK_PHASE_RETRIEVAL:
    gtk_spin_button_set_value(self->pad_spin, p->pr_pad);
    break;
  default:
    break;
  }
  gtk_spin_button_set_value(self->noise_spin, p->noise_sigma);
  gtk_drop_down_set_selected(self->noise_units_dropdown, p->noise_units == PL_NOISE_UNITS_UNIT);
  gtk_spin_button_set_value(self->op_seed_spin, (double)p->seed);
  self->updating = FALSE;
}

static void emit_changed(PlDegradationPanel *self) {
  schedule_measurement(self);
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_widget_changed(PlDegradationPanel *self) {
  if (self->updating)
    return;
  gtk_widget_set_sensitive(self->box_pos_box,
                           !gtk_check_button_get_active(self->box_random_check));
  read_widgets(self);
  emit_changed(self);
}

static void on_task_changed(PlDegradationPanel *self) {
  if (self->updating)
    return;
  write_widgets(self);
  emit_changed(self);
}

static void on_mask_changed(PlDegradationPanel *self) {
  if (pl_degradation_panel_get_task(self) == PL_TASK_INPAINT_MASK)
    emit_changed(self);
}

static void on_undo_clicked(GtkButton *b, PlDegradationPanel *self) {
  (void)b;
  pl_mask_canvas_undo(self->mask_canvas);
}
static void on_redo_clicked(GtkButton *b, PlDegradationPanel *self) {
  (void)b;
  pl_mask_canvas_redo(self->mask_canvas);
}
static void on_clear_clicked(GtkButton *b, PlDegradationPanel *self) {
  (void)b;
  pl_mask_canvas_clear(self->mask_canvas);
}
static void on_invert_clicked(GtkButton *b, PlDegradationPanel *self) {
  (void)b;
  pl_mask_canvas_invert(self->mask_canvas);
}

/* --- public --- */

static void init_params(PlDegradationPanel *self, double noise, guint64 seed) {
  for (int t = 0; t < PL_TASK_COUNT; t++) {
    pl_operator_params_init(&self->params[t], t, self->size);
    self->params[t].noise_sigma = noise;
    self->params[t].seed = seed;
  }
}

static void set_limits(PlDegradationPanel *self) {
  int n = self->size;
  gtk_adjustment_set_upper(gtk_spin_button_get_adjustment(self->box_size_spin), n);
  gtk_adjustment_set_upper(gtk_spin_button_get_adjustment(self->box_x_spin), n - 1);
  gtk_adjustment_set_upper(gtk_spin_button_get_adjustment(self->box_y_spin), n - 1);
  gtk_adjustment_set_upper(gtk_spin_button_get_adjustment(self->pad_spin), n);
  gtk_adjustment_set_upper(gtk_spin_button_get_adjustment(self->gblur_kernel_spin), odd(n - 1));
  gtk_adjustment_set_upper(gtk_spin_button_get_adjustment(self->mblur_kernel_spin), odd(n - 1));
  gtk_adjustment_set_upper(gtk_range_get_adjustment(self->brush_scale), MAX(8, n / 2));
}

void pl_degradation_panel_set_model_size(PlDegradationPanel *self, int size) {
  if (size <= 0 || size == self->size)
    return;
  double noise = self->params[0].noise_sigma;
  guint64 seed = self->params[0].seed;
  self->size = size;
  init_params(self, noise, seed);
  set_limits(self);
  pl_mask_canvas_set_size(self->mask_canvas, size);
  write_widgets(self);
  emit_changed(self);
}

void pl_degradation_panel_set_image(PlDegradationPanel *self, const PlImage *img) {
  pl_image_free(self->image);
  self->image = img ? pl_image_copy(img) : NULL;
  pl_mask_canvas_set_image(self->mask_canvas, img);
  schedule_measurement(self);
}

PlTask pl_degradation_panel_get_task(PlDegradationPanel *self) {
  return gtk_drop_down_get_selected(self->task_dropdown);
}

void pl_degradation_panel_set_task(PlDegradationPanel *self, PlTask task) {
  g_return_if_fail(task < PL_TASK_COUNT);
  gtk_drop_down_set_selected(self->task_dropdown, task);  /* notify -> on_task_changed */
}

void pl_degradation_panel_get_params(PlDegradationPanel *self, PlOperatorParams *out) {
  PlTask task = pl_degradation_panel_get_task(self);
  *out = self->params[task];
  out->task = task;
  out->size = self->size;
  out->mask = task == PL_TASK_INPAINT_MASK ? pl_mask_canvas_get_mask(self->mask_canvas) : NULL;
}

void pl_degradation_panel_set_params(PlDegradationPanel *self, const PlOperatorParams *op) {
  g_return_if_fail(op->task < PL_TASK_COUNT);
  PlOperatorParams p = *op;
  if (p.size != self->size) {
    /* Settings from a model of another size: keep the task, noise and seed only. */
    pl_operator_params_init(&p, op->task, self->size);
    p.noise_sigma = op->noise_sigma;
    p.noise_units = op->noise_units;
    p.seed = op->seed;
  }
  p.mask = NULL;
  self->params[p.task] = p;
  for (int t = 0; t < PL_TASK_COUNT; t++) {
    self->params[t].noise_sigma = p.noise_sigma;
    self->params[t].noise_units = p.noise_units;
    self->params[t].seed = p.seed;
  }
  self->updating = TRUE;
  gtk_drop_down_set_selected(self->task_dropdown, p.task);
  self->updating = FALSE;
  write_widgets(self);
  emit_changed(self);
}

PlMaskCanvas *pl_degradation_panel_get_mask_canvas(PlDegradationPanel *self) {
  return self->mask_canvas;
}

const PlImage *pl_degradation_panel_get_measurement(PlDegradationPanel *self) {
  return self->measurement;
}

gboolean pl_degradation_panel_is_busy(PlDegradationPanel *self) {
  return self->busy > 0 || self->debounce_id != 0;
}

/* --- class --- */

static void pl_degradation_panel_dispose(GObject *object) {
  PlDegradationPanel *self = PL_DEGRADATION_PANEL(object);
  g_cancellable_cancel(self->cancellable);
  g_clear_handle_id(&self->debounce_id, g_source_remove);
  gtk_widget_dispose_template(GTK_WIDGET(self), PL_TYPE_DEGRADATION_PANEL);
  G_OBJECT_CLASS(pl_degradation_panel_parent_class)->dispose(object);
}

static void pl_degradation_panel_finalize(GObject *object) {
  PlDegradationPanel *self = PL_DEGRADATION_PANEL(object);
  g_clear_object(&self->cancellable);
  pl_image_free(self->image);
  pl_image_free(self->measurement);
  G_OBJECT_CLASS(pl_degradation_panel_parent_class)->finalize(object);
}

static void pl_degradation_panel_class_init(PlDegradationPanelClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  object_class->dispose = pl_degradation_panel_dispose;
  object_class->finalize = pl_degradation_panel_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MEASUREMENT_CHANGED] =
      g_signal_new("measurement-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                   NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MEASUREMENT_FAILED] =
      g_signal_new("measurement-failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure(PL_TYPE_MASK_CANVAS);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-degradation-panel.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, PlDegradationPanel, name)
  BIND(task_dropdown);
  BIND(param_stack);
  BIND(box_size_spin);
  BIND(box_x_spin);
  BIND(box_y_spin);
  BIND(box_random_check);
  BIND(box_pos_box);
  BIND(missing_scale);
  BIND(brush_scale);
  BIND(intensity_scale);
  BIND(mask_canvas);
  BIND(erase_toggle);
  BIND(undo_button);
  BIND(redo_button);
  BIND(gblur_kernel_spin);
  BIND(mblur_kernel_spin);
  BIND(sigma_spin);
  BIND(sr_spin);
  BIND(pad_spin);
  BIND(noise_spin);
  BIND(op_seed_spin);
  BIND(noise_units_dropdown);
#undef BIND
  gtk_widget_class_bind_template_callback(wc, on_undo_clicked);
  gtk_widget_class_bind_template_callback(wc, on_redo_clicked);
  gtk_widget_class_bind_template_callback(wc, on_clear_clicked);
  gtk_widget_class_bind_template_callback(wc, on_invert_clicked);
}

static void pl_degradation_panel_init(PlDegradationPanel *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  self->cancellable = g_cancellable_new();
  self->size = 64;
  init_params(self, 0.01, 0);

  GtkStringList *tasks = gtk_string_list_new(NULL);
  for (int t = 0; t < PL_TASK_COUNT; t++)
    gtk_string_list_append(tasks, pl_task_label(t));
  self->updating = TRUE;
  gtk_drop_down_set_model(self->task_dropdown, G_LIST_MODEL(tasks));
  g_object_unref(tasks);
  gtk_drop_down_set_selected(self->task_dropdown, PL_TASK_INPAINT_BOX);
  self->updating = FALSE;
  pl_mask_canvas_set_size(self->mask_canvas, self->size);
  set_limits(self);
  write_widgets(self);

  g_object_bind_property(gtk_range_get_adjustment(self->brush_scale), "value", self->mask_canvas,
                         "brush-size", G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property(self->erase_toggle, "active", self->mask_canvas, "erase",
                         G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property(self->mask_canvas, "can-undo", self->undo_button, "sensitive",
                         G_BINDING_SYNC_CREATE);
  g_object_bind_property(self->mask_canvas, "can-redo", self->redo_button, "sensitive",
                         G_BINDING_SYNC_CREATE);
  g_signal_connect_swapped(self->mask_canvas, "mask-changed", G_CALLBACK(on_mask_changed), self);
  g_signal_connect_swapped(self->task_dropdown, "notify::selected", G_CALLBACK(on_task_changed), self);

  GObject *value_widgets[] = {
      G_OBJECT(self->box_size_spin), G_OBJECT(self->box_x_spin),  G_OBJECT(self->box_y_spin),
      G_OBJECT(self->gblur_kernel_spin), G_OBJECT(self->mblur_kernel_spin),
      G_OBJECT(self->sigma_spin),    G_OBJECT(self->sr_spin),     G_OBJECT(self->pad_spin),
      G_OBJECT(self->noise_spin),    G_OBJECT(self->op_seed_spin),
  };
  for (guint i = 0; i < G_N_ELEMENTS(value_widgets); i++)
    g_signal_connect_swapped(value_widgets[i], "value-changed", G_CALLBACK(on_widget_changed), self);
  g_signal_connect_swapped(self->missing_scale, "value-changed", G_CALLBACK(on_widget_changed), self);
  g_signal_connect_swapped(self->intensity_scale, "value-changed", G_CALLBACK(on_widget_changed), self);
  g_signal_connect_swapped(self->box_random_check, "toggled", G_CALLBACK(on_widget_changed), self);
  g_signal_connect_swapped(self->noise_units_dropdown, "notify::selected",
                           G_CALLBACK(on_widget_changed), self);
}
