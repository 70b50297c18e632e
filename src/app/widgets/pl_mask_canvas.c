/* PlMaskCanvas: brush painting of an inpainting mask, with per-action undo. */
#include "pl_mask_canvas.h"
#include "pl_plot_private.h"

#include <math.h>
#include <string.h>

struct _PlMaskCanvas {
  GtkWidget parent_instance;

  int n;
  float *mask;                 /* n*n, 1 observed, 0 missing */
  cairo_surface_t *base;
  cairo_surface_t *overlay;    /* n x n, rebuilt lazily when the mask changed */
  GPtrArray *undo, *redo;      /* float[n*n] snapshots taken before each action */

  double brush_size;
  gboolean erase;
  double font_scale;

  /* The stroke in progress (mouse or programmatic). */
  gboolean stroking;
  gboolean stroke_erase;
  gboolean has_last;
  double last_x, last_y;
  float *stroke_before;

  gboolean hovering;
  double hover_x, hover_y;     /* widget coordinates */
  double drag_x0, drag_y0;
};

G_DEFINE_FINAL_TYPE(PlMaskCanvas, pl_mask_canvas, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SIZE,
  PROP_BRUSH_SIZE,
  PROP_ERASE,
  PROP_FONT_SCALE,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum { SIGNAL_MASK_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

GtkWidget *
pl_mask_canvas_new(void)
{
  return g_object_new(PL_TYPE_MASK_CANVAS, NULL);
}

static size_t
mask_len(PlMaskCanvas *self)
{
  return (size_t)self->n * self->n;
}

static float *
mask_dup(PlMaskCanvas *self)
{
  return g_memdup2(self->mask, mask_len(self) * sizeof(float));
}

/* After any change of the mask: redraw, and tell listeners when the action is complete. */
static void
mask_touched(PlMaskCanvas *self)
{
  g_clear_pointer(&self->overlay, cairo_surface_destroy);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void
history_notify(PlMaskCanvas *self, gboolean could_undo, gboolean could_redo)
{
  if (could_undo != pl_mask_canvas_can_undo(self))
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CAN_UNDO]);
  if (could_redo != pl_mask_canvas_can_redo(self))
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CAN_REDO]);
}

static void
push_bounded(GPtrArray *stack, float *snapshot)
{
  g_ptr_array_add(stack, snapshot);
  if (stack->len > PL_MASK_CANVAS_HISTORY)
    g_ptr_array_remove_index(stack, 0);
}

/* Records `before` (taken ownership of) as one undoable action, if the mask changed. */
static void
commit_action(PlMaskCanvas *self, float *before)
{
  if (memcmp(before, self->mask, mask_len(self) * sizeof(float)) == 0) {
    g_free(before);
    return;
  }
  gboolean u = pl_mask_canvas_can_undo(self), r = pl_mask_canvas_can_redo(self);
  push_bounded(self->undo, before);
  g_ptr_array_set_size(self->redo, 0);
  mask_touched(self);
  history_notify(self, u, r);
  g_signal_emit(self, signals[SIGNAL_MASK_CHANGED], 0);
}

/* --- strokes: the single path for mouse and programmatic painting --- */

static void
stroke_begin(PlMaskCanvas *self, gboolean erase)
{
  if (self->stroking)
    return;
  self->stroking = TRUE;
  self->stroke_erase = erase;
  self->has_last = FALSE;
  self->stroke_before = mask_dup(self);
}

/* Squared distance from (px, py) to the segment a-b. */
static double
segment_dist2(double px, double py, double ax, double ay, double bx, double by)
{
  double dx = bx - ax, dy = by - ay;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = CLAMP(t, 0.0, 1.0);
  double ex = ax + t * dx - px, ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

static void
stroke_to(PlMaskCanvas *self, double x, double y)
{
  if (!self->stroking || !isfinite(x) || !isfinite(y))
    return;
  double ax = self->has_last ? self->last_x : x, ay = self->has_last ? self->last_y : y;
  double r = self->brush_size / 2, r2 = r * r;
  float value = self->stroke_erase ? 1.0f : 0.0f;
  int n = self->n;
  /* Pixel centres within r of the segment: scan only its bounding box. */
  int i0 = MAX(0, (int)floor(MIN(ax, x) - r - 0.5)), i1 = MIN(n - 1, (int)ceil(MAX(ax, x) + r - 0.5));
  int j0 = MAX(0, (int)floor(MIN(ay, y) - r - 0.5)), j1 = MIN(n - 1, (int)ceil(MAX(ay, y) + r - 0.5));
  gboolean changed = FALSE;
  for (int j = j0; j <= j1; j++)
    for (int i = i0; i <= i1; i++)
      if (segment_dist2(i + 0.5, j + 0.5, ax, ay, x, y) <= r2 && self->mask[(size_t)j * n + i] != value) {
        self->mask[(size_t)j * n + i] = value;
        changed = TRUE;
      }
  self->last_x = x;
  self->last_y = y;
  self->has_last = TRUE;
  if (changed)
    mask_touched(self);
}

static void
stroke_end(PlMaskCanvas *self)
{
  if (!self->stroking)
    return;
  self->stroking = FALSE;
  commit_action(self, g_steal_pointer(&self->stroke_before));
}

void
pl_mask_canvas_stroke(PlMaskCanvas *self, const double *xy, int npoints)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  g_return_if_fail(xy != NULL || npoints == 0);
  if (self->stroking || npoints <= 0)
    return;
  stroke_begin(self, self->erase);
  for (int k = 0; k < npoints; k++)
    stroke_to(self, xy[2 * k], xy[2 * k + 1]);
  stroke_end(self);
}

/* --- drawing --- */

static gboolean
canvas_rect(PlMaskCanvas *self, graphene_rect_t *r)
{
  int w = gtk_widget_get_width(GTK_WIDGET(self)), h = gtk_widget_get_height(GTK_WIDGET(self));
  double side = MIN(w, h);
  graphene_rect_init(r, floor((w - side) / 2), floor((h - side) / 2), side, side);
  return side > 0;
}

static cairo_surface_t *
overlay_surface(PlMaskCanvas *self)
{
  if (self->overlay != NULL)
    return self->overlay;
  int n = self->n;
  self->overlay = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, n, n);
  cairo_surface_flush(self->overlay);
  guint8 *data = cairo_image_surface_get_data(self->overlay);
  int stride = cairo_image_surface_get_stride(self->overlay);
  /* Translucent red, premultiplied (alpha 0.55). */
  const guint32 a = 140, missing = a << 24 | ((230 * a / 255) << 16) | ((40 * a / 255) << 8) | (80 * a / 255);
  for (int j = 0; j < n; j++) {
    guint32 *row = (guint32 *)(void *)(data + (size_t)j * stride);
    for (int i = 0; i < n; i++)
      row[i] = self->mask[(size_t)j * n + i] > 0.5f ? 0 : missing;
  }
  cairo_surface_mark_dirty(self->overlay);
  return self->overlay;
}

static void
paint_scaled(cairo_t *cr, cairo_surface_t *s, const graphene_rect_t *r)
{
  cairo_save(cr);
  cairo_translate(cr, r->origin.x, r->origin.y);
  cairo_scale(cr, r->size.width / cairo_image_surface_get_width(s),
              r->size.height / cairo_image_surface_get_height(s));
  cairo_set_source_surface(cr, s, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_restore(cr);
}

static void
pl_mask_canvas_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlMaskCanvas *self = PL_MASK_CANVAS(widget);
  graphene_rect_t r;
  if (!canvas_rect(self, &r))
    return;

  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &r);
  if (self->base != NULL) {
    paint_scaled(cr, self->base, &r);
  } else {
    /* Checkerboard: there is no image yet, only the mask. */
    double cell = r.size.width / 8;
    for (int j = 0; j < 8; j++)
      for (int i = 0; i < 8; i++) {
        double g = (i + j) % 2 ? 0.55 : 0.45;
        cairo_set_source_rgb(cr, g, g, g);
        cairo_rectangle(cr, r.origin.x + i * cell, r.origin.y + j * cell, cell, cell);
        cairo_fill(cr);
      }
  }
  paint_scaled(cr, overlay_surface(self), &r);

  if (self->hovering && graphene_rect_contains_point(&r, &GRAPHENE_POINT_INIT(self->hover_x, self->hover_y))) {
    PlPlotInk ink;
    pl_plot_ink_for_widget(widget, self->font_scale, &ink);
    double scale = r.size.width / self->n;
    double radius = MAX(1.0, self->brush_size / 2 * scale);
    cairo_set_line_width(cr, 1.5);
    cairo_arc(cr, self->hover_x, self->hover_y, radius, 0, 2 * G_PI);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.8);
    cairo_stroke_preserve(cr);
    double dash[] = { 3, 3 };
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);

    int i = CLAMP((int)floor((self->hover_x - r.origin.x) / scale), 0, self->n - 1);
    int j = CLAMP((int)floor((self->hover_y - r.origin.y) / scale), 0, self->n - 1);
    gboolean observed = self->mask[(size_t)j * self->n + i] > 0.5f;
    char *lines[2];
    lines[0] = g_strdup_printf("x %d  y %d  %s", i, j, observed ? "observed" : "missing");
    lines[1] = g_strdup_printf("%d of %d missing%s", pl_mask_canvas_count_missing(self),
                               self->n * self->n, self->erase ? "  (erase)" : "");
    PlPlotText t;
    pl_plot_text_init(&t, &ink);
    pl_plot_draw_readout(cr, &t, &ink, (const char *const *)lines, NULL, 2,
                         self->hover_x + radius, self->hover_y + radius, &r);
    pl_plot_text_clear(&t);
    g_free(lines[0]);
    g_free(lines[1]);
  }
  cairo_destroy(cr);
}

static void
pl_mask_canvas_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                       int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  (void)widget;
  (void)orientation;
  (void)for_size;
  *minimum = 64;
  *natural = 384;
  *min_baseline = *nat_baseline = -1;
}

/* --- input --- */

static void
widget_to_mask(PlMaskCanvas *self, double wx, double wy, double *mx, double *my)
{
  graphene_rect_t r;
  canvas_rect(self, &r);
  double s = r.size.width > 0 ? self->n / r.size.width : 0;
  *mx = (wx - r.origin.x) * s;
  *my = (wy - r.origin.y) * s;
}

static void
on_drag_begin(GtkGestureDrag *g, double x, double y, PlMaskCanvas *self)
{
  guint button = gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(g));
  double mx, my;
  gtk_gesture_set_state(GTK_GESTURE(g), GTK_EVENT_SEQUENCE_CLAIMED);
  self->drag_x0 = x;
  self->drag_y0 = y;
  stroke_begin(self, self->erase || button == GDK_BUTTON_SECONDARY);
  widget_to_mask(self, x, y, &mx, &my);
  stroke_to(self, mx, my);
}

static void
on_drag_update(GtkGestureDrag *g, double dx, double dy, PlMaskCanvas *self)
{
  (void)g;
  double mx, my;
  self->hover_x = self->drag_x0 + dx;
  self->hover_y = self->drag_y0 + dy;
  widget_to_mask(self, self->hover_x, self->hover_y, &mx, &my);
  stroke_to(self, mx, my);
}

static void
on_drag_end(GtkGestureDrag *g, double dx, double dy, PlMaskCanvas *self)
{
  on_drag_update(g, dx, dy, self);
  stroke_end(self);
}

static void
on_drag_cancel(GtkGesture *g, GdkEventSequence *seq, PlMaskCanvas *self)
{
  (void)g;
  (void)seq;
  stroke_end(self);   /* keep what was painted; it can be undone */
}

static void
on_motion(GtkEventControllerMotion *c, double x, double y, PlMaskCanvas *self)
{
  (void)c;
  self->hovering = TRUE;
  self->hover_x = x;
  self->hover_y = y;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void
on_leave(GtkEventControllerMotion *c, PlMaskCanvas *self)
{
  (void)c;
  self->hovering = FALSE;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* --- API --- */

void
pl_mask_canvas_set_image(PlMaskCanvas *self, const PlImage *img)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  g_clear_pointer(&self->base, cairo_surface_destroy);
  self->base = pl_surface_from_image(img);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_mask_canvas_set_size(PlMaskCanvas *self, int n)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  g_return_if_fail(n >= 1 && n <= PL_IMAGE_MAX_SIDE);
  gboolean u = pl_mask_canvas_can_undo(self), r = pl_mask_canvas_can_redo(self);
  if (self->stroking) {
    self->stroking = FALSE;
    g_clear_pointer(&self->stroke_before, g_free);
  }
  gboolean resized = n != self->n;
  g_free(self->mask);
  self->n = n;
  self->mask = g_new(float, mask_len(self));
  for (size_t k = 0; k < mask_len(self); k++)
    self->mask[k] = 1.0f;
  g_ptr_array_set_size(self->undo, 0);
  g_ptr_array_set_size(self->redo, 0);
  if (resized)
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SIZE]);
  self->brush_size = MIN(self->brush_size, (double)n);
  mask_touched(self);
  history_notify(self, u, r);
  g_signal_emit(self, signals[SIGNAL_MASK_CHANGED], 0);
}

int
pl_mask_canvas_get_size(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), 0);
  return self->n;
}

const float *
pl_mask_canvas_get_mask(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), NULL);
  return self->mask;
}

int
pl_mask_canvas_count_missing(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), 0);
  int count = 0;
  for (size_t k = 0; k < mask_len(self); k++)
    count += self->mask[k] <= 0.5f;
  return count;
}

void
pl_mask_canvas_set_mask(PlMaskCanvas *self, const float *mask)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  g_return_if_fail(mask != NULL);
  if (self->stroking)
    return;
  float *before = mask_dup(self);
  for (size_t k = 0; k < mask_len(self); k++)
    self->mask[k] = mask[k] > 0.5f ? 1.0f : 0.0f;
  commit_action(self, before);
}

void
pl_mask_canvas_clear(PlMaskCanvas *self)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  if (self->stroking)
    return;
  float *before = mask_dup(self);
  for (size_t k = 0; k < mask_len(self); k++)
    self->mask[k] = 1.0f;
  commit_action(self, before);
}

void
pl_mask_canvas_invert(PlMaskCanvas *self)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  if (self->stroking)
    return;
  float *before = mask_dup(self);
  for (size_t k = 0; k < mask_len(self); k++)
    self->mask[k] = self->mask[k] > 0.5f ? 0.0f : 1.0f;
  commit_action(self, before);
}

/* Moves the current mask onto `to` and restores the top of `from`. */
static gboolean
history_step(PlMaskCanvas *self, GPtrArray *from, GPtrArray *to)
{
  if (self->stroking || from->len == 0)
    return FALSE;
  gboolean u = pl_mask_canvas_can_undo(self), r = pl_mask_canvas_can_redo(self);
  float *snapshot = g_ptr_array_steal_index(from, from->len - 1);
  push_bounded(to, self->mask);
  self->mask = snapshot;
  mask_touched(self);
  history_notify(self, u, r);
  g_signal_emit(self, signals[SIGNAL_MASK_CHANGED], 0);
  return TRUE;
}

gboolean
pl_mask_canvas_undo(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), FALSE);
  return history_step(self, self->undo, self->redo);
}

gboolean
pl_mask_canvas_redo(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), FALSE);
  return history_step(self, self->redo, self->undo);
}

gboolean
pl_mask_canvas_can_undo(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), FALSE);
  return self->undo->len > 0;
}

gboolean
pl_mask_canvas_can_redo(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), FALSE);
  return self->redo->len > 0;
}

void
pl_mask_canvas_set_brush_size(PlMaskCanvas *self, double size)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  size = isfinite(size) ? CLAMP(size, 0.5, (double)MAX(self->n, 1)) : 6.0;
  if (self->brush_size == size)
    return;
  self->brush_size = size;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BRUSH_SIZE]);
}

double
pl_mask_canvas_get_brush_size(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), 0);
  return self->brush_size;
}

void
pl_mask_canvas_set_erase(PlMaskCanvas *self, gboolean erase)
{
  g_return_if_fail(PL_IS_MASK_CANVAS(self));
  erase = !!erase;
  if (self->erase == erase)
    return;
  self->erase = erase;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ERASE]);
}

gboolean
pl_mask_canvas_get_erase(PlMaskCanvas *self)
{
  g_return_val_if_fail(PL_IS_MASK_CANVAS(self), FALSE);
  return self->erase;
}

/* --- GObject --- */

static void
pl_mask_canvas_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  PlMaskCanvas *self = PL_MASK_CANVAS(object);
  switch (id) {
  case PROP_SIZE: g_value_set_int(value, self->n); break;
  case PROP_BRUSH_SIZE: g_value_set_double(value, self->brush_size); break;
  case PROP_ERASE: g_value_set_boolean(value, self->erase); break;
  case PROP_FONT_SCALE: g_value_set_double(value, self->font_scale); break;
  case PROP_CAN_UNDO: g_value_set_boolean(value, pl_mask_canvas_can_undo(self)); break;
  case PROP_CAN_REDO: g_value_set_boolean(value, pl_mask_canvas_can_redo(self)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_mask_canvas_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  PlMaskCanvas *self = PL_MASK_CANVAS(object);
  switch (id) {
  case PROP_SIZE: pl_mask_canvas_set_size(self, g_value_get_int(value)); break;
  case PROP_BRUSH_SIZE: pl_mask_canvas_set_brush_size(self, g_value_get_double(value)); break;
  case PROP_ERASE: pl_mask_canvas_set_erase(self, g_value_get_boolean(value)); break;
  case PROP_FONT_SCALE:
    self->font_scale = g_value_get_double(value);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_object_notify_by_pspec(object, pspec);
    break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_mask_canvas_finalize(GObject *object)
{
  PlMaskCanvas *self = PL_MASK_CANVAS(object);
  g_clear_pointer(&self->mask, g_free);
  g_clear_pointer(&self->stroke_before, g_free);
  g_clear_pointer(&self->base, cairo_surface_destroy);
  g_clear_pointer(&self->overlay, cairo_surface_destroy);
  g_clear_pointer(&self->undo, g_ptr_array_unref);
  g_clear_pointer(&self->redo, g_ptr_array_unref);
  G_OBJECT_CLASS(pl_mask_canvas_parent_class)->finalize(object);
}

static void
pl_mask_canvas_class_init(PlMaskCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->finalize = pl_mask_canvas_finalize;
  object_class->get_property = pl_mask_canvas_get_property;
  object_class->set_property = pl_mask_canvas_set_property;
  widget_class->snapshot = pl_mask_canvas_snapshot;
  widget_class->measure = pl_mask_canvas_measure;

  GParamFlags f = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  props[PROP_SIZE] = g_param_spec_int("size", NULL, NULL, 1, PL_IMAGE_MAX_SIDE, 64, f);
  props[PROP_BRUSH_SIZE] = g_param_spec_double("brush-size", NULL, NULL, 0.5, PL_IMAGE_MAX_SIDE, 6.0, f);
  props[PROP_ERASE] = g_param_spec_boolean("erase", NULL, NULL, FALSE, f);
  props[PROP_FONT_SCALE] = g_param_spec_double("font-scale", NULL, NULL, 0.25, 8.0, 1.0, f);
  props[PROP_CAN_UNDO] = g_param_spec_boolean("can-undo", NULL, NULL, FALSE, ro);
  props[PROP_CAN_REDO] = g_param_spec_boolean("can-redo", NULL, NULL, FALSE, ro);
  g_object_class_install_properties(object_class, N_PROPS, props);

  signals[SIGNAL_MASK_CHANGED] = g_signal_new("mask-changed", G_TYPE_FROM_CLASS(klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name(widget_class, "plmaskcanvas");
}

static void
pl_mask_canvas_init(PlMaskCanvas *self)
{
  self->undo = g_ptr_array_new_with_free_func(g_free);
  self->redo = g_ptr_array_new_with_free_func(g_free);
  self->brush_size = 6.0;
  self->font_scale = 1.0;
  self->n = 64;
  self->mask = g_new(float, mask_len(self));
  for (size_t k = 0; k < mask_len(self); k++)
    self->mask[k] = 1.0f;

  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "crosshair");

  GtkGesture *drag = gtk_gesture_drag_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), 0);   /* primary paints, secondary erases */
  g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), self);
  g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), self);
  g_signal_connect(drag, "drag-end", G_CALLBACK(on_drag_end), self);
  g_signal_connect(drag, "cancel", G_CALLBACK(on_drag_cancel), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
  gtk_widget_add_controller(GTK_WIDGET(self), motion);
}
