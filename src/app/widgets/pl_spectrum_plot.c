/* PlSpectrumPlot: per-channel singular values, PLoRG ranks and cumulative energy. */
#include "pl_spectrum_plot.h"
#include "pl_plot_private.h"

#include <math.h>
#include <string.h>

struct _PlSpectrumPlot {
  GtkWidget parent_instance;

  int channels, kmax;
  double *sv;          /* channels x kmax */
  double *share;       /* channels x kmax, cumulative energy share */
  int *ranks;          /* channels, or NULL */
  double tau;

  char *title;
  gboolean show_energy;
  int step;
  double font_scale;

  gboolean hovering;
  double hover_x, hover_y;
};

G_DEFINE_FINAL_TYPE(PlSpectrumPlot, pl_spectrum_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_SHOW_ENERGY,
  PROP_STEP,
  PROP_FONT_SCALE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

GtkWidget *
pl_spectrum_plot_new(void)
{
  return g_object_new(PL_TYPE_SPECTRUM_PLOT, NULL);
}

void
pl_spectrum_plot_clear(PlSpectrumPlot *self)
{
  g_return_if_fail(PL_IS_SPECTRUM_PLOT(self));
  g_clear_pointer(&self->sv, g_free);
  g_clear_pointer(&self->share, g_free);
  g_clear_pointer(&self->ranks, g_free);
  self->channels = self->kmax = 0;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_spectrum_plot_set_data(PlSpectrumPlot *self, int channels, int kmax, const double *sv,
                          const int *ranks, double tau)
{
  g_return_if_fail(PL_IS_SPECTRUM_PLOT(self));
  if (channels <= 0 || kmax <= 0 || sv == NULL) {
    pl_spectrum_plot_clear(self);
    return;
  }
  size_t n = (size_t)channels * kmax;
  /* The same shape every step: reuse the buffers. */
  if (channels != self->channels || kmax != self->kmax) {
    g_free(self->sv);
    g_free(self->share);
    self->sv = g_new(double, n);
    self->share = g_new(double, n);
  }
  g_clear_pointer(&self->ranks, g_free);
  self->channels = channels;
  self->kmax = kmax;
  memcpy(self->sv, sv, n * sizeof(double));
  if (ranks)
    self->ranks = g_memdup2(ranks, (size_t)channels * sizeof(int));
  self->tau = tau;

  for (int c = 0; c < channels; c++) {
    const double *s = self->sv + (size_t)c * kmax;
    double total = 0, acc = 0;
    for (int k = 0; k < kmax; k++)
      total += isfinite(s[k]) ? s[k] * s[k] : 0;
    for (int k = 0; k < kmax; k++) {
      acc += isfinite(s[k]) ? s[k] * s[k] : 0;
      self->share[(size_t)c * kmax + k] = total > 0 ? acc / total : NAN;
    }
  }
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

double
pl_spectrum_plot_get_share(PlSpectrumPlot *self, int channel, int k)
{
  g_return_val_if_fail(PL_IS_SPECTRUM_PLOT(self), NAN);
  if (channel < 0 || channel >= self->channels || k < 1 || k > self->kmax)
    return NAN;
  return self->share[(size_t)channel * self->kmax + k - 1];
}

static gboolean
has_tau(PlSpectrumPlot *self)
{
  return self->tau > 0 && self->tau <= 1;
}

/* --- layout --- */

typedef struct {
  graphene_rect_t area;
  double x0, x1, y0, y1;   /* y in log10 */
  PlPlotTicks xt, yt, et;  /* et: energy axis, 0..1 */
  double legend_top;
} Layout;

static double
map_x(const Layout *L, double k)
{
  return L->area.origin.x + (k - L->x0) / (L->x1 - L->x0) * L->area.size.width;
}

static double
map_y(const Layout *L, double v)
{
  return L->area.origin.y + L->area.size.height -
         (log10(v) - L->y0) / (L->y1 - L->y0) * L->area.size.height;
}

static double
map_share(const Layout *L, double share)
{
  return L->area.origin.y + L->area.size.height - share * L->area.size.height;
}

static char *
channel_name(int c)
{
  return g_strdup_printf("ch %d", c);
}

/* Legend rows (measure only without cr); returns the height. */
static double
legend(PlSpectrumPlot *self, PlPlotText *t, const PlPlotInk *ink, cairo_t *cr, double left,
       double right, double y)
{
  double swatch = t->size * 1.6, gap = t->size * 0.9, x = left, row_h = 0, height = 0;
  int items = self->channels + (self->show_energy ? 2 : 0);
  for (int i = 0; i < items; i++) {
    g_autofree char *text = NULL;
    const GdkRGBA *color = &ink->fg;
    GdkRGBA pc;
    PlLineStyle style = PL_LINE_SOLID;
    if (i < self->channels) {
      text = channel_name(i);
      pl_plot_palette(i, &pc);
      color = &pc;
    } else if (i == self->channels) {
      text = g_strdup("singular value");
    } else {
      text = g_strdup("energy share");
      style = PL_LINE_DASHED;
    }
    double w, h;
    pl_plot_text_measure(t, text, 0.85, &w, &h);
    double item = swatch + t->size * 0.3 + w;
    if (x > left && x + item > right) {
      x = left;
      height += row_h;
    }
    row_h = h;
    if (cr) {
      pl_plot_set_rgba(cr, color, 1.0);
      pl_plot_set_line_style(cr, style, MAX(2.0, ink->line_width));
      cairo_move_to(cr, x, y + height + h / 2);
      cairo_line_to(cr, x + swatch, y + height + h / 2);
      cairo_stroke(cr);
      pl_plot_set_rgba(cr, &ink->fg, 1.0);
      pl_plot_text_draw(t, cr, text, 0.85, x + swatch + t->size * 0.3, y + height, 0, 0);
    }
    x += item + gap;
  }
  return x > left ? height + row_h : height;
}

static char *
title_markup(PlSpectrumPlot *self)
{
  const char *title = self->title && self->title[0] ? self->title : NULL;
  if (title && self->step >= 0)
    return g_markup_printf_escaped("<b>%s</b>  step %d", title, self->step);
  if (title)
    return g_markup_printf_escaped("<b>%s</b>", title);
  if (self->step >= 0)
    return g_strdup_printf("step %d", self->step);
  return NULL;
}

static gboolean
compute_layout(PlSpectrumPlot *self, PlPlotText *t, const PlPlotInk *ink, int width, int height,
               Layout *L)
{
  if (self->channels <= 0)
    return FALSE;
  double fs = t->size, pad = fs * 0.5, text_h;
  pl_plot_text_measure(t, "0", 0.85, NULL, &text_h);

  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < (size_t)self->channels * self->kmax; i++)
    if (isfinite(self->sv[i]) && self->sv[i] > 0) {
      lo = MIN(lo, self->sv[i]);
      hi = MAX(hi, self->sv[i]);
    }
  if (!(lo <= hi)) {
    lo = 0.1;
    hi = 1;
  }
  L->y0 = log10(lo);
  L->y1 = log10(hi);
  if (L->y1 - L->y0 < 1e-9) {
    L->y0 -= 0.5;
    L->y1 += 0.5;
  }
  double padl = (L->y1 - L->y0) * 0.05;
  L->y0 -= padl;
  L->y1 += padl;
  L->x0 = 0.5;
  L->x1 = self->kmax + 0.5;

  double top = pad;
  g_autofree char *title = title_markup(self);
  if (title) {
    double h;
    pl_plot_text_measure(t, title, 1.0, NULL, &h);
    top += h + pad * 0.5;
  }
  L->legend_top = top;
  top += legend(self, t, ink, NULL, pad, width - pad, top) + pad * 0.5;
  /* Rank labels sit above the plot area, one row per channel at most. */
  if (self->ranks)
    top += text_h * 0.9;

  double bottom = pad + text_h + fs * 0.6 + text_h + pad * 0.3;   /* ticks + "index" */
  int max_y = MAX(2, (int)((height - top - bottom) / (fs * 2.5)));
  pl_plot_ticks_log(L->y0, L->y1, max_y, &L->yt);
  double label_w = 0;
  for (int i = 0; i < L->yt.n; i++) {
    double w;
    pl_plot_text_measure(t, L->yt.label[i], 0.85, &w, NULL);
    label_w = MAX(label_w, w);
  }
  double left = pad + label_w + fs * 0.6;
  double right = pad + fs * 0.6;
  L->et.n = 0;
  if (self->show_energy) {
    pl_plot_ticks_linear(0, 1, MAX(2, MIN(5, max_y)), &L->et);
    double w;
    pl_plot_text_measure(t, "0.8", 0.85, &w, NULL);
    right += w + fs * 0.3;
  }
  double aw = floor(width - left - right), ah = floor(height - top - bottom);
  if (aw < 8 || ah < 8)
    return FALSE;
  graphene_rect_init(&L->area, round(left), round(top), aw, ah);

  double pw;
  pl_plot_text_measure(t, "000", 0.85, &pw, NULL);
  pl_plot_ticks_integer(1, self->kmax, MAX(2, (int)(aw / (pw + fs))), &L->xt);
  return TRUE;
}

/* --- drawing --- */

static void
draw_energy(PlSpectrumPlot *self, cairo_t *cr, PlPlotText *t, const Layout *L, const PlPlotInk *ink)
{
  const graphene_rect_t *a = &L->area;
  double tick = MAX(3.0, t->size * 0.3);

  /* Right axis: 0..1 share. */
  pl_plot_set_rgba(cr, &ink->fg, 0.85);
  cairo_set_line_width(cr, 1);
  double rx = a->origin.x + a->size.width;
  for (int i = 0; i < L->et.n; i++) {
    double py = round(map_share(L, L->et.value[i])) + 0.5;
    cairo_move_to(cr, rx, py);
    cairo_line_to(cr, rx + tick, py);
    cairo_stroke(cr);
    pl_plot_text_draw(t, cr, L->et.label[i], 0.85, rx + tick + t->size * 0.2, py, 0, 0.5);
  }

  cairo_save(cr);
  cairo_rectangle(cr, a->origin.x, a->origin.y, a->size.width, a->size.height);
  cairo_clip(cr);
  if (has_tau(self)) {
    double ty = map_share(L, self->tau);
    pl_plot_set_rgba(cr, &ink->fg, 0.6);
    pl_plot_set_line_style(cr, PL_LINE_DOTTED, 1.5);
    cairo_move_to(cr, a->origin.x, ty);
    cairo_line_to(cr, rx, ty);
    cairo_stroke(cr);
    g_autofree char *m = g_strdup_printf("τ = %g", self->tau);
    pl_plot_set_rgba(cr, &ink->fg, 0.9);
    pl_plot_text_draw(t, cr, m, 0.8, rx - 4, ty - 2, 1.0, 1.0);
  }
  for (int c = 0; c < self->channels; c++) {
    GdkRGBA color;
    pl_plot_palette(c, &color);
    const double *sh = self->share + (size_t)c * self->kmax;
    pl_plot_set_rgba(cr, &color, 0.75);
    pl_plot_set_line_style(cr, PL_LINE_DASHED, ink->line_width * 0.8);
    gboolean started = FALSE;
    for (int k = 0; k < self->kmax; k++) {
      if (isnan(sh[k]))
        continue;
      double px = map_x(L, k + 1), py = map_share(L, sh[k]);
      if (started)
        cairo_line_to(cr, px, py);
      else
        cairo_move_to(cr, px, py);
      started = TRUE;
    }
    cairo_stroke(cr);
    /* Where this channel's share first reaches tau: the per-channel rank rule. */
    if (has_tau(self)) {
      for (int k = 0; k < self->kmax; k++)
        if (sh[k] >= self->tau - 1e-12) {
          cairo_arc(cr, map_x(L, k + 1), map_share(L, self->tau), MAX(3.0, ink->line_width * 1.6),
                    0, 2 * G_PI);
          pl_plot_set_rgba(cr, &color, 1.0);
          cairo_fill_preserve(cr);
          pl_plot_set_rgba(cr, &ink->bg, 1.0);
          cairo_set_dash(cr, NULL, 0, 0);
          cairo_set_line_width(cr, 1);
          cairo_stroke(cr);
          break;
        }
    }
  }
  cairo_restore(cr);
}

static void
draw_ranks(PlSpectrumPlot *self, cairo_t *cr, PlPlotText *t, const Layout *L, const PlPlotInk *ink)
{
  if (self->ranks == NULL)
    return;
  const graphene_rect_t *a = &L->area;
  double label_end = -INFINITY;
  for (int c = 0; c < self->channels; c++) {
    int r = self->ranks[c];
    if (r <= 0 || r > self->kmax)
      continue;
    GdkRGBA color;
    pl_plot_palette(c, &color);
    /* Channels with equal ranks: offset the lines a little so each stays visible. */
    double px = map_x(L, r) + (c - (self->channels - 1) / 2.0) * 2.0;
    pl_plot_set_rgba(cr, &color, 0.9);
    pl_plot_set_line_style(cr, PL_LINE_DASHED, 1.5);
    cairo_move_to(cr, px, a->origin.y);
    cairo_line_to(cr, px, a->origin.y + a->size.height);
    cairo_stroke(cr);

    g_autofree char *m = g_strdup_printf("r=%d", r);
    double w;
    pl_plot_text_measure(t, m, 0.8, &w, NULL);
    double lx = MAX(px - w / 2, label_end + 3);
    pl_plot_set_rgba(cr, &color, 1.0);
    pl_plot_text_draw(t, cr, m, 0.8, lx, a->origin.y - 1, 0, 1.0);
    label_end = lx + w;
  }
  (void)ink;
}

static void
draw_hover(PlSpectrumPlot *self, cairo_t *cr, PlPlotText *t, const Layout *L, const PlPlotInk *ink,
           int width, int height)
{
  const graphene_rect_t *a = &L->area;
  if (!graphene_rect_contains_point(a, &GRAPHENE_POINT_INIT(self->hover_x, self->hover_y)))
    return;
  double kf = L->x0 + (self->hover_x - a->origin.x) / a->size.width * (L->x1 - L->x0);
  int k = CLAMP((int)round(kf), 1, self->kmax);
  double px = map_x(L, k);
  pl_plot_set_rgba(cr, &ink->fg, 0.35);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, round(px) + 0.5, a->origin.y);
  cairo_line_to(cr, round(px) + 0.5, a->origin.y + a->size.height);
  cairo_stroke(cr);

  int n = self->channels + 1;
  char **lines = g_new0(char *, n);
  const GdkRGBA **colors = g_new0(const GdkRGBA *, n);
  GdkRGBA *pal = g_new(GdkRGBA, self->channels);
  lines[0] = g_strdup_printf("<b>k = %d</b>", k);
  for (int c = 0; c < self->channels; c++) {
    double v = self->sv[(size_t)c * self->kmax + k - 1];
    double sh = self->share[(size_t)c * self->kmax + k - 1];
    g_autofree char *vs = pl_plot_format_value(v);
    g_autofree char *name = channel_name(c);
    lines[c + 1] = g_strdup_printf("%s  σ %s  share %.4f", name, vs, sh);
    pl_plot_palette(c, &pal[c]);
    colors[c + 1] = &pal[c];
    if (isfinite(v) && v > 0) {
      pl_plot_set_rgba(cr, &pal[c], 1.0);
      cairo_arc(cr, px, map_y(L, v), MAX(3.0, ink->line_width * 2), 0, 2 * G_PI);
      cairo_fill(cr);
    }
  }
  graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, width, height);
  pl_plot_draw_readout(cr, t, ink, (const char *const *)lines, colors, n, self->hover_x,
                       self->hover_y, &bounds);
  for (int i = 0; i < n; i++)
    g_free(lines[i]);
  g_free(lines);
  g_free(colors);
  g_free(pal);
}

static void
draw_all(PlSpectrumPlot *self, cairo_t *cr, int width, int height, const PlPlotInk *ink,
         gboolean hover)
{
  PlPlotText t;
  Layout L;
  pl_plot_text_init(&t, ink);
  if (!compute_layout(self, &t, ink, width, height, &L)) {
    pl_plot_text_clear(&t);
    return;
  }
  const graphene_rect_t *a = &L.area;
  double pad = t.size * 0.5;
  cairo_save(cr);

  g_autofree char *title = title_markup(self);
  if (title) {
    pl_plot_set_rgba(cr, &ink->fg, 1.0);
    pl_plot_text_draw(&t, cr, title, 1.0, pad, pad, 0, 0);
  }
  legend(self, &t, ink, cr, pad, width - pad, L.legend_top);
  pl_plot_draw_axes(cr, &t, ink, a, L.x0, L.x1, &L.xt, L.y0, L.y1, &L.yt);
  pl_plot_set_rgba(cr, &ink->fg, 0.85);
  pl_plot_text_draw(&t, cr, "index k", 0.85, a->origin.x + a->size.width / 2, height - pad * 0.5,
                    0.5, 1.0);

  if (self->show_energy)
    draw_energy(self, cr, &t, &L, ink);
  draw_ranks(self, cr, &t, &L, ink);

  cairo_save(cr);
  cairo_rectangle(cr, a->origin.x, a->origin.y, a->size.width, a->size.height);
  cairo_clip(cr);
  for (int c = 0; c < self->channels; c++) {
    GdkRGBA color;
    pl_plot_palette(c, &color);
    const double *s = self->sv + (size_t)c * self->kmax;
    pl_plot_set_rgba(cr, &color, 1.0);
    pl_plot_set_line_style(cr, PL_LINE_SOLID, ink->line_width);
    gboolean started = FALSE;
    for (int k = 0; k < self->kmax; k++) {
      if (!(isfinite(s[k]) && s[k] > 0)) {
        started = FALSE;   /* zero singular values leave the log axis */
        continue;
      }
      double px = map_x(&L, k + 1), py = map_y(&L, s[k]);
      if (started)
        cairo_line_to(cr, px, py);
      else
        cairo_move_to(cr, px, py);
      started = TRUE;
    }
    cairo_stroke(cr);
    for (int k = 0; k < self->kmax; k++)
      if (isfinite(s[k]) && s[k] > 0) {
        cairo_arc(cr, map_x(&L, k + 1), map_y(&L, s[k]), ink->line_width * 1.2, 0, 2 * G_PI);
        cairo_fill(cr);
      }
  }
  cairo_restore(cr);

  if (hover)
    draw_hover(self, cr, &t, &L, ink, width, height);
  cairo_restore(cr);
  pl_plot_text_clear(&t);
}

void
pl_spectrum_plot_draw(PlSpectrumPlot *self, cairo_t *cr, int width, int height)
{
  g_return_if_fail(PL_IS_SPECTRUM_PLOT(self));
  g_return_if_fail(cr != NULL);
  PlPlotInk ink;
  pl_plot_ink_for_print(self->font_scale, &ink);
  draw_all(self, cr, width, height, &ink, FALSE);
}

static gboolean
print_layout(PlSpectrumPlot *self, int width, int height, Layout *L)
{
  PlPlotInk ink;
  PlPlotText t;
  pl_plot_ink_for_print(self->font_scale, &ink);
  pl_plot_text_init(&t, &ink);
  gboolean ok = compute_layout(self, &t, &ink, width, height, L);
  pl_plot_text_clear(&t);
  return ok;
}

gboolean
pl_spectrum_plot_get_plot_area(PlSpectrumPlot *self, int width, int height, graphene_rect_t *area)
{
  g_return_val_if_fail(PL_IS_SPECTRUM_PLOT(self), FALSE);
  Layout L;
  if (!print_layout(self, width, height, &L))
    return FALSE;
  if (area)
    *area = L.area;
  return TRUE;
}

gboolean
pl_spectrum_plot_data_to_pixel(PlSpectrumPlot *self, int width, int height, double k,
                               double value, double *px, double *py)
{
  g_return_val_if_fail(PL_IS_SPECTRUM_PLOT(self), FALSE);
  Layout L;
  if (!(value > 0) || !print_layout(self, width, height, &L))
    return FALSE;
  if (px)
    *px = map_x(&L, k);
  if (py)
    *py = map_y(&L, value);
  return TRUE;
}

static void
pl_spectrum_plot_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlSpectrumPlot *self = PL_SPECTRUM_PLOT(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  if (width <= 0 || height <= 0)
    return;
  PlPlotInk ink;
  pl_plot_ink_for_widget(widget, self->font_scale, &ink);
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
  draw_all(self, cr, width, height, &ink, self->hovering);
  cairo_destroy(cr);
}

static void
pl_spectrum_plot_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                         int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  (void)widget;
  (void)for_size;
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 120;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 420 : 280;
  *min_baseline = *nat_baseline = -1;
}

static void
on_motion(GtkEventControllerMotion *c, double x, double y, PlSpectrumPlot *self)
{
  (void)c;
  self->hovering = TRUE;
  self->hover_x = x;
  self->hover_y = y;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void
on_leave(GtkEventControllerMotion *c, PlSpectrumPlot *self)
{
  (void)c;
  self->hovering = FALSE;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* --- properties --- */

void
pl_spectrum_plot_set_title(PlSpectrumPlot *self, const char *title)
{
  g_return_if_fail(PL_IS_SPECTRUM_PLOT(self));
  if (g_strcmp0(self->title, title) == 0)
    return;
  g_free(self->title);
  self->title = g_strdup(title);
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TITLE]);
}

void
pl_spectrum_plot_set_show_energy(PlSpectrumPlot *self, gboolean show)
{
  g_return_if_fail(PL_IS_SPECTRUM_PLOT(self));
  show = !!show;
  if (self->show_energy == show)
    return;
  self->show_energy = show;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SHOW_ENERGY]);
}

void
pl_spectrum_plot_set_step(PlSpectrumPlot *self, int step)
{
  g_return_if_fail(PL_IS_SPECTRUM_PLOT(self));
  step = MAX(step, -1);
  if (self->step == step)
    return;
  self->step = step;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STEP]);
}

void
pl_spectrum_plot_set_font_scale(PlSpectrumPlot *self, double scale)
{
  g_return_if_fail(PL_IS_SPECTRUM_PLOT(self));
  scale = CLAMP(scale, 0.25, 8.0);
  if (self->font_scale == scale)
    return;
  self->font_scale = scale;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FONT_SCALE]);
}

static void
pl_spectrum_plot_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  PlSpectrumPlot *self = PL_SPECTRUM_PLOT(object);
  switch (id) {
  case PROP_TITLE: g_value_set_string(value, self->title); break;
  case PROP_SHOW_ENERGY: g_value_set_boolean(value, self->show_energy); break;
  case PROP_STEP: g_value_set_int(value, self->step); break;
  case PROP_FONT_SCALE: g_value_set_double(value, self->font_scale); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_spectrum_plot_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  PlSpectrumPlot *self = PL_SPECTRUM_PLOT(object);
  switch (id) {
  case PROP_TITLE: pl_spectrum_plot_set_title(self, g_value_get_string(value)); break;
  case PROP_SHOW_ENERGY: pl_spectrum_plot_set_show_energy(self, g_value_get_boolean(value)); break;
  case PROP_STEP: pl_spectrum_plot_set_step(self, g_value_get_int(value)); break;
  case PROP_FONT_SCALE: pl_spectrum_plot_set_font_scale(self, g_value_get_double(value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_spectrum_plot_finalize(GObject *object)
{
  PlSpectrumPlot *self = PL_SPECTRUM_PLOT(object);
  g_clear_pointer(&self->sv, g_free);
  g_clear_pointer(&self->share, g_free);
  g_clear_pointer(&self->ranks, g_free);
  g_clear_pointer(&self->title, g_free);
  G_OBJECT_CLASS(pl_spectrum_plot_parent_class)->finalize(object);
}

static void
pl_spectrum_plot_class_init(PlSpectrumPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->finalize = pl_spectrum_plot_finalize;
  object_class->get_property = pl_spectrum_plot_get_property;
  object_class->set_property = pl_spectrum_plot_set_property;
  widget_class->snapshot = pl_spectrum_plot_snapshot;
  widget_class->measure = pl_spectrum_plot_measure;

  GParamFlags f = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  props[PROP_TITLE] = g_param_spec_string("title", NULL, NULL, NULL, f);
  props[PROP_SHOW_ENERGY] = g_param_spec_boolean("show-energy", NULL, NULL, TRUE, f);
  props[PROP_STEP] = g_param_spec_int("step", NULL, NULL, -1, G_MAXINT, -1, f);
  props[PROP_FONT_SCALE] = g_param_spec_double("font-scale", NULL, NULL, 0.25, 8.0, 1.0, f);
  g_object_class_install_properties(object_class, N_PROPS, props);

  gtk_widget_class_set_css_name(widget_class, "plspectrumplot");
}

static void
pl_spectrum_plot_init(PlSpectrumPlot *self)
{
  self->show_energy = TRUE;
  self->step = -1;
  self->font_scale = 1.0;

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
  gtk_widget_add_controller(GTK_WIDGET(self), motion);
}
