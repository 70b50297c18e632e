/* PlSeriesPlot: per-step line plot with several series, markers and a step cursor. */
#include "pl_series_plot.h"
#include "pl_plot_private.h"

#include <math.h>

typedef struct {
  double x, y;
} Point;

typedef struct {
  char *name;
  GdkRGBA color;
  PlLineStyle style;
  gboolean visible;
  GArray *points;      /* Point, sorted by x unless `sorted` is FALSE */
  gboolean sorted;
  /* Extents kept up to date on append, so autoscaling never rescans. */
  double xmin, xmax, ymin, ymax, ypos_min;
} Series;

typedef struct {
  double step;
  char *label;
  GdkRGBA color;
  gboolean has_color;
} Marker;

struct _PlSeriesPlot {
  GtkWidget parent_instance;

  GPtrArray *series;   /* Series* */
  GArray *markers;     /* Marker */
  char *title, *x_label, *y_label;
  gboolean log_y;
  gboolean show_legend;
  double cursor_step;
  double font_scale;
  double fixed_x[2], fixed_y[2];

  gboolean hovering;
  double hover_x, hover_y;
  double drag_x0;
};

G_DEFINE_FINAL_TYPE(PlSeriesPlot, pl_series_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_X_LABEL,
  PROP_Y_LABEL,
  PROP_LOG_Y,
  PROP_CURSOR_STEP,
  PROP_FONT_SCALE,
  PROP_SHOW_LEGEND,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum { SIGNAL_STEP_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

GtkWidget *
pl_series_plot_new(void)
{
  return g_object_new(PL_TYPE_SERIES_PLOT, NULL);
}

/* --- data --- */

static void
series_free(gpointer p)
{
  Series *s = p;
  g_free(s->name);
  g_array_unref(s->points);
  g_free(s);
}

static void
series_reset_extents(Series *s)
{
  s->xmin = s->ymin = s->ypos_min = INFINITY;
  s->xmax = s->ymax = -INFINITY;
}

static void
series_extend(Series *s, double x, double y)
{
  s->xmin = MIN(s->xmin, x);
  s->xmax = MAX(s->xmax, x);
  if (isfinite(y)) {
    s->ymin = MIN(s->ymin, y);
    s->ymax = MAX(s->ymax, y);
    if (y > 0)
      s->ypos_min = MIN(s->ypos_min, y);
  }
}

static int
compare_points(gconstpointer a, gconstpointer b)
{
  double xa = ((const Point *)a)->x, xb = ((const Point *)b)->x;
  return (xa > xb) - (xa < xb);
}

static void
series_sort(Series *s)
{
  if (!s->sorted) {
    g_array_sort(s->points, compare_points);
    s->sorted = TRUE;
  }
}

static Series *
get_series(PlSeriesPlot *self, int id)
{
  if (id < 0 || (guint)id >= self->series->len)
    return NULL;
  return g_ptr_array_index(self->series, id);
}

int
pl_series_plot_add_series(PlSeriesPlot *self, const char *name, const GdkRGBA *color,
                          PlLineStyle style)
{
  g_return_val_if_fail(PL_IS_SERIES_PLOT(self), -1);
  Series *s = g_new0(Series, 1);
  s->name = g_strdup(name ? name : "");
  if (color)
    s->color = *color;
  else
    pl_plot_palette((int)self->series->len, &s->color);
  s->style = style;
  s->visible = TRUE;
  s->points = g_array_new(FALSE, FALSE, sizeof(Point));
  s->sorted = TRUE;
  series_reset_extents(s);
  g_ptr_array_add(self->series, s);
  gtk_widget_queue_draw(GTK_WIDGET(self));
  return (int)self->series->len - 1;
}

int
pl_series_plot_get_n_series(PlSeriesPlot *self)
{
  g_return_val_if_fail(PL_IS_SERIES_PLOT(self), 0);
  return (int)self->series->len;
}

void
pl_series_plot_append(PlSeriesPlot *self, int series, double step, double value)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  Series *s = get_series(self, series);
  g_return_if_fail(s != NULL);
  if (!isfinite(step))
    return;
  Point p = { step, value };
  if (s->points->len > 0) {
    Point *last = &g_array_index(s->points, Point, s->points->len - 1);
    if (last->x == step) {
      /* A step reported again (e.g. after a branch) replaces its value. */
      last->y = value;
      series_extend(s, step, value);
      gtk_widget_queue_draw(GTK_WIDGET(self));
      return;
    }
    if (step < last->x)
      s->sorted = FALSE;
  }
  g_array_append_val(s->points, p);   /* GArray grows geometrically */
  series_extend(s, step, value);
  /* GTK coalesces queued draws into one per frame. */
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_series_plot_set_points(PlSeriesPlot *self, int series, const double *steps,
                          const double *values, int n)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  Series *s = get_series(self, series);
  g_return_if_fail(s != NULL);
  g_return_if_fail(values != NULL || n <= 0);
  g_array_set_size(s->points, 0);
  series_reset_extents(s);
  s->sorted = TRUE;
  for (int i = 0; i < n; i++) {
    Point p = { steps ? steps[i] : i, values[i] };
    if (!isfinite(p.x))
      continue;
    if (s->points->len > 0 && p.x < g_array_index(s->points, Point, s->points->len - 1).x)
      s->sorted = FALSE;
    g_array_append_val(s->points, p);
    series_extend(s, p.x, p.y);
  }
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_series_plot_clear_points(PlSeriesPlot *self, int series)
{
  pl_series_plot_set_points(self, series, NULL, NULL, 0);
}

void
pl_series_plot_set_series_visible(PlSeriesPlot *self, int series, gboolean visible)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  Series *s = get_series(self, series);
  g_return_if_fail(s != NULL);
  s->visible = !!visible;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* Index of the point with the largest x <= step, or -1. Series must be sorted. */
static int
series_floor_index(Series *s, double step)
{
  int lo = 0, hi = (int)s->points->len - 1, found = -1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (g_array_index(s->points, Point, mid).x <= step) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

gboolean
pl_series_plot_get_value(PlSeriesPlot *self, int series, double step, double *value)
{
  g_return_val_if_fail(PL_IS_SERIES_PLOT(self), FALSE);
  Series *s = get_series(self, series);
  g_return_val_if_fail(s != NULL, FALSE);
  series_sort(s);
  int i = series_floor_index(s, step);
  if (i < 0 || g_array_index(s->points, Point, i).x != step)
    return FALSE;
  if (value)
    *value = g_array_index(s->points, Point, i).y;
  return TRUE;
}

static void
marker_clear(gpointer p)
{
  g_free(((Marker *)p)->label);
}

void
pl_series_plot_remove_all(PlSeriesPlot *self)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  g_ptr_array_set_size(self->series, 0);
  g_array_set_size(self->markers, 0);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_series_plot_add_marker(PlSeriesPlot *self, double step, const char *label, const GdkRGBA *color)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  Marker m = { step, g_strdup(label ? label : ""), { 0, 0, 0, 1 }, color != NULL };
  if (color)
    m.color = *color;
  g_array_append_val(self->markers, m);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_series_plot_clear_markers(PlSeriesPlot *self)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  g_array_set_size(self->markers, 0);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_series_plot_set_x_range(PlSeriesPlot *self, double min, double max)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  self->fixed_x[0] = min;
  self->fixed_x[1] = max;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void
pl_series_plot_set_y_range(PlSeriesPlot *self, double min, double max)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  self->fixed_y[0] = min;
  self->fixed_y[1] = max;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* --- layout --- */

typedef struct {
  graphene_rect_t area;
  double x0, x1, y0, y1;    /* y in log10 units on a log axis */
  PlPlotTicks xt, yt;
  double legend_top;
} Layout;

static double
map_y(const Layout *L, gboolean log_y, double v)
{
  double u = log_y ? log10(v) : v;
  return L->area.origin.y + L->area.size.height - (u - L->y0) / (L->y1 - L->y0) * L->area.size.height;
}

static double
map_x(const Layout *L, double x)
{
  return L->area.origin.x + (x - L->x0) / (L->x1 - L->x0) * L->area.size.width;
}

static gboolean
data_ranges(PlSeriesPlot *self, Layout *L)
{
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index(self->series, i);
    if (!s->visible || s->points->len == 0)
      continue;
    xmin = MIN(xmin, s->xmin);
    xmax = MAX(xmax, s->xmax);
    ymin = MIN(ymin, self->log_y ? s->ypos_min : s->ymin);
    ymax = MAX(ymax, s->ymax);
  }

  if (self->fixed_x[0] < self->fixed_x[1]) {
    L->x0 = self->fixed_x[0];
    L->x1 = self->fixed_x[1];
  } else if (xmin <= xmax) {
    L->x0 = xmin;
    L->x1 = xmax > xmin ? xmax : xmin + 1;
  } else {
    L->x0 = 0;
    L->x1 = 1;
  }

  gboolean fixed_y = self->fixed_y[0] < self->fixed_y[1] && (!self->log_y || self->fixed_y[0] > 0);
  if (fixed_y) {
    L->y0 = self->log_y ? log10(self->fixed_y[0]) : self->fixed_y[0];
    L->y1 = self->log_y ? log10(self->fixed_y[1]) : self->fixed_y[1];
  } else if (ymin <= ymax && isfinite(ymin) && isfinite(ymax)) {
    if (self->log_y) {
      ymin = log10(ymin);
      ymax = log10(ymax);
    }
    if (ymax - ymin < 1e-12 * MAX(1.0, fabs(ymax))) {
      double d = self->log_y ? 0.5 : MAX(fabs(ymax) * 0.1, 0.5);
      ymin -= d;
      ymax += d;
    }
    double pad = (ymax - ymin) * 0.05;
    L->y0 = ymin - pad;
    L->y1 = ymax + pad;
  } else {
    L->y0 = 0;
    L->y1 = 1;
  }
  return TRUE;
}

/* Lays out (and with cr, draws) the legend rows starting at y; returns their height. */
static double
legend(PlSeriesPlot *self, PlPlotText *t, const PlPlotInk *ink, cairo_t *cr, double left,
       double right, double y)
{
  if (!self->show_legend)
    return 0;
  double swatch = t->size * 1.6, gap = t->size * 0.9, x = left, row_h = 0, height = 0;
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index(self->series, i);
    if (!s->visible || s->name[0] == '\0')
      continue;
    g_autofree char *m = g_markup_escape_text(s->name, -1);
    double w, h;
    pl_plot_text_measure(t, m, 0.85, &w, &h);
    double item = swatch + t->size * 0.3 + w;
    if (x > left && x + item > right) {
      x = left;
      height += row_h;
    }
    row_h = h;
    if (cr) {
      pl_plot_set_rgba(cr, &s->color, 1.0);
      pl_plot_set_line_style(cr, s->style, MAX(2.0, ink->line_width));
      cairo_move_to(cr, x, y + height + h / 2);
      cairo_line_to(cr, x + swatch, y + height + h / 2);
      cairo_stroke(cr);
      pl_plot_set_rgba(cr, &ink->fg, 1.0);
      pl_plot_text_draw(t, cr, m, 0.85, x + swatch + t->size * 0.3, y + height, 0, 0);
    }
    x += item + gap;
  }
  return x > left ? height + row_h : height;
}

static gboolean
compute_layout(PlSeriesPlot *self, PlPlotText *t, const PlPlotInk *ink, int width, int height,
               Layout *L)
{
  data_ranges(self, L);
  double fs = t->size, pad = fs * 0.5;
  double top = pad, text_h;
  pl_plot_text_measure(t, "0", 0.85, NULL, &text_h);

  if (self->title && self->title[0]) {
    double h;
    g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", self->title);
    pl_plot_text_measure(t, m, 1.0, NULL, &h);
    top += h + pad * 0.5;
  }
  L->legend_top = top;
  top += legend(self, t, ink, NULL, pad, width - pad, top);
  top += pad * 0.5;

  double bottom = pad + text_h + fs * 0.6;    /* tick labels below the axis */
  if (self->x_label && self->x_label[0])
    bottom += text_h + pad * 0.3;

  int max_y_ticks = MAX(2, (int)((height - top - bottom) / (fs * 2.5)));
  if (self->log_y)
    pl_plot_ticks_log(L->y0, L->y1, max_y_ticks, &L->yt);
  else
    pl_plot_ticks_linear(L->y0, L->y1, max_y_ticks, &L->yt);
  double label_w = 0;
  for (int i = 0; i < L->yt.n; i++) {
    double w;
    pl_plot_text_measure(t, L->yt.label[i], 0.85, &w, NULL);
    label_w = MAX(label_w, w);
  }
  double left = pad + label_w + fs * 0.6;
  if (self->y_label && self->y_label[0])
    left += text_h + pad * 0.3;
  double right = pad + fs * 1.2;    /* room for half of the last x tick label */

  double aw = floor(width - left - right), ah = floor(height - top - bottom);
  if (aw < 8 || ah < 8)
    return FALSE;
  graphene_rect_init(&L->area, round(left), round(top), aw, ah);

  /* x ticks: as many as fit side by side. */
  char probe[64];
  g_snprintf(probe, sizeof probe, "%.0f", MAX(fabs(L->x0), fabs(L->x1)));
  double pw;
  pl_plot_text_measure(t, probe, 0.85, &pw, NULL);
  pl_plot_ticks_integer(L->x0, L->x1, MAX(2, (int)(aw / (pw + fs * 2))), &L->xt);
  return TRUE;
}

/* --- drawing --- */

static void
draw_series(PlSeriesPlot *self, cairo_t *cr, const Layout *L, const PlPlotInk *ink, Series *s)
{
  series_sort(s);
  pl_plot_set_rgba(cr, &s->color, 1.0);
  pl_plot_set_line_style(cr, s->style, ink->line_width);
  int run = 0;
  double lx = 0, ly = 0;
  for (guint i = 0; i < s->points->len; i++) {
    const Point *p = &g_array_index(s->points, Point, i);
    gboolean ok = isfinite(p->y) && (!self->log_y || p->y > 0);
    if (!ok) {
      if (run == 1)   /* an isolated point still shows, as a dot */
        cairo_arc(cr, lx, ly, ink->line_width, 0, 2 * G_PI);
      run = 0;
      continue;
    }
    lx = map_x(L, p->x);
    ly = map_y(L, self->log_y, p->y);
    if (run == 0)
      cairo_move_to(cr, lx, ly);
    else
      cairo_line_to(cr, lx, ly);
    run++;
  }
  cairo_stroke(cr);
  if (run == 1) {
    cairo_arc(cr, lx, ly, ink->line_width, 0, 2 * G_PI);
    cairo_fill(cr);
  }
}

static void
draw_markers(PlSeriesPlot *self, cairo_t *cr, PlPlotText *t, const Layout *L, const PlPlotInk *ink)
{
  const graphene_rect_t *a = &L->area;
  double row_end[4] = { -INFINITY, -INFINITY, -INFINITY, -INFINITY };
  for (guint i = 0; i < self->markers->len; i++) {
    const Marker *m = &g_array_index(self->markers, Marker, i);
    if (m->step < L->x0 || m->step > L->x1)
      continue;
    const GdkRGBA *c = m->has_color ? &m->color : &ink->fg;
    double px = round(map_x(L, m->step)) + 0.5;
    double dash[] = { 2, 3 };
    pl_plot_set_rgba(cr, c, 0.8);
    cairo_set_line_width(cr, 1);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, px, a->origin.y);
    cairo_line_to(cr, px, a->origin.y + a->size.height);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    if (m->label[0] == '\0')
      continue;

    /* Labels at the top, dropped a row when they would overlap the previous one. */
    g_autofree char *text = g_markup_escape_text(m->label, -1);
    double w, h;
    pl_plot_text_measure(t, text, 0.75, &w, &h);
    double lx = px + 3;
    if (lx + w > a->origin.x + a->size.width)
      lx = px - 3 - w;
    int row = 0;
    while (row < 3 && lx < row_end[row] + 4)
      row++;
    row_end[row] = lx + w;
    double ly = a->origin.y + 2 + row * h;
    cairo_set_source_rgba(cr, ink->bg.red, ink->bg.green, ink->bg.blue, 0.7);
    cairo_rectangle(cr, lx - 1, ly, w + 2, h);
    cairo_fill(cr);
    pl_plot_set_rgba(cr, c, 1.0);
    pl_plot_text_draw(t, cr, text, 0.75, lx, ly, 0, 0);
  }
}

static void
draw_cursor(PlSeriesPlot *self, cairo_t *cr, const Layout *L, const PlPlotInk *ink)
{
  if (self->cursor_step < 0 || self->cursor_step < L->x0 || self->cursor_step > L->x1)
    return;
  const graphene_rect_t *a = &L->area;
  double px = round(map_x(L, self->cursor_step)) + 0.5, s = MAX(4.0, ink->font_size * 0.4);
  pl_plot_set_rgba(cr, &ink->fg, 0.9);
  cairo_set_line_width(cr, 1.5);
  cairo_move_to(cr, px, a->origin.y);
  cairo_line_to(cr, px, a->origin.y + a->size.height);
  cairo_stroke(cr);
  cairo_move_to(cr, px - s, a->origin.y);
  cairo_line_to(cr, px + s, a->origin.y);
  cairo_line_to(cr, px, a->origin.y + s);
  cairo_close_path(cr);
  cairo_fill(cr);
}

static void
draw_hover(PlSeriesPlot *self, cairo_t *cr, PlPlotText *t, const Layout *L, const PlPlotInk *ink,
           int width, int height)
{
  const graphene_rect_t *a = &L->area;
  if (!graphene_rect_contains_point(a, &GRAPHENE_POINT_INIT(self->hover_x, self->hover_y)))
    return;
  double want = L->x0 + (self->hover_x - a->origin.x) / a->size.width * (L->x1 - L->x0);

  /* The step nearest the pointer among all visible series. */
  double best = NAN;
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index(self->series, i);
    if (!s->visible || s->points->len == 0)
      continue;
    series_sort(s);
    int k = series_floor_index(s, want);
    for (int j = MAX(k, 0); j <= k + 1 && j < (int)s->points->len; j++) {
      double x = g_array_index(s->points, Point, j).x;
      if (isnan(best) || fabs(x - want) < fabs(best - want))
        best = x;
    }
  }
  if (isnan(best))
    return;

  double px = map_x(L, best);
  pl_plot_set_rgba(cr, &ink->fg, 0.35);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, round(px) + 0.5, a->origin.y);
  cairo_line_to(cr, round(px) + 0.5, a->origin.y + a->size.height);
  cairo_stroke(cr);

  guint n = self->series->len + 1, count = 0;
  char **lines = g_new0(char *, n);
  const GdkRGBA **colors = g_new0(const GdkRGBA *, n);
  lines[count++] = g_strdup_printf("<b>step %g</b>", best);
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index(self->series, i);
    double v;
    if (!s->visible || !pl_series_plot_get_value(self, (int)i, best, &v))
      continue;
    g_autofree char *vs = pl_plot_format_value(v);
    g_autofree char *name = g_markup_escape_text(s->name, -1);
    lines[count] = g_strdup_printf("%s  %s", name, vs);
    colors[count++] = &s->color;
    if (isfinite(v) && (!self->log_y || v > 0)) {
      pl_plot_set_rgba(cr, &s->color, 1.0);
      cairo_arc(cr, px, map_y(L, self->log_y, v), MAX(3.0, ink->line_width * 2), 0, 2 * G_PI);
      cairo_fill(cr);
    }
  }
  graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, width, height);
  pl_plot_draw_readout(cr, t, ink, (const char *const *)lines, colors, (int)count,
                       self->hover_x, self->hover_y, &bounds);
  for (guint i = 0; i < count; i++)
    g_free(lines[i]);
  g_free(lines);
  g_free(colors);
}

static void
draw_all(PlSeriesPlot *self, cairo_t *cr, int width, int height, const PlPlotInk *ink,
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

  if (self->title && self->title[0]) {
    g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", self->title);
    pl_plot_set_rgba(cr, &ink->fg, 1.0);
    pl_plot_text_draw(&t, cr, m, 1.0, pad, pad, 0, 0);
  }
  legend(self, &t, ink, cr, pad, width - pad, L.legend_top);
  pl_plot_draw_axes(cr, &t, ink, a, L.x0, L.x1, &L.xt, L.y0, L.y1, &L.yt);

  pl_plot_set_rgba(cr, &ink->fg, 0.85);
  if (self->x_label && self->x_label[0]) {
    g_autofree char *m = g_markup_escape_text(self->x_label, -1);
    pl_plot_text_draw(&t, cr, m, 0.85, a->origin.x + a->size.width / 2, height - pad * 0.5, 0.5, 1.0);
  }
  if (self->y_label && self->y_label[0]) {
    g_autofree char *m = g_markup_escape_text(self->y_label, -1);
    cairo_save(cr);
    cairo_translate(cr, pad * 0.5, a->origin.y + a->size.height / 2);
    cairo_rotate(cr, -G_PI / 2);
    pl_plot_text_draw(&t, cr, m, 0.85, 0, 0, 0.5, 0.0);
    cairo_restore(cr);
  }

  cairo_save(cr);
  cairo_rectangle(cr, a->origin.x, a->origin.y, a->size.width, a->size.height);
  cairo_clip(cr);
  draw_markers(self, cr, &t, &L, ink);
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index(self->series, i);
    if (s->visible && s->points->len > 0)
      draw_series(self, cr, &L, ink, s);
  }
  cairo_set_dash(cr, NULL, 0, 0);
  draw_cursor(self, cr, &L, ink);
  cairo_restore(cr);

  if (hover)
    draw_hover(self, cr, &t, &L, ink, width, height);
  cairo_restore(cr);
  pl_plot_text_clear(&t);
}

void
pl_series_plot_draw(PlSeriesPlot *self, cairo_t *cr, int width, int height)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  g_return_if_fail(cr != NULL);
  PlPlotInk ink;
  pl_plot_ink_for_print(self->font_scale, &ink);
  draw_all(self, cr, width, height, &ink, FALSE);
}

gboolean
pl_series_plot_get_plot_area(PlSeriesPlot *self, int width, int height, graphene_rect_t *area)
{
  g_return_val_if_fail(PL_IS_SERIES_PLOT(self), FALSE);
  PlPlotInk ink;
  PlPlotText t;
  Layout L;
  pl_plot_ink_for_print(self->font_scale, &ink);
  pl_plot_text_init(&t, &ink);
  gboolean ok = compute_layout(self, &t, &ink, width, height, &L);
  pl_plot_text_clear(&t);
  if (ok && area)
    *area = L.area;
  return ok;
}

gboolean
pl_series_plot_data_to_pixel(PlSeriesPlot *self, int width, int height, double step,
                             double value, double *px, double *py)
{
  g_return_val_if_fail(PL_IS_SERIES_PLOT(self), FALSE);
  PlPlotInk ink;
  PlPlotText t;
  Layout L;
  pl_plot_ink_for_print(self->font_scale, &ink);
  pl_plot_text_init(&t, &ink);
  gboolean ok = compute_layout(self, &t, &ink, width, height, &L);
  pl_plot_text_clear(&t);
  if (!ok || (self->log_y && !(value > 0)))
    return FALSE;
  if (px)
    *px = map_x(&L, step);
  if (py)
    *py = map_y(&L, self->log_y, value);
  return TRUE;
}

static void
pl_series_plot_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlSeriesPlot *self = PL_SERIES_PLOT(widget);
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
pl_series_plot_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                       int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  (void)widget;
  (void)for_size;
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 100;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 240;
  *min_baseline = *nat_baseline = -1;
}

/* --- input --- */

static void
on_motion(GtkEventControllerMotion *c, double x, double y, PlSeriesPlot *self)
{
  (void)c;
  self->hovering = TRUE;
  self->hover_x = x;
  self->hover_y = y;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void
on_leave(GtkEventControllerMotion *c, PlSeriesPlot *self)
{
  (void)c;
  self->hovering = FALSE;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* The step under widget x, using the on-screen layout. */
static void
activate_at(PlSeriesPlot *self, double x)
{
  GtkWidget *w = GTK_WIDGET(self);
  PlPlotInk ink;
  PlPlotText t;
  Layout L;
  pl_plot_ink_for_widget(w, self->font_scale, &ink);
  pl_plot_text_init(&t, &ink);
  gboolean ok = compute_layout(self, &t, &ink, gtk_widget_get_width(w), gtk_widget_get_height(w), &L);
  pl_plot_text_clear(&t);
  if (!ok)
    return;
  double step = L.x0 + (x - L.area.origin.x) / L.area.size.width * (L.x1 - L.x0);
  step = CLAMP(round(step), ceil(L.x0), floor(L.x1));
  g_signal_emit(self, signals[SIGNAL_STEP_ACTIVATED], 0, (int)step);
}

static void
on_drag_begin(GtkGestureDrag *g, double x, double y, PlSeriesPlot *self)
{
  (void)g;
  (void)y;
  self->drag_x0 = x;
  activate_at(self, x);
}

static void
on_drag_update(GtkGestureDrag *g, double dx, double dy, PlSeriesPlot *self)
{
  (void)g;
  (void)dy;
  activate_at(self, self->drag_x0 + dx);
}

/* --- properties --- */

static void
set_string(PlSeriesPlot *self, char **field, const char *value, int prop)
{
  if (g_strcmp0(*field, value) == 0)
    return;
  g_free(*field);
  *field = g_strdup(value);
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

void
pl_series_plot_set_title(PlSeriesPlot *self, const char *title)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  set_string(self, &self->title, title, PROP_TITLE);
}

void
pl_series_plot_set_axis_labels(PlSeriesPlot *self, const char *x_label, const char *y_label)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  set_string(self, &self->x_label, x_label, PROP_X_LABEL);
  set_string(self, &self->y_label, y_label, PROP_Y_LABEL);
}

void
pl_series_plot_set_log_y(PlSeriesPlot *self, gboolean log_y)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  log_y = !!log_y;
  if (self->log_y == log_y)
    return;
  self->log_y = log_y;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_LOG_Y]);
}

gboolean
pl_series_plot_get_log_y(PlSeriesPlot *self)
{
  g_return_val_if_fail(PL_IS_SERIES_PLOT(self), FALSE);
  return self->log_y;
}

void
pl_series_plot_set_cursor_step(PlSeriesPlot *self, double step)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  if (!isfinite(step) || step < 0)
    step = -1;
  if (self->cursor_step == step)
    return;
  self->cursor_step = step;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CURSOR_STEP]);
}

double
pl_series_plot_get_cursor_step(PlSeriesPlot *self)
{
  g_return_val_if_fail(PL_IS_SERIES_PLOT(self), -1);
  return self->cursor_step;
}

void
pl_series_plot_set_font_scale(PlSeriesPlot *self, double scale)
{
  g_return_if_fail(PL_IS_SERIES_PLOT(self));
  scale = CLAMP(scale, 0.25, 8.0);
  if (self->font_scale == scale)
    return;
  self->font_scale = scale;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_FONT_SCALE]);
}

static void
pl_series_plot_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  PlSeriesPlot *self = PL_SERIES_PLOT(object);
  switch (id) {
  case PROP_TITLE: g_value_set_string(value, self->title); break;
  case PROP_X_LABEL: g_value_set_string(value, self->x_label); break;
  case PROP_Y_LABEL: g_value_set_string(value, self->y_label); break;
  case PROP_LOG_Y: g_value_set_boolean(value, self->log_y); break;
  case PROP_CURSOR_STEP: g_value_set_double(value, self->cursor_step); break;
  case PROP_FONT_SCALE: g_value_set_double(value, self->font_scale); break;
  case PROP_SHOW_LEGEND: g_value_set_boolean(value, self->show_legend); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_series_plot_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  PlSeriesPlot *self = PL_SERIES_PLOT(object);
  switch (id) {
  case PROP_TITLE: pl_series_plot_set_title(self, g_value_get_string(value)); break;
  case PROP_X_LABEL: set_string(self, &self->x_label, g_value_get_string(value), PROP_X_LABEL); break;
  case PROP_Y_LABEL: set_string(self, &self->y_label, g_value_get_string(value), PROP_Y_LABEL); break;
  case PROP_LOG_Y: pl_series_plot_set_log_y(self, g_value_get_boolean(value)); break;
  case PROP_CURSOR_STEP: pl_series_plot_set_cursor_step(self, g_value_get_double(value)); break;
  case PROP_FONT_SCALE: pl_series_plot_set_font_scale(self, g_value_get_double(value)); break;
  case PROP_SHOW_LEGEND:
    if (self->show_legend != g_value_get_boolean(value)) {
      self->show_legend = g_value_get_boolean(value);
      gtk_widget_queue_draw(GTK_WIDGET(self));
      g_object_notify_by_pspec(object, pspec);
    }
    break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
pl_series_plot_finalize(GObject *object)
{
  PlSeriesPlot *self = PL_SERIES_PLOT(object);
  g_clear_pointer(&self->series, g_ptr_array_unref);
  g_clear_pointer(&self->markers, g_array_unref);
  g_clear_pointer(&self->title, g_free);
  g_clear_pointer(&self->x_label, g_free);
  g_clear_pointer(&self->y_label, g_free);
  G_OBJECT_CLASS(pl_series_plot_parent_class)->finalize(object);
}

static void
pl_series_plot_class_init(PlSeriesPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->finalize = pl_series_plot_finalize;
  object_class->get_property = pl_series_plot_get_property;
  object_class->set_property = pl_series_plot_set_property;
  widget_class->snapshot = pl_series_plot_snapshot;
  widget_class->measure = pl_series_plot_measure;

  GParamFlags f = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  props[PROP_TITLE] = g_param_spec_string("title", NULL, NULL, NULL, f);
  props[PROP_X_LABEL] = g_param_spec_string("x-label", NULL, NULL, "step", f);
  props[PROP_Y_LABEL] = g_param_spec_string("y-label", NULL, NULL, NULL, f);
  props[PROP_LOG_Y] = g_param_spec_boolean("log-y", NULL, NULL, FALSE, f);
  props[PROP_CURSOR_STEP] = g_param_spec_double("cursor-step", NULL, NULL, -1, G_MAXDOUBLE, -1, f);
  props[PROP_FONT_SCALE] = g_param_spec_double("font-scale", NULL, NULL, 0.25, 8.0, 1.0, f);
  props[PROP_SHOW_LEGEND] = g_param_spec_boolean("show-legend", NULL, NULL, TRUE, f);
  g_object_class_install_properties(object_class, N_PROPS, props);

  /* A click or drag in the plot picks a step (the timeline scrubber follows it). */
  signals[SIGNAL_STEP_ACTIVATED] = g_signal_new("step-activated", G_TYPE_FROM_CLASS(klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_css_name(widget_class, "plseriesplot");
}

static void
pl_series_plot_init(PlSeriesPlot *self)
{
  self->series = g_ptr_array_new_with_free_func(series_free);
  self->markers = g_array_new(FALSE, FALSE, sizeof(Marker));
  g_array_set_clear_func(self->markers, marker_clear);
  self->x_label = g_strdup("step");
  self->cursor_step = -1;
  self->font_scale = 1.0;
  self->show_legend = TRUE;

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
