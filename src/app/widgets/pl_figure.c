/* Figure export: labelled panels rendered through Cairo to PNG, SVG or PDF. */
#include "pl_figure.h"
#include "pl_plot_private.h"
#include "pl_series_plot.h"
#include "pl_spectrum_plot.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

typedef struct {
  cairo_surface_t *image;      /* image panel, or NULL for a drawing */
  PlFigureDrawFunc draw;
  gpointer data;
  GDestroyNotify destroy;
  double width_factor;
  char *label;
  char *metrics;
} Panel;

struct PlFigure {
  char *title;
  char *footnote;
  GPtrArray *panels;   /* Panel* */
  int panel_size;
  int columns;
  double font_scale;
};

static void
panel_free(gpointer p)
{
  Panel *panel = p;
  g_clear_pointer(&panel->image, cairo_surface_destroy);
  if (panel->destroy)
    panel->destroy(panel->data);
  g_free(panel->label);
  g_free(panel->metrics);
  g_free(panel);
}

PlFigureFormat
pl_figure_format_from_path(const char *path)
{
  const char *dot = path ? strrchr(path, '.') : NULL;
  if (dot == NULL)
    return PL_FIGURE_FORMAT_AUTO;
  if (g_ascii_strcasecmp(dot, ".png") == 0)
    return PL_FIGURE_FORMAT_PNG;
  if (g_ascii_strcasecmp(dot, ".svg") == 0)
    return PL_FIGURE_FORMAT_SVG;
  if (g_ascii_strcasecmp(dot, ".pdf") == 0)
    return PL_FIGURE_FORMAT_PDF;
  return PL_FIGURE_FORMAT_AUTO;
}

const char *
pl_figure_format_extension(PlFigureFormat fmt)
{
  switch (fmt) {
  case PL_FIGURE_FORMAT_SVG: return "svg";
  case PL_FIGURE_FORMAT_PDF: return "pdf";
  case PL_FIGURE_FORMAT_PNG:
  case PL_FIGURE_FORMAT_AUTO:
  default: return "png";
  }
}

PlFigure *
pl_figure_new(const char *title)
{
  PlFigure *fig = g_new0(PlFigure, 1);
  fig->title = g_strdup(title);
  fig->panels = g_ptr_array_new_with_free_func(panel_free);
  fig->panel_size = 256;
  fig->font_scale = 1.0;
  return fig;
}

void
pl_figure_free(PlFigure *fig)
{
  if (fig == NULL)
    return;
  g_free(fig->title);
  g_free(fig->footnote);
  g_ptr_array_unref(fig->panels);
  g_free(fig);
}

static Panel *
panel_new(PlFigure *fig, const char *label, const char *metrics)
{
  Panel *p = g_new0(Panel, 1);
  p->label = g_strdup(label);
  p->metrics = g_strdup(metrics);
  p->width_factor = 1.0;
  g_ptr_array_add(fig->panels, p);
  return p;
}

void
pl_figure_add_panel(PlFigure *fig, const PlImage *img, const char *label, const char *metrics)
{
  g_return_if_fail(fig != NULL);
  Panel *p = panel_new(fig, label, metrics);
  p->image = pl_surface_from_image(img);   /* NULL: an empty frame is drawn */
}

void
pl_figure_add_drawing(PlFigure *fig, PlFigureDrawFunc draw, gpointer user_data,
                      GDestroyNotify destroy, double width_factor, const char *label,
                      const char *metrics)
{
  g_return_if_fail(fig != NULL);
  g_return_if_fail(draw != NULL);
  Panel *p = panel_new(fig, label, metrics);
  p->draw = draw;
  p->data = user_data;
  p->destroy = destroy;
  p->width_factor = isfinite(width_factor) ? CLAMP(width_factor, 0.25, 8.0) : 1.0;
}

static void
draw_plot_widget(cairo_t *cr, int width, int height, gpointer data)
{
  /* White behind the plot: its ink is made for a page. */
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  if (PL_IS_SERIES_PLOT(data))
    pl_series_plot_draw(PL_SERIES_PLOT(data), cr, width, height);
  else if (PL_IS_SPECTRUM_PLOT(data))
    pl_spectrum_plot_draw(PL_SPECTRUM_PLOT(data), cr, width, height);
}

void
pl_figure_add_plot(PlFigure *fig, GtkWidget *plot, double width_factor, const char *label,
                   const char *metrics)
{
  g_return_if_fail(fig != NULL);
  g_return_if_fail(PL_IS_SERIES_PLOT(plot) || PL_IS_SPECTRUM_PLOT(plot));
  pl_figure_add_drawing(fig, draw_plot_widget, g_object_ref(plot), g_object_unref,
                        width_factor, label, metrics);
}

int
pl_figure_get_n_panels(const PlFigure *fig)
{
  g_return_val_if_fail(fig != NULL, 0);
  return (int)fig->panels->len;
}

void
pl_figure_set_footnote(PlFigure *fig, const char *footnote)
{
  g_return_if_fail(fig != NULL);
  g_free(fig->footnote);
  fig->footnote = g_strdup(footnote);
}

void
pl_figure_set_panel_size(PlFigure *fig, int size)
{
  g_return_if_fail(fig != NULL);
  fig->panel_size = CLAMP(size, 16, 4096);
}

void
pl_figure_set_columns(PlFigure *fig, int columns)
{
  g_return_if_fail(fig != NULL);
  fig->columns = MAX(columns, 0);
}

void
pl_figure_set_font_scale(PlFigure *fig, double scale)
{
  g_return_if_fail(fig != NULL);
  fig->font_scale = isfinite(scale) ? CLAMP(scale, 0.25, 8.0) : 1.0;
}

/* --- layout --- */

typedef struct {
  PlPlotInk ink;
  double font, margin, gap;
  double title_h, label_h, metrics_h, foot_h;
  int columns, rows;
  double row_w[64];   /* widths of the first rows (more rows reuse the last slot) */
  double width, height;
} Layout;

static double
panel_width(const PlFigure *fig, const Panel *p)
{
  return round(fig->panel_size * p->width_factor);
}

static void
compute_layout(const PlFigure *fig, PlPlotText *t, Layout *L)
{
  int n = (int)fig->panels->len;
  L->columns = fig->columns > 0 ? MIN(fig->columns, MAX(n, 1)) : MAX(n, 1);
  L->rows = MAX(1, (n + L->columns - 1) / L->columns);
  L->margin = round(L->font * 0.9);
  L->gap = round(L->font * 0.8);

  /* Labels and metrics wrap to their panel's width; rows take the tallest. */
  L->label_h = L->metrics_h = 0;
  for (int i = 0; i < n; i++) {
    const Panel *p = g_ptr_array_index(fig->panels, i);
    if (p->label && p->label[0]) {
      g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", p->label);
      L->label_h = MAX(L->label_h, pl_plot_text_wrapped_height(t, m, 1.0, panel_width(fig, p)));
    }
    if (p->metrics && p->metrics[0]) {
      g_autofree char *m = g_markup_escape_text(p->metrics, -1);
      L->metrics_h = MAX(L->metrics_h, pl_plot_text_wrapped_height(t, m, 0.9, panel_width(fig, p)));
    }
  }
  L->label_h = L->label_h > 0 ? ceil(L->label_h + L->font * 0.3) : 0;
  L->metrics_h = L->metrics_h > 0 ? ceil(L->metrics_h + L->font * 0.3) : 0;
  double h;
  L->title_h = 0;
  if (fig->title && fig->title[0]) {
    g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", fig->title);
    pl_plot_text_measure(t, m, 1.3, NULL, &h);
    L->title_h = ceil(h + L->gap * 0.5);
  }

  double content_w = 0;
  for (int r = 0; r < L->rows; r++) {
    double w = 0;
    for (int c = 0; c < L->columns; c++) {
      int i = r * L->columns + c;
      if (i >= n)
        break;
      w += panel_width(fig, g_ptr_array_index(fig->panels, i)) + (c > 0 ? L->gap : 0);
    }
    L->row_w[MIN(r, 63)] = w;
    content_w = MAX(content_w, w);
  }
  if (n == 0)
    content_w = fig->panel_size;
  L->width = ceil(content_w + 2 * L->margin);

  L->foot_h = 0;
  if (fig->footnote && fig->footnote[0]) {
    g_autofree char *m = g_markup_escape_text(fig->footnote, -1);
    L->foot_h = ceil(pl_plot_text_wrapped_height(t, m, 0.8, content_w) + L->gap * 0.5);
  }
  double row_h = L->label_h + fig->panel_size + L->metrics_h;
  L->height = ceil(2 * L->margin + L->title_h + L->rows * row_h + (L->rows - 1) * L->gap + L->foot_h);
}

static void
layout_init(const PlFigure *fig, PlPlotText *t, Layout *L)
{
  memset(L, 0, sizeof *L);
  /* Text grows with the panels, so a figure keeps its proportions at any size. */
  L->font = MAX(9.0, fig->panel_size * 0.055) * fig->font_scale;
  pl_plot_ink_for_print(1.0, &L->ink);
  L->ink.font_size = L->font;
  L->ink.fg = (GdkRGBA){ 0, 0, 0, 1 };
  pl_plot_text_init(t, &L->ink);
  compute_layout(fig, t, L);
}

void
pl_figure_get_size(const PlFigure *fig, int *width, int *height)
{
  g_return_if_fail(fig != NULL);
  PlPlotText t;
  Layout L;
  layout_init(fig, &t, &L);
  pl_plot_text_clear(&t);
  if (width)
    *width = (int)L.width;
  if (height)
    *height = (int)L.height;
}

/* An integer nearest-neighbour enlargement to at least `side` pixels. SVG viewers ignore
 * Cairo's filter and would blur a 64x64 image stretched over a panel; replicated pixels
 * stay sharp in any viewer. */
static cairo_surface_t *
upscale_nearest(cairo_surface_t *src, int side)
{
  int w = cairo_image_surface_get_width(src), h = cairo_image_surface_get_height(src);
  int k = MAX(1, (side + MAX(w, h) - 1) / MAX(w, h));
  while (k > 1 && (long)MAX(w, h) * k > 4096)
    k--;
  if (k == 1)
    return cairo_surface_reference(src);
  cairo_surface_t *dst = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w * k, h * k);
  cairo_t *cr = cairo_create(dst);
  cairo_scale(cr, k, k);
  cairo_set_source_surface(cr, src, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_destroy(cr);
  return dst;
}

static void
draw_panel(const PlFigure *fig, cairo_t *cr, PlPlotText *t, const Layout *L, const Panel *p,
           double x, double y)
{
  double pw = panel_width(fig, p), ps = fig->panel_size;
  cairo_set_source_rgb(cr, 0, 0, 0);
  if (p->label && p->label[0]) {
    /* Bottom-aligned over the image, whatever the number of lines. */
    g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", p->label);
    double h = pl_plot_text_wrapped_height(t, m, 1.0, pw);
    pl_plot_text_draw_wrapped(t, cr, m, 1.0, x, y + L->label_h - L->font * 0.3 - h, pw, TRUE);
  }
  double iy = y + L->label_h;
  cairo_save(cr);
  cairo_rectangle(cr, x, iy, pw, ps);
  cairo_clip(cr);
  if (p->image) {
    /* Nearest neighbour: the model's pixels stay visible as pixels. */
    cairo_surface_t *big = upscale_nearest(p->image, (int)MAX(pw, ps));
    double iw = cairo_image_surface_get_width(big), ih = cairo_image_surface_get_height(big);
    double s = MIN(pw / iw, ps / ih);
    cairo_translate(cr, x + (pw - iw * s) / 2, iy + (ps - ih * s) / 2);
    cairo_scale(cr, s, s);
    cairo_set_source_surface(cr, big, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_surface_destroy(big);
  } else if (p->draw) {
    cairo_translate(cr, x, iy);
    p->draw(cr, (int)pw, (int)ps, p->data);
  } else {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_paint(cr);
  }
  cairo_restore(cr);
  if (p->metrics && p->metrics[0]) {
    g_autofree char *m = g_markup_escape_text(p->metrics, -1);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    pl_plot_text_draw_wrapped(t, cr, m, 0.9, x, iy + ps + L->font * 0.2, pw, TRUE);
  }
}

void
pl_figure_draw(const PlFigure *fig, cairo_t *cr)
{
  g_return_if_fail(fig != NULL && cr != NULL);
  PlPlotText t;
  Layout L;
  layout_init(fig, &t, &L);

  cairo_save(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, 0, 0, L.width, L.height);
  cairo_fill(cr);

  double y = L.margin;
  if (L.title_h > 0) {
    g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", fig->title);
    cairo_set_source_rgb(cr, 0, 0, 0);
    pl_plot_text_draw(&t, cr, m, 1.3, L.width / 2, y, 0.5, 0.0);
    y += L.title_h;
  }
  double row_h = L.label_h + fig->panel_size + L.metrics_h;
  int n = (int)fig->panels->len;
  for (int r = 0; r < L.rows; r++) {
    double x = round((L.width - L.row_w[MIN(r, 63)]) / 2);
    for (int c = 0; c < L.columns; c++) {
      int i = r * L.columns + c;
      if (i >= n)
        break;
      const Panel *p = g_ptr_array_index(fig->panels, i);
      draw_panel(fig, cr, &t, &L, p, x, y);
      x += panel_width(fig, p) + L.gap;
    }
    y += row_h + L.gap;
  }
  if (L.foot_h > 0) {
    g_autofree char *m = g_markup_escape_text(fig->footnote, -1);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    pl_plot_text_draw_wrapped(&t, cr, m, 0.8, L.margin, L.height - L.margin - L.foot_h + L.gap * 0.5,
                              L.width - 2 * L.margin, FALSE);
  }
  cairo_restore(cr);
  pl_plot_text_clear(&t);
}

/* --- writing --- */

static cairo_status_t
append_to_string(void *closure, const unsigned char *data, unsigned int length)
{
  g_string_append_len(closure, (const char *)data, length);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
cairo_failed(cairo_status_t st, const char *path, GError **error)
{
  if (st == CAIRO_STATUS_SUCCESS)
    return FALSE;
  g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot render %s: %s", path,
              cairo_status_to_string(st));
  return TRUE;
}

/* Opaque ARGB32 surface -> [0,1] RGB PlImage. */
static PlImage *
image_from_surface(cairo_surface_t *s)
{
  int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  PlImage *img = pl_image_new(3, h, w);
  if (img == NULL)
    return NULL;
  cairo_surface_flush(s);
  const guint8 *data = cairo_image_surface_get_data(s);
  size_t plane = (size_t)w * h;
  for (int y = 0; y < h; y++) {
    const guint32 *row = (const guint32 *)(const void *)(data + (size_t)y * stride);
    for (int x = 0; x < w; x++) {
      guint32 p = row[x];
      double a = (p >> 24) / 255.0;
      /* Composite onto white: the figure is opaque, this only guards edges. */
      size_t o = (size_t)y * w + x;
      img->data[o] = (float)(((p >> 16) & 0xff) / 255.0 + (1 - a));
      img->data[plane + o] = (float)(((p >> 8) & 0xff) / 255.0 + (1 - a));
      img->data[2 * plane + o] = (float)((p & 0xff) / 255.0 + (1 - a));
    }
  }
  return img;
}

typedef void (*RenderFunc)(cairo_t *cr, gpointer data);

static gboolean
save_png(RenderFunc render, gpointer data, int w, int h, const char *path,
         const char *const *keys, const char *const *values, GError **error)
{
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create(s);
  render(cr, data);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (cairo_failed(st != CAIRO_STATUS_SUCCESS ? st : cairo_surface_status(s), path, error)) {
    cairo_surface_destroy(s);
    return FALSE;
  }
  g_autoptr(PlImage) img = image_from_surface(s);
  cairo_surface_destroy(s);
  if (img == NULL) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot render %s: bad size", path);
    return FALSE;
  }
  return pl_image_save_png(img, path, keys, values, error);
}

static void
append_escaped(GString *out, const char *text)
{
  g_autofree char *e = g_markup_escape_text(text ? text : "", -1);
  g_string_append(out, e);
}

/* Cairo draws SVG text as glyph outlines, so the words themselves would be lost: put the
 * title, the panel labels and metrics, the footnote and the key/value pairs into
 * <title>, <desc> and <metadata> right after the opening <svg> tag. */
static void
svg_add_description(GString *svg, const char *title, const char *desc,
                    const char *const *keys, const char *const *values)
{
  const char *start = strstr(svg->str, "<svg");
  const char *end = start ? strchr(start, '>') : NULL;
  if (end == NULL)
    return;
  GString *meta = g_string_new("\n");
  if (title && title[0]) {
    g_string_append(meta, "<title>");
    append_escaped(meta, title);
    g_string_append(meta, "</title>\n");
  }
  if (desc && desc[0]) {
    g_string_append(meta, "<desc>");
    append_escaped(meta, desc);
    g_string_append(meta, "</desc>\n");
  }
  if (keys && values && keys[0]) {
    g_string_append(meta, "<metadata id=\"plorg-parameters\">\n");
    for (int i = 0; keys[i] && values[i]; i++) {
      append_escaped(meta, keys[i]);
      g_string_append(meta, "=");
      append_escaped(meta, values[i]);
      g_string_append(meta, "\n");
    }
    g_string_append(meta, "</metadata>\n");
  }
  g_string_insert(svg, end - svg->str + 1, meta->str);
  g_string_free(meta, TRUE);
}

static char *
keywords_text(const char *const *keys, const char *const *values)
{
  GString *s = g_string_new(NULL);
  for (int i = 0; keys && values && keys[i] && values[i]; i++)
    g_string_append_printf(s, "%s%s=%s", i ? "; " : "", keys[i], values[i]);
  return g_string_free(s, FALSE);
}

static gboolean
save_vector(RenderFunc render, gpointer data, int w, int h, PlFigureFormat fmt, const char *path,
            const char *title, const char *desc, const char *const *keys,
            const char *const *values, GError **error)
{
  GString *out = g_string_new(NULL);
  cairo_surface_t *s;
  if (fmt == PL_FIGURE_FORMAT_SVG) {
    s = cairo_svg_surface_create_for_stream(append_to_string, out, w, h);
  } else {
    s = cairo_pdf_surface_create_for_stream(append_to_string, out, w, h);
    g_autofree char *kw = keywords_text(keys, values);
    if (title && title[0])
      cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    if (desc && desc[0])
      cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, desc);
    if (kw[0])
      cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_KEYWORDS, kw);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "PLoRG Studio");
  }
  cairo_t *cr = cairo_create(s);
  render(cr, data);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(s);
  if (st == CAIRO_STATUS_SUCCESS)
    st = cairo_surface_status(s);
  cairo_surface_destroy(s);
  if (cairo_failed(st, path, error)) {
    g_string_free(out, TRUE);
    return FALSE;
  }
  if (fmt == PL_FIGURE_FORMAT_SVG)
    svg_add_description(out, title, desc, keys, values);
  /* g_file_set_contents writes a temporary file and renames it: atomic. */
  gboolean ok = g_file_set_contents(path, out->str, (gssize)out->len, error);
  g_string_free(out, TRUE);
  return ok;
}

static gboolean
save_any(RenderFunc render, gpointer data, int w, int h, const char *path, PlFigureFormat fmt,
         const char *title, const char *desc, const char *const *keys,
         const char *const *values, GError **error)
{
  if (fmt == PL_FIGURE_FORMAT_AUTO)
    fmt = pl_figure_format_from_path(path);
  if (fmt == PL_FIGURE_FORMAT_AUTO)
    fmt = PL_FIGURE_FORMAT_PNG;
  if (fmt == PL_FIGURE_FORMAT_PNG)
    return save_png(render, data, w, h, path, keys, values, error);
  return save_vector(render, data, w, h, fmt, path, title, desc, keys, values, error);
}

static void
render_figure(cairo_t *cr, gpointer data)
{
  pl_figure_draw(data, cr);
}

/* "label (metrics) | label (metrics) ... . footnote" for the SVG/PDF description. */
static char *
figure_description(const PlFigure *fig)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < fig->panels->len; i++) {
    const Panel *p = g_ptr_array_index(fig->panels, i);
    if (i > 0)
      g_string_append(s, " | ");
    g_string_append(s, p->label ? p->label : "");
    if (p->metrics && p->metrics[0])
      g_string_append_printf(s, " (%s)", p->metrics);
  }
  if (fig->footnote && fig->footnote[0])
    g_string_append_printf(s, "%s%s", s->len ? ". " : "", fig->footnote);
  return g_string_free(s, FALSE);
}

gboolean
pl_figure_save(const PlFigure *fig, const char *path, PlFigureFormat fmt,
               const char *const *keys, const char *const *values, GError **error)
{
  g_return_val_if_fail(fig != NULL, FALSE);
  g_return_val_if_fail(path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  int w, h;
  pl_figure_get_size(fig, &w, &h);
  g_autofree char *desc = figure_description(fig);
  return save_any(render_figure, (gpointer)fig, w, h, path, fmt, fig->title, desc, keys,
                  values, error);
}

gboolean
pl_figure_save_strip(const PlImage *const *images, const int *steps, int n, const char *title,
                     int panel_size, const char *path, PlFigureFormat fmt,
                     const char *const *keys, const char *const *values, GError **error)
{
  g_return_val_if_fail(images != NULL || n == 0, FALSE);
  g_autoptr(PlFigure) fig = pl_figure_new(title);
  pl_figure_set_panel_size(fig, panel_size > 0 ? panel_size : 128);
  for (int i = 0; i < n; i++) {
    g_autofree char *label = steps ? g_strdup_printf("step %d", steps[i]) : NULL;
    pl_figure_add_panel(fig, images[i], label, NULL);
  }
  return pl_figure_save(fig, path, fmt, keys, values, error);
}

typedef struct {
  cairo_surface_t *image;
  int size;
  const char *label;
} Frame;

static void
render_frame(cairo_t *cr, gpointer data)
{
  Frame *f = data;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  if (f->image) {
    cairo_save(cr);
    cairo_scale(cr, f->size / (double)cairo_image_surface_get_width(f->image),
                f->size / (double)cairo_image_surface_get_height(f->image));
    cairo_set_source_surface(cr, f->image, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
  }
  if (f->label) {
    PlPlotInk ink;
    PlPlotText t;
    pl_plot_ink_for_print(1.0, &ink);
    ink.font_size = MAX(9.0, f->size * 0.06);
    pl_plot_text_init(&t, &ink);
    double w, h, pad = ink.font_size * 0.3;
    pl_plot_text_measure(&t, f->label, 1.0, &w, &h);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_rectangle(cr, 0, f->size - h - 2 * pad, w + 2 * pad, h + 2 * pad);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    pl_plot_text_draw(&t, cr, f->label, 1.0, pad, f->size - pad, 0, 1.0);
    pl_plot_text_clear(&t);
  }
}

gboolean
pl_figure_save_sequence(const PlImage *const *images, const int *steps, int n, const char *dir,
                        const char *prefix, int size, const char *const *keys,
                        const char *const *values, GError **error)
{
  g_return_val_if_fail(images != NULL || n == 0, FALSE);
  g_return_val_if_fail(dir != NULL, FALSE);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "Cannot create %s: %s", dir,
                g_strerror(e));
    return FALSE;
  }
  size = CLAMP(size, 16, 4096);

  /* Caller's pairs plus "step"; the array is rebuilt once and reused per frame. */
  int nk = 0;
  while (keys && values && keys[nk] && values[nk])
    nk++;
  const char **k2 = g_new0(const char *, nk + 2);
  const char **v2 = g_new0(const char *, nk + 2);
  for (int i = 0; i < nk; i++) {
    k2[i] = keys[i];
    v2[i] = values[i];
  }
  gboolean ok = TRUE;
  for (int i = 0; i < n && ok; i++) {
    g_autofree char *name = g_strdup_printf("%s-%04d.png", prefix ? prefix : "frame", i);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *label = steps ? g_strdup_printf("step %d", steps[i]) : NULL;
    g_autofree char *step_text = g_strdup_printf("%d", steps ? steps[i] : i);
    k2[nk] = "step";
    v2[nk] = step_text;
    Frame f = { pl_surface_from_image(images[i]), size, label };
    ok = save_png(render_frame, &f, size, size, path, k2, v2, error);
    g_clear_pointer(&f.image, cairo_surface_destroy);
  }
  g_free(k2);
  g_free(v2);
  return ok;
}
