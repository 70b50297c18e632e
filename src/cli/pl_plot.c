/* Cairo figures: panels of lines with spread bands, and histogram panels. One drawing
 * path for both formats; the surface (PNG image or SVG) is picked from the extension
 * and the file is written to a temporary name, then renamed (atomic). */
#include "pl_plot.h"
#include <cairo.h>
#include <cairo-svg.h>
#include <math.h>
#include <string.h>

#define PANEL_W 380.0
#define PANEL_H 300.0
#define MARGIN_L 62.0
#define MARGIN_R 16.0
#define MARGIN_T 84.0
#define MARGIN_B 56.0
#define HIST_TOP 66.0   /* histograms have no legend row */
#define HIST_ROW_GAP 30.0 /* room for the panel titles of the next row */

void pl_plot_color(int i, double rgb[3]) {
  /* colour-blind-safe palette (Okabe-Ito) */
  static const double pal[][3] = {{0.000, 0.447, 0.698}, {0.835, 0.369, 0.000},
                                  {0.000, 0.620, 0.451}, {0.800, 0.475, 0.655},
                                  {0.337, 0.706, 0.914}, {0.902, 0.624, 0.000},
                                  {0.941, 0.894, 0.259}, {0.000, 0.000, 0.000}};
  int k = ((i % 8) + 8) % 8;
  memcpy(rgb, pal[k], sizeof pal[k]);
}

typedef struct {
  double x0, y0, w, h;        /* plot area in device units */
  double xmin, xmax, ymin, ymax;
  gboolean log_x;
} Frame;

static double fx(const Frame *f, double x) {
  double a = f->log_x ? log10(x) : x, lo = f->log_x ? log10(f->xmin) : f->xmin,
         hi = f->log_x ? log10(f->xmax) : f->xmax;
  return f->x0 + (hi > lo ? (a - lo) / (hi - lo) : 0.5) * f->w;
}

static double fy(const Frame *f, double y) {
  return f->y0 + f->h - (f->ymax > f->ymin ? (y - f->ymin) / (f->ymax - f->ymin) : 0.5) * f->h;
}

static double nice_step(double range, int target) {
  double raw = range / MAX(target, 1);
  double p = pow(10.0, floor(log10(raw)));
  double m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void text(cairo_t *cr, double x, double y, const char *s, double size, double align_x,
                 double align_y) {
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s, &e);
  cairo_move_to(cr, x - e.width * align_x - e.x_bearing, y - e.height * align_y - e.y_bearing);
  cairo_show_text(cr, s);
}

static void axes(cairo_t *cr, const Frame *f, const double *xticks, int nxt, const char *xlabel,
                 const char *ylabel, const char *title, double min_ystep) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1.0);
  cairo_rectangle(cr, f->x0, f->y0, f->w, f->h);
  cairo_stroke(cr);
  double step = MAX(nice_step(f->ymax - f->ymin, 5), min_ystep);
  for (double v = ceil(f->ymin / step) * step; v <= f->ymax + 1e-9 * step; v += step) {
    double y = fy(f, v);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.12);
    cairo_move_to(cr, f->x0, y);
    cairo_line_to(cr, f->x0 + f->w, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    char buf[32];
    g_snprintf(buf, sizeof buf, "%g", fabs(v) < 1e-12 ? 0.0 : v);
    text(cr, f->x0 - 5, y, buf, 10, 1.0, 0.5);
  }
  for (int k = 0; k < nxt; k++) {
    double x = fx(f, xticks[k]);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.12);
    cairo_move_to(cr, x, f->y0);
    cairo_line_to(cr, x, f->y0 + f->h);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    char buf[32];
    g_snprintf(buf, sizeof buf, "%g", xticks[k]);
    text(cr, x, f->y0 + f->h + 5, buf, 10, 0.5, 0.0);
  }
  if (xlabel)
    text(cr, f->x0 + f->w / 2, f->y0 + f->h + 24, xlabel, 11, 0.5, 0.0);
  if (ylabel) {
    cairo_save(cr);
    cairo_translate(cr, f->x0 - 46, f->y0 + f->h / 2);
    cairo_rotate(cr, -G_PI / 2);
    text(cr, 0, 0, ylabel, 11, 0.5, 0.5);
    cairo_restore(cr);
  }
  if (title)
    text(cr, f->x0 + f->w / 2, f->y0 - 8, title, 12, 0.5, 1.0);
}

typedef void (*DrawFn)(cairo_t *cr, double w, double h, gconstpointer data);

static cairo_status_t append_bytes(void *closure, const unsigned char *data, unsigned int len) {
  g_byte_array_append(closure, data, len);
  return CAIRO_STATUS_SUCCESS;
}

/* Drawn into memory and written with g_file_set_contents like every other output: a kill
 * while drawing leaves nothing behind, and the file appears whole or not at all. */
static gboolean render(const char *path, double w, double h, DrawFn draw, gconstpointer data,
                       GError **error) {
  gboolean svg = g_str_has_suffix(path, ".svg") || g_str_has_suffix(path, ".SVG");
  GByteArray *bytes = g_byte_array_new();
  cairo_surface_t *surf = svg ? cairo_svg_surface_create_for_stream(append_bytes, bytes, w, h)
                              : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
  cairo_t *cr = cairo_create(surf);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  draw(cr, w, h, data);
  cairo_destroy(cr);
  cairo_status_t st = svg ? CAIRO_STATUS_SUCCESS
                          : cairo_surface_write_to_png_stream(surf, append_bytes, bytes);
  cairo_surface_finish(surf);
  if (st == CAIRO_STATUS_SUCCESS)
    st = cairo_surface_status(surf);
  cairo_surface_destroy(surf);
  gboolean ok = FALSE;
  if (st != CAIRO_STATUS_SUCCESS)
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot draw %s: %s", path,
                cairo_status_to_string(st));
  else
    ok = g_file_set_contents(path, (const char *)bytes->data, bytes->len, error);
  g_byte_array_unref(bytes);
  return ok;
}

/* ---- line panels ---- */

typedef struct {
  const PlPlotLabels *labels;
  const PlPlotPanel *panels;
  int n;
} LineFig;

static void data_range(const PlPlotPanel *p, gboolean log_x, double *xmin, double *xmax,
                       double *ymin, double *ymax) {
  for (int s = 0; s < p->n_series; s++) {
    const PlPlotSeries *se = &p->series[s];
    for (int k = 0; k < se->n; k++) {
      if (log_x && !(se->x[k] > 0))
        continue;
      *xmin = MIN(*xmin, se->x[k]);
      *xmax = MAX(*xmax, se->x[k]);
      double vals[3] = {se->y[k], se->lo ? se->lo[k] : NAN, se->hi ? se->hi[k] : NAN};
      for (int j = 0; j < 3; j++)
        if (isfinite(vals[j])) {
          *ymin = MIN(*ymin, vals[j]);
          *ymax = MAX(*ymax, vals[j]);
        }
    }
  }
}

static int collect_xticks(const PlPlotPanel *p, double *ticks, int max) {
  int n = 0;
  for (int s = 0; s < p->n_series; s++)
    for (int k = 0; k < p->series[s].n; k++) {
      double x = p->series[s].x[k];
      gboolean seen = FALSE;
      for (int j = 0; j < n; j++)
        seen = seen || fabs(ticks[j] - x) <= 1e-12 * fabs(x);
      if (!seen && n < max)
        ticks[n++] = x;
    }
  return n;
}

static void draw_series(cairo_t *cr, const Frame *f, const PlPlotSeries *se, int idx) {
  double rgb[3];
  pl_plot_color(idx, rgb);
  if (se->lo && se->hi) { /* band: upper edge forwards, lower edge back */
    gboolean started = FALSE;
    for (int k = 0; k < se->n; k++)
      if (isfinite(se->hi[k])) {
        if (!started) cairo_move_to(cr, fx(f, se->x[k]), fy(f, se->hi[k]));
        else cairo_line_to(cr, fx(f, se->x[k]), fy(f, se->hi[k]));
        started = TRUE;
      }
    for (int k = se->n - 1; k >= 0 && started; k--)
      if (isfinite(se->lo[k]))
        cairo_line_to(cr, fx(f, se->x[k]), fy(f, se->lo[k]));
    if (started) {
      cairo_close_path(cr);
      cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.18);
      cairo_fill(cr);
    }
  }
  cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  cairo_set_line_width(cr, 2.0);
  gboolean pen = FALSE;
  for (int k = 0; k < se->n; k++) {
    if (!isfinite(se->y[k])) {
      pen = FALSE;
      continue;
    }
    if (pen) cairo_line_to(cr, fx(f, se->x[k]), fy(f, se->y[k]));
    else cairo_move_to(cr, fx(f, se->x[k]), fy(f, se->y[k]));
    pen = TRUE;
  }
  cairo_stroke(cr);
  for (int k = 0; k < se->n; k++)
    if (isfinite(se->y[k])) {
      cairo_arc(cr, fx(f, se->x[k]), fy(f, se->y[k]), 3.0, 0, 2 * G_PI);
      cairo_fill(cr);
    }
}

static void legend(cairo_t *cr, double x, double y, const char *const *labels, int n) {
  for (int k = 0; k < n; k++) {
    double rgb[3];
    pl_plot_color(k, rgb);
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_rectangle(cr, x, y - 5, 18, 4);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 11);
    cairo_text_extents_t e;
    cairo_text_extents(cr, labels[k], &e);
    text(cr, x + 24, y - 3, labels[k], 11, 0.0, 0.5);
    x += 24 + e.x_advance + 18;
  }
}

static void draw_title(cairo_t *cr, double w, const PlPlotLabels *l) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  if (l->title)
    text(cr, w / 2, 8, l->title, 14, 0.5, 0.0);
  if (l->note) {
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    text(cr, w / 2, 28, l->note, 10, 0.5, 0.0);
  }
}

static void draw_lines(cairo_t *cr, double w, double h, gconstpointer data) {
  const LineFig *fig = data;
  (void)h;
  draw_title(cr, w, fig->labels);
  if (fig->n > 0 && fig->panels[0].n_series > 0) {
    const char **names = g_new0(const char *, fig->panels[0].n_series);
    for (int s = 0; s < fig->panels[0].n_series; s++)
      names[s] = fig->panels[0].series[s].label;
    legend(cr, MARGIN_L, 54, names, fig->panels[0].n_series);
    g_free(names);
  }
  for (int p = 0; p < fig->n; p++) {
    const PlPlotPanel *pan = &fig->panels[p];
    Frame f = {MARGIN_L + p * (PANEL_W + MARGIN_L), MARGIN_T, PANEL_W, PANEL_H - MARGIN_B,
               INFINITY, -INFINITY, INFINITY, -INFINITY, fig->labels->log_x};
    data_range(pan, f.log_x, &f.xmin, &f.xmax, &f.ymin, &f.ymax);
    if (!isfinite(f.xmin)) { f.xmin = 1; f.xmax = 10; }
    if (!isfinite(f.ymin)) { f.ymin = 0; f.ymax = 1; }
    double pad = MAX(0.5, 0.06 * (f.ymax - f.ymin));
    f.ymin -= pad;
    f.ymax += pad;
    if (f.log_x && f.xmax > f.xmin) { f.xmin /= 1.25; f.xmax *= 1.25; }
    else if (!f.log_x) { double d = 0.04 * MAX(f.xmax - f.xmin, 1e-9); f.xmin -= d; f.xmax += d; }
    double ticks[16];
    int nt = collect_xticks(pan, ticks, 16);
    axes(cr, &f, ticks, nt, fig->labels->xlabel, fig->labels->ylabel, pan->title, 0.0);
    cairo_save(cr);
    cairo_rectangle(cr, f.x0, f.y0, f.w, f.h);
    cairo_clip(cr);
    for (int s = 0; s < pan->n_series; s++)
      draw_series(cr, &f, &pan->series[s], s);
    cairo_restore(cr);
  }
}

gboolean pl_plot_line_panels(const char *path, const PlPlotLabels *labels,
                             const PlPlotPanel *panels, int n_panels, GError **error) {
  LineFig fig = {labels, panels, n_panels};
  double w = MAX(1, n_panels) * (PANEL_W + MARGIN_L) + MARGIN_R;
  double h = MARGIN_T + PANEL_H;
  return render(path, w, h, draw_lines, &fig, error);
}

/* ---- histograms ---- */

typedef struct {
  const PlPlotLabels *labels;
  const PlPlotHistogram *hists;
  int n, cols, bins;
  double lo, hi;
} HistFig;

static void draw_hists(cairo_t *cr, double w, double h, gconstpointer data) {
  const HistFig *fig = data;
  (void)h;
  draw_title(cr, w, fig->labels);
  int *counts = g_new0(int, fig->bins);
  int top = 1;
  for (int p = 0; p < fig->n; p++) { /* shared y scale */
    memset(counts, 0, sizeof(int) * fig->bins);
    for (int k = 0; k < fig->hists[p].n; k++) {
      double v = fig->hists[p].values[k];
      if (!isfinite(v)) continue;
      int b = (int)floor((v - fig->lo) / (fig->hi - fig->lo) * fig->bins);
      b = CLAMP(b, 0, fig->bins - 1);
      top = MAX(top, ++counts[b]);
    }
  }
  for (int p = 0; p < fig->n; p++) {
    const PlPlotHistogram *hg = &fig->hists[p];
    int col = p % fig->cols, row = p / fig->cols;
    Frame f = {MARGIN_L + col * (PANEL_W + MARGIN_L), HIST_TOP + row * (PANEL_H + HIST_ROW_GAP), PANEL_W,
               PANEL_H - MARGIN_B, fig->lo, fig->hi, 0, top * 1.08, FALSE};
    memset(counts, 0, sizeof(int) * fig->bins);
    int n = 0;
    double sum = 0;
    for (int k = 0; k < hg->n; k++) {
      double v = hg->values[k];
      if (!isfinite(v)) continue;
      int b = CLAMP((int)floor((v - fig->lo) / (fig->hi - fig->lo) * fig->bins), 0, fig->bins - 1);
      counts[b]++;
      n++;
      sum += v;
    }
    double ticks[8];
    double step = nice_step(fig->hi - fig->lo, 5);
    int nt = 0;
    for (double v = ceil(fig->lo / step) * step; v <= fig->hi && nt < 8; v += step)
      ticks[nt++] = v;
    char *title = g_strdup_printf("%s (n = %d, mean %.2f)", hg->title, n, n ? sum / n : NAN);
    axes(cr, &f, ticks, nt, fig->labels->xlabel, col == 0 ? fig->labels->ylabel : NULL, title,
         1.0);
    g_free(title);
    double rgb[3];
    pl_plot_color(col, rgb); /* a column is one method in a grid */
    double bw = (fig->hi - fig->lo) / fig->bins;
    for (int b = 0; b < fig->bins; b++) {
      if (!counts[b]) continue;
      double x0 = fx(&f, fig->lo + b * bw), x1 = fx(&f, fig->lo + (b + 1) * bw);
      double y0 = fy(&f, 0), y1 = fy(&f, counts[b]);
      cairo_rectangle(cr, x0 + 0.5, y1, x1 - x0 - 1.0, y0 - y1);
      cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.75);
      cairo_fill(cr);
    }
  }
  g_free(counts);
}

gboolean pl_plot_histograms(const char *path, const PlPlotLabels *labels,
                            const PlPlotHistogram *hists, int n, int bins, double lo,
                            double hi, GError **error) {
  return pl_plot_histogram_grid(path, labels, hists, n, MAX(1, n), bins, lo, hi, error);
}

gboolean pl_plot_histogram_grid(const char *path, const PlPlotLabels *labels,
                                const PlPlotHistogram *hists, int n, int cols, int bins,
                                double lo, double hi, GError **error) {
  cols = CLAMP(cols, 1, MAX(1, n));
  if (!(lo < hi)) {
    lo = INFINITY;
    hi = -INFINITY;
    for (int p = 0; p < n; p++)
      for (int k = 0; k < hists[p].n; k++)
        if (isfinite(hists[p].values[k])) {
          lo = MIN(lo, hists[p].values[k]);
          hi = MAX(hi, hists[p].values[k]);
        }
    if (!isfinite(lo)) { lo = 0; hi = 1; }
    lo = floor(lo) - 0.5;
    hi = ceil(hi) + 0.5;
  }
  HistFig fig = {labels, hists, n, cols, MAX(bins, 1), lo, hi};
  int rows = (MAX(1, n) + cols - 1) / cols;
  double w = cols * (PANEL_W + MARGIN_L) + MARGIN_R;
  double h = HIST_TOP + rows * PANEL_H + (rows - 1) * HIST_ROW_GAP;
  return render(path, w, h, draw_hists, &fig, error);
}
