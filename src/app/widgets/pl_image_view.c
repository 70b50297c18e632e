/* PlImageView: one image (or a before/after pair) drawn with Cairo, letterboxed. */
#include "pl_image_view.h"
#include "pl_plot_private.h"

#include <math.h>

struct _PlImageView {
  GtkWidget parent_instance;

  cairo_surface_t *surface[2];   /* 0 = main/before, 1 = compare/after */
  PlImage *values[2];            /* float copies for an exact hover readout, or NULL */
  char *caption;
  char *labels[2];
  gboolean caption_overlay;
  gboolean nearest;
  gboolean compare;
  double split;
  double font_scale;

  gboolean hovering;
  double hover_x, hover_y;
  double drag_x0;
};

G_DEFINE_FINAL_TYPE(PlImageView, pl_image_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CAPTION,
  PROP_CAPTION_OVERLAY,
  PROP_NEAREST,
  PROP_COMPARE,
  PROP_SPLIT,
  PROP_BEFORE_LABEL,
  PROP_AFTER_LABEL,
  PROP_FONT_SCALE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

GtkWidget *
pl_image_view_new(void)
{
  return g_object_new(PL_TYPE_IMAGE_VIEW, NULL);
}

static gboolean
showing_compare(PlImageView *self)
{
  return self->compare && self->surface[0] != NULL && self->surface[1] != NULL;
}

static double
caption_height(PlImageView *self, const PlPlotInk *ink)
{
  if (self->caption == NULL || self->caption[0] == '\0' || self->caption_overlay)
    return 0;
  return ceil(ink->font_size * 1.7);
}

static gboolean
image_rect(PlImageView *self, const PlPlotInk *ink, int width, int height, graphene_rect_t *out)
{
  cairo_surface_t *s = self->surface[0] ? self->surface[0] : self->surface[1];
  if (s == NULL)
    return FALSE;
  double iw = cairo_image_surface_get_width(s), ih = cairo_image_surface_get_height(s);
  double avail_h = MAX(1.0, height - caption_height(self, ink));
  double scale = MIN(width / iw, avail_h / ih);
  double w = iw * scale, h = ih * scale;
  /* Whole pixels keep the edges crisp. */
  graphene_rect_init(out, floor((width - w) / 2), floor((avail_h - h) / 2), round(w), round(h));
  return w > 0 && h > 0;
}

gboolean
pl_image_view_get_image_rect(PlImageView *self, int width, int height, graphene_rect_t *out)
{
  g_return_val_if_fail(PL_IS_IMAGE_VIEW(self), FALSE);
  PlPlotInk ink;
  pl_plot_ink_for_widget(GTK_WIDGET(self), self->font_scale, &ink);
  return image_rect(self, &ink, width, height, out);
}

static void
paint_surface(PlImageView *self, cairo_t *cr, cairo_surface_t *s, const graphene_rect_t *r)
{
  double sx = r->size.width / cairo_image_surface_get_width(s);
  double sy = r->size.height / cairo_image_surface_get_height(s);
  cairo_save(cr);
  cairo_translate(cr, r->origin.x, r->origin.y);
  cairo_scale(cr, sx, sy);
  cairo_set_source_surface(cr, s, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr),
                           self->nearest ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_BILINEAR);
  /* PAD keeps bilinear edges from fading; the fill bounds it to the image. */
  cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
  cairo_rectangle(cr, 0, 0, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s));
  cairo_fill(cr);
  cairo_restore(cr);
}

/* Value text of pixel (px, py) of image i, from the float copy when there is one. */
static char *
pixel_text(PlImageView *self, int i, int px, int py)
{
  const PlImage *v = self->values[i];
  if (v != NULL && px < v->w && py < v->h) {
    size_t o = (size_t)py * v->w + px;
    if (v->c == 1)
      return g_strdup_printf("%.3f", v->data[o]);
    size_t n = (size_t)v->h * v->w;
    return g_strdup_printf("%.3f %.3f %.3f", v->data[o], v->data[n + o], v->data[2 * n + o]);
  }
  cairo_surface_t *s = self->surface[i];
  if (px >= cairo_image_surface_get_width(s) || py >= cairo_image_surface_get_height(s))
    return g_strdup("–");
  cairo_surface_flush(s);
  const guint8 *row = cairo_image_surface_get_data(s) + (size_t)py * cairo_image_surface_get_stride(s);
  guint32 p = ((const guint32 *)(const void *)row)[px];
  guint a = p >> 24;
  if (a == 0)
    return g_strdup("transparent");
  /* Undo the premultiplication for display. */
  return g_strdup_printf("%.3f %.3f %.3f", ((p >> 16) & 0xff) / (double)a,
                         ((p >> 8) & 0xff) / (double)a, (p & 0xff) / (double)a);
}

static void
draw_hover(PlImageView *self, cairo_t *cr, PlPlotText *t, const PlPlotInk *ink,
           const graphene_rect_t *r, int width, int height)
{
  if (!self->hovering || !graphene_rect_contains_point(r, &GRAPHENE_POINT_INIT(self->hover_x, self->hover_y)))
    return;
  cairo_surface_t *s = self->surface[0] ? self->surface[0] : self->surface[1];
  int iw = cairo_image_surface_get_width(s), ih = cairo_image_surface_get_height(s);
  int px = CLAMP((int)floor((self->hover_x - r->origin.x) / r->size.width * iw), 0, iw - 1);
  int py = CLAMP((int)floor((self->hover_y - r->origin.y) / r->size.height * ih), 0, ih - 1);

  char *lines[3] = { NULL, NULL, NULL };
  int n = 0;
  lines[n++] = g_strdup_printf("x %d  y %d", px, py);
  for (int i = 0; i < 2; i++) {
    if (self->surface[i] == NULL || (i == 1 && !showing_compare(self)))
      continue;
    g_autofree char *v = pixel_text(self, i, px, py);
    if (showing_compare(self)) {
      g_autofree char *name = g_markup_escape_text(self->labels[i] ? self->labels[i] :
                                                   (i == 0 ? "before" : "after"), -1);
      lines[n++] = g_strdup_printf("%s  %s", name, v);
    } else {
      lines[n++] = g_strdup(v);
    }
  }
  graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, width, height);
  pl_plot_draw_readout(cr, t, ink, (const char *const *)lines, NULL, n, self->hover_x,
                       self->hover_y, &bounds);
  for (int i = 0; i < n; i++)
    g_free(lines[i]);
}

static void
draw_label_chip(cairo_t *cr, PlPlotText *t, const char *text, double x, double y, double ax)
{
  g_autofree char *m = g_markup_escape_text(text, -1);
  double w, h, pad = t->size * 0.3;
  pl_plot_text_measure(t, m, 0.85, &w, &h);
  double bx = x - ax * (w + 2 * pad);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
  cairo_rectangle(cr, bx, y, w + 2 * pad, h + pad);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  pl_plot_text_draw(t, cr, m, 0.85, bx + pad, y + pad / 2, 0, 0);
}

static void
pl_image_view_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlImageView *self = PL_IMAGE_VIEW(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  if (width <= 0 || height <= 0)
    return;

  PlPlotInk ink;
  pl_plot_ink_for_widget(widget, self->font_scale, &ink);
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
  PlPlotText t;
  pl_plot_text_init(&t, &ink);

  graphene_rect_t r;
  if (!image_rect(self, &ink, width, height, &r)) {
    /* Placeholder: a faint frame, so an empty slot is still visible. */
    double side = MIN(width, height) - 2;
    double d[] = { 4, 4 };
    pl_plot_set_rgba(cr, &ink.fg, 0.25);
    cairo_set_dash(cr, d, 2, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, floor((width - side) / 2) + 0.5, floor((height - side) / 2) + 0.5, side, side);
    cairo_stroke(cr);
    pl_plot_text_clear(&t);
    cairo_destroy(cr);
    return;
  }

  if (showing_compare(self)) {
    double sx = r.origin.x + round(r.size.width * self->split);
    cairo_save(cr);
    cairo_rectangle(cr, r.origin.x, r.origin.y, sx - r.origin.x, r.size.height);
    cairo_clip(cr);
    paint_surface(self, cr, self->surface[0], &r);
    cairo_restore(cr);
    cairo_save(cr);
    cairo_rectangle(cr, sx, r.origin.y, r.origin.x + r.size.width - sx, r.size.height);
    cairo_clip(cr);
    paint_surface(self, cr, self->surface[1], &r);
    cairo_restore(cr);

    /* Split line: dark edge + light core, visible on any image; a round grip. */
    cairo_set_line_width(cr, 3);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_move_to(cr, sx, r.origin.y);
    cairo_line_to(cr, sx, r.origin.y + r.size.height);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 1);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_move_to(cr, sx, r.origin.y);
    cairo_line_to(cr, sx, r.origin.y + r.size.height);
    cairo_stroke(cr);
    double gy = r.origin.y + r.size.height / 2, gr = MAX(6.0, ink.font_size * 0.6);
    cairo_arc(cr, sx, gy, gr, 0, 2 * G_PI);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_stroke(cr);

    const char *before = self->labels[0] ? self->labels[0] : "before";
    const char *after = self->labels[1] ? self->labels[1] : "after";
    if (before[0])
      draw_label_chip(cr, &t, before, r.origin.x + 4, r.origin.y + 4, 0);
    if (after[0])
      draw_label_chip(cr, &t, after, r.origin.x + r.size.width - 4, r.origin.y + 4, 1);
  } else {
    paint_surface(self, cr, self->surface[0] ? self->surface[0] : self->surface[1], &r);
  }

  if (self->caption != NULL && self->caption[0] != '\0') {
    g_autofree char *m = g_markup_escape_text(self->caption, -1);
    if (self->caption_overlay) {
      double h;
      pl_plot_text_measure(&t, m, 1.0, NULL, &h);
      cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
      cairo_rectangle(cr, r.origin.x, r.origin.y + r.size.height - h - 4, r.size.width, h + 4);
      cairo_fill(cr);
      cairo_set_source_rgb(cr, 1, 1, 1);
      pl_plot_text_draw(&t, cr, m, 1.0, r.origin.x + r.size.width / 2,
                        r.origin.y + r.size.height - 2, 0.5, 1.0);
    } else {
      pl_plot_set_rgba(cr, &ink.fg, 1.0);
      pl_plot_text_draw(&t, cr, m, 1.0, width / 2.0, r.origin.y + r.size.height + ink.font_size * 0.3,
                        0.5, 0.0);
    }
  }

  draw_hover(self, cr, &t, &ink, &r, width, height);
  pl_plot_text_clear(&t);
  cairo_destroy(cr);
}

static void
pl_image_view_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  PlImageView *self = PL_IMAGE_VIEW(widget);
  cairo_surface_t *s = self->surface[0] ? self->surface[0] : self->surface[1];
  int side = 0;
  if (s != NULL)
    side = orientation == GTK_ORIENTATION_HORIZONTAL ? cairo_image_surface_get_width(s)
                                                     : cairo_image_surface_get_height(s);
  (void)for_size;
  *minimum = 32;
  /* 64x64 model images: 4x by default, large enough to see artifacts. */
  *natural = CLAMP(side * 4, 128, 512);
  if (orientation == GTK_ORIENTATION_VERTICAL && self->caption && self->caption[0] && !self->caption_overlay)
    *natural += 24;
  *min_baseline = *nat_baseline = -1;
}

/* --- input --- */

static void
set_hover(PlImageView *self, gboolean on, double x, double y)
{
  self->hovering = on;
  self->hover_x = x;
  self->hover_y = y;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void
on_motion(GtkEventControllerMotion *c, double x, double y, PlImageView *self)
{
  (void)c;
  set_hover(self, TRUE, x, y);
}

static void
on_leave(GtkEventControllerMotion *c, PlImageView *self)
{
  (void)c;
  set_hover(self, FALSE, 0, 0);
}

static void
split_from_x(PlImageView *self, double x)
{
  graphene_rect_t r;
  if (!pl_image_view_get_image_rect(self, gtk_widget_get_width(GTK_WIDGET(self)),
                                    gtk_widget_get_height(GTK_WIDGET(self)), &r))
    return;
  pl_image_view_set_split(self, (x - r.origin.x) / r.size.width);
}

static void
on_drag_begin(GtkGestureDrag *g, double x, double y, PlImageView *self)
{
  if (!showing_compare(self)) {
    gtk_gesture_set_state(GTK_GESTURE(g), GTK_EVENT_SEQUENCE_DENIED);
    return;
  }
  (void)y;
  /* Ours: a surrounding scrolled window must not take the drag. */
  gtk_gesture_set_state(GTK_GESTURE(g), GTK_EVENT_SEQUENCE_CLAIMED);
  self->drag_x0 = x;
  split_from_x(self, x);
}

static void
on_drag_update(GtkGestureDrag *g, double dx, double dy, PlImageView *self)
{
  (void)g;
  (void)dy;
  split_from_x(self, self->drag_x0 + dx);
}

/* --- setters --- */

static void
set_surface(PlImageView *self, int i, cairo_surface_t *s, PlImage *values)
{
  g_clear_pointer(&self->surface[i], cairo_surface_destroy);
  g_clear_pointer(&self->values[i], pl_image_free);
  self->surface[i] = s;
  self->values[i] = values;
  gtk_widget_queue_resize(GTK_WIDGET(self));
}

void
pl_image_view_set_image(PlImageView *self, const PlImage *img)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  cairo_surface_t *s = pl_surface_from_image(img);
  set_surface(self, 0, s, s ? pl_image_copy(img) : NULL);
}

void
pl_image_view_set_rgba8(PlImageView *self, const guint8 *rgba, int width, int height, int stride)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  set_surface(self, 0, pl_surface_from_rgba8(rgba, width, height, stride), NULL);
}

void
pl_image_view_set_compare_image(PlImageView *self, const PlImage *img)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  cairo_surface_t *s = pl_surface_from_image(img);
  set_surface(self, 1, s, s ? pl_image_copy(img) : NULL);
}

void
pl_image_view_set_compare_rgba8(PlImageView *self, const guint8 *rgba, int width, int height,
                                int stride)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  set_surface(self, 1, pl_surface_from_rgba8(rgba, width, height, stride), NULL);
}

gboolean
pl_image_view_has_image(PlImageView *self)
{
  g_return_val_if_fail(PL_IS_IMAGE_VIEW(self), FALSE);
  return self->surface[0] != NULL || self->surface[1] != NULL;
}

static gboolean
replace_string(char **field, const char *value)
{
  if (g_strcmp0(*field, value) == 0)
    return FALSE;
  g_free(*field);
  *field = g_strdup(value);
  return TRUE;
}

void
pl_image_view_set_caption(PlImageView *self, const char *caption)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  if (!replace_string(&self->caption, caption))
    return;
  gtk_widget_queue_resize(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CAPTION]);
}

const char *
pl_image_view_get_caption(PlImageView *self)
{
  g_return_val_if_fail(PL_IS_IMAGE_VIEW(self), NULL);
  return self->caption;
}

static void
set_bool(PlImageView *self, gboolean *field, gboolean value, int prop)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

void
pl_image_view_set_caption_overlay(PlImageView *self, gboolean overlay)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  set_bool(self, &self->caption_overlay, overlay, PROP_CAPTION_OVERLAY);
}

void
pl_image_view_set_nearest(PlImageView *self, gboolean nearest)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  set_bool(self, &self->nearest, nearest, PROP_NEAREST);
}

gboolean
pl_image_view_get_nearest(PlImageView *self)
{
  g_return_val_if_fail(PL_IS_IMAGE_VIEW(self), FALSE);
  return self->nearest;
}

void
pl_image_view_set_compare(PlImageView *self, gboolean compare)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  set_bool(self, &self->compare, compare, PROP_COMPARE);
}

gboolean
pl_image_view_get_compare(PlImageView *self)
{
  g_return_val_if_fail(PL_IS_IMAGE_VIEW(self), FALSE);
  return self->compare;
}

void
pl_image_view_set_split(PlImageView *self, double split)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  split = isfinite(split) ? CLAMP(split, 0.0, 1.0) : 0.5;
  if (self->split == split)
    return;
  self->split = split;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SPLIT]);
}

double
pl_image_view_get_split(PlImageView *self)
{
  g_return_val_if_fail(PL_IS_IMAGE_VIEW(self), 0.5);
  return self->split;
}

void
pl_image_view_set_compare_labels(PlImageView *self, const char *before, const char *after)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  if (replace_string(&self->labels[0], before))
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BEFORE_LABEL]);
  if (replace_string(&self->labels[1], after))
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_AFTER_LABEL]);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_image_view_set_font_scale(PlImageView *self, double scale)
{
  g_return_if_fail(PL_IS_IMAGE_VIEW(self));
  scale = CLAMP(scale, 0.25, 8.0);
  if (self->font_scale == scale)
    return;
  self->font_scale = scale;
  gtk_widget_queue_resize(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FONT_SCALE]);
}

/* --- GObject --- */

static void
pl_image_view_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  PlImageView *self = PL_IMAGE_VIEW(object);
  switch (id) {
  case PROP_CAPTION: g_value_set_string(value, self->caption); break;
  case PROP_CAPTION_OVERLAY: g_value_set_boolean(value, self->caption_overlay); break;
  case PROP_NEAREST: g_value_set_boolean(value, self->nearest); break;
  case PROP_COMPARE: g_value_set_boolean(value, self->compare); break;
  case PROP_SPLIT: g_value_set_double(value, self->split); break;
  case PROP_BEFORE_LABEL: g_value_set_string(value, self->labels[0]); break;
  case PROP_AFTER_LABEL: g_value_set_string(value, self->labels[1]); break;
  case PROP_FONT_SCALE: g_value_set_double(value, self->font_scale); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_image_view_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  PlImageView *self = PL_IMAGE_VIEW(object);
  switch (id) {
  case PROP_CAPTION: pl_image_view_set_caption(self, g_value_get_string(value)); break;
  case PROP_CAPTION_OVERLAY: pl_image_view_set_caption_overlay(self, g_value_get_boolean(value)); break;
  case PROP_NEAREST: pl_image_view_set_nearest(self, g_value_get_boolean(value)); break;
  case PROP_COMPARE: pl_image_view_set_compare(self, g_value_get_boolean(value)); break;
  case PROP_SPLIT: pl_image_view_set_split(self, g_value_get_double(value)); break;
  case PROP_BEFORE_LABEL:
    pl_image_view_set_compare_labels(self, g_value_get_string(value), self->labels[1]);
    break;
  case PROP_AFTER_LABEL:
    pl_image_view_set_compare_labels(self, self->labels[0], g_value_get_string(value));
    break;
  case PROP_FONT_SCALE: pl_image_view_set_font_scale(self, g_value_get_double(value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_image_view_finalize(GObject *object)
{
  PlImageView *self = PL_IMAGE_VIEW(object);
  for (int i = 0; i < 2; i++) {
    g_clear_pointer(&self->surface[i], cairo_surface_destroy);
    g_clear_pointer(&self->values[i], pl_image_free);
    g_clear_pointer(&self->labels[i], g_free);
  }
  g_clear_pointer(&self->caption, g_free);
  G_OBJECT_CLASS(pl_image_view_parent_class)->finalize(object);
}

static void
pl_image_view_class_init(PlImageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->finalize = pl_image_view_finalize;
  object_class->get_property = pl_image_view_get_property;
  object_class->set_property = pl_image_view_set_property;
  widget_class->snapshot = pl_image_view_snapshot;
  widget_class->measure = pl_image_view_measure;

  GParamFlags f = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  props[PROP_CAPTION] = g_param_spec_string("caption", NULL, NULL, NULL, f);
  props[PROP_CAPTION_OVERLAY] = g_param_spec_boolean("caption-overlay", NULL, NULL, FALSE, f);
  props[PROP_NEAREST] = g_param_spec_boolean("nearest", NULL, NULL, TRUE, f);
  props[PROP_COMPARE] = g_param_spec_boolean("compare", NULL, NULL, FALSE, f);
  props[PROP_SPLIT] = g_param_spec_double("split", NULL, NULL, 0.0, 1.0, 0.5, f);
  props[PROP_BEFORE_LABEL] = g_param_spec_string("before-label", NULL, NULL, NULL, f);
  props[PROP_AFTER_LABEL] = g_param_spec_string("after-label", NULL, NULL, NULL, f);
  props[PROP_FONT_SCALE] = g_param_spec_double("font-scale", NULL, NULL, 0.25, 8.0, 1.0, f);
  g_object_class_install_properties(object_class, N_PROPS, props);

  gtk_widget_class_set_css_name(widget_class, "plimageview");
}

static void
pl_image_view_init(PlImageView *self)
{
  self->nearest = TRUE;
  self->split = 0.5;
  self->font_scale = 1.0;

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
  gtk_widget_add_controller(GTK_WIDGET(self), motion);

  GtkGesture *drag = gtk_gesture_drag_new();
  g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), self);
  g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));
}
