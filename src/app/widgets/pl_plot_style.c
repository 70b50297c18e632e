/* Palette, ink and the shared drawing helpers of the plots. */
#include "pl_plot_private.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

/* Okabe & Ito's colour-blind-safe set; yellow last as it is faint on white. */
static const guint32 palette[PL_PLOT_PALETTE_SIZE] = {
  0x0072B2, 0xE69F00, 0x009E73, 0xD55E00, 0x56B4E9, 0xCC79A7, 0x999999, 0xF0E442,
};

void
pl_plot_palette(int index, GdkRGBA *out)
{
  int i = ((index % PL_PLOT_PALETTE_SIZE) + PL_PLOT_PALETTE_SIZE) % PL_PLOT_PALETTE_SIZE;
  guint32 c = palette[i];
  out->red = ((c >> 16) & 0xff) / 255.0f;
  out->green = ((c >> 8) & 0xff) / 255.0f;
  out->blue = (c & 0xff) / 255.0f;
  out->alpha = 1.0f;
}

static void
ink_pick_bg(PlPlotInk *ink)
{
  double lum = 0.2126 * ink->fg.red + 0.7152 * ink->fg.green + 0.0722 * ink->fg.blue;
  GdkRGBA dark = { 0.1f, 0.1f, 0.1f, 0.85f }, light = { 1.0f, 1.0f, 1.0f, 0.9f };
  ink->bg = lum > 0.5 ? dark : light;
}

void
pl_plot_ink_for_print(double font_scale, PlPlotInk *ink)
{
  memset(ink, 0, sizeof *ink);
  ink->fg = (GdkRGBA){ 0.1f, 0.1f, 0.1f, 1.0f };
  ink->font_size = 11.0 * (font_scale > 0 ? font_scale : 1.0);
  ink->line_width = 1.5 * (font_scale > 1 ? sqrt(font_scale) : 1.0);
  g_strlcpy(ink->family, "Sans", sizeof ink->family);
  ink_pick_bg(ink);
}

void
pl_plot_ink_for_widget(GtkWidget *widget, double font_scale, PlPlotInk *ink)
{
  pl_plot_ink_for_print(font_scale, ink);
  if (widget == NULL)
    return;

  /* gtk_widget_get_color() is 4.10; the style context is the 4.8 way. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color(gtk_widget_get_style_context(widget), &ink->fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  PangoContext *pc = gtk_widget_get_pango_context(widget);
  const PangoFontDescription *fd = pango_context_get_font_description(pc);
  if (fd != NULL) {
    double size = pango_font_description_get_size(fd) / (double)PANGO_SCALE;
    if (!pango_font_description_get_size_is_absolute(fd)) {
      double dpi = pango_cairo_context_get_resolution(pc);
      size *= (dpi > 0 ? dpi : 96.0) / 72.0;
    }
    if (size > 0)
      ink->font_size = size * (font_scale > 0 ? font_scale : 1.0);
    const char *family = pango_font_description_get_family(fd);
    if (family != NULL)
      g_strlcpy(ink->family, family, sizeof ink->family);
  }
  ink_pick_bg(ink);
}

void
pl_plot_set_line_style(cairo_t *cr, PlLineStyle style, double lw)
{
  double d[4];
  int n = 0;
  switch (style) {
  case PL_LINE_DASHED:
    d[0] = 5 * lw; d[1] = 3 * lw; n = 2;
    break;
  case PL_LINE_DOTTED:
    d[0] = 0.01; d[1] = 2.5 * lw; n = 2;   /* round caps turn the stubs into dots */
    break;
  case PL_LINE_DASH_DOT:
    d[0] = 5 * lw; d[1] = 2.5 * lw; d[2] = 0.01; d[3] = 2.5 * lw; n = 4;
    break;
  case PL_LINE_SOLID:
  default:
    break;
  }
  cairo_set_line_width(cr, lw);
  cairo_set_line_cap(cr, n > 0 ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_dash(cr, d, n, 0);
}

/* --- text --- */

void
pl_plot_text_init(PlPlotText *t, const PlPlotInk *ink)
{
  /* Unhinted metrics: the same sizes whatever surface is drawn on. */
  t->context = pango_font_map_create_context(pango_cairo_font_map_get_default());
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(t->context, fo);
  cairo_font_options_destroy(fo);
  t->layout = pango_layout_new(t->context);
  t->font = pango_font_description_new();
  pango_font_description_set_family(t->font, ink->family[0] ? ink->family : "Sans");
  t->size = ink->font_size > 1 ? ink->font_size : 11.0;
}

void
pl_plot_text_clear(PlPlotText *t)
{
  g_clear_object(&t->layout);
  g_clear_object(&t->context);
  g_clear_pointer(&t->font, pango_font_description_free);
}

static void
text_prepare(PlPlotText *t, const char *markup, double scale)
{
  pango_font_description_set_absolute_size(t->font, t->size * scale * PANGO_SCALE);
  pango_layout_set_font_description(t->layout, t->font);
  pango_layout_set_width(t->layout, -1);
  pango_layout_set_alignment(t->layout, PANGO_ALIGN_LEFT);
  pango_layout_set_markup(t->layout, markup, -1);
}

static void
text_prepare_wrapped(PlPlotText *t, const char *markup, double scale, double width, gboolean center)
{
  text_prepare(t, markup, scale);
  pango_layout_set_width(t->layout, (int)(MAX(width, 1.0) * PANGO_SCALE));
  pango_layout_set_wrap(t->layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(t->layout, center ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
}

double
pl_plot_text_wrapped_height(PlPlotText *t, const char *markup, double scale, double width)
{
  PangoRectangle logical;
  text_prepare_wrapped(t, markup, scale, width, FALSE);
  pango_layout_get_extents(t->layout, NULL, &logical);
  return logical.height / (double)PANGO_SCALE;
}

void
pl_plot_text_draw_wrapped(PlPlotText *t, cairo_t *cr, const char *markup, double scale,
                          double x, double y, double width, gboolean center)
{
  text_prepare_wrapped(t, markup, scale, width, center);
  cairo_save(cr);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, t->layout);
  cairo_restore(cr);
}

void
pl_plot_text_measure(PlPlotText *t, const char *markup, double scale, double *w, double *h)
{
  PangoRectangle logical;
  text_prepare(t, markup, scale);
  pango_layout_get_extents(t->layout, NULL, &logical);
  if (w)
    *w = logical.width / (double)PANGO_SCALE;
  if (h)
    *h = logical.height / (double)PANGO_SCALE;
}

void
pl_plot_text_draw(PlPlotText *t, cairo_t *cr, const char *markup, double scale,
                  double x, double y, double ax, double ay)
{
  double w, h;
  pl_plot_text_measure(t, markup, scale, &w, &h);
  cairo_save(cr);
  cairo_move_to(cr, x - ax * w, y - ay * h);
  pango_cairo_show_layout(cr, t->layout);
  cairo_restore(cr);
}

/* --- ticks --- */

double
pl_plot_nice_step(double span, int max_ticks)
{
  if (!(span > 0) || !isfinite(span))
    return 1.0;
  double raw = span / MAX(max_ticks, 1);
  double mag = pow(10.0, floor(log10(raw)));
  double f = raw / mag;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * mag;
}

/* Writes a number, with a typographic minus sign. */
static void
format_number(char *buf, size_t len, double v, int decimals)
{
  char tmp[32];
  if (fabs(v) >= 1e6 || (fabs(v) > 0 && fabs(v) < 1e-4))
    g_snprintf(tmp, sizeof tmp, "%.3g", v);
  else
    g_snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
  if (tmp[0] == '-')
    g_snprintf(buf, len, "\u2212%s", tmp + 1);
  else
    g_strlcpy(buf, tmp, len);
}

void
pl_plot_ticks_linear(double lo, double hi, int max_ticks, PlPlotTicks *out)
{
  out->n = 0;
  if (!(hi > lo))
    return;
  double step = pl_plot_nice_step(hi - lo, max_ticks);
  int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
  double first = ceil(lo / step - 1e-9) * step;
  for (int i = 0; out->n < PL_PLOT_MAX_TICKS; i++) {
    double v = first + i * step;
    if (v > hi + step * 1e-9)
      break;
    if (fabs(v) < step * 1e-9)
      v = 0;
    out->value[out->n] = v;
    format_number(out->label[out->n], sizeof out->label[0], v, decimals);
    out->n++;
  }
}

void
pl_plot_ticks_integer(double lo, double hi, int max_ticks, PlPlotTicks *out)
{
  out->n = 0;
  if (!(hi > lo))
    return;
  double step = MAX(1.0, pl_plot_nice_step(hi - lo, max_ticks));
  for (double v = ceil(lo / step) * step; v <= hi + 1e-9 && out->n < PL_PLOT_MAX_TICKS; v += step) {
    out->value[out->n] = v;
    format_number(out->label[out->n], sizeof out->label[0], v, 0);
    out->n++;
  }
}

void
pl_plot_ticks_log(double lo, double hi, int max_ticks, PlPlotTicks *out)
{
  out->n = 0;
  if (!(hi > lo))
    return;
  int d0 = (int)ceil(lo - 1e-9), d1 = (int)floor(hi + 1e-9);
  gboolean plain = lo >= -3 && hi <= 4;

  if (d1 - d0 < 2) {
    /* Less than two decades: 1, 2, 5 times powers of ten. */
    static const double mult[] = { 1, 2, 5 };
    for (int d = (int)floor(lo); d <= (int)ceil(hi); d++)
      for (int m = 0; m < 3 && out->n < PL_PLOT_MAX_TICKS; m++) {
        double v = log10(mult[m]) + d;
        if (v < lo - 1e-9 || v > hi + 1e-9)
          continue;
        out->value[out->n] = v;
        if (plain || m > 0)
          format_number(out->label[out->n], sizeof out->label[0], mult[m] * pow(10, d),
                        d < 0 ? -d : 0);
        else
          g_snprintf(out->label[out->n], sizeof out->label[0], "10<sup>%d</sup>", d);
        out->n++;
      }
    if (out->n >= 2)
      return;
    pl_plot_ticks_linear(lo, hi, max_ticks, out);   /* very narrow: log10 units */
    for (int i = 0; i < out->n; i++)
      format_number(out->label[i], sizeof out->label[0], pow(10, out->value[i]), 3);
    return;
  }

  int every = MAX(1, (d1 - d0 + max_ticks - 1) / MAX(max_ticks, 1));
  for (int d = d0; d <= d1 && out->n < PL_PLOT_MAX_TICKS; d += every) {
    out->value[out->n] = d;
    if (plain)
      format_number(out->label[out->n], sizeof out->label[0], pow(10, d), d < 0 ? -d : 0);
    else if (d < 0)
      g_snprintf(out->label[out->n], sizeof out->label[0], "10<sup>\u2212%d</sup>", -d);
    else
      g_snprintf(out->label[out->n], sizeof out->label[0], "10<sup>%d</sup>", d);
    out->n++;
  }
}

char *
pl_plot_format_value(double v)
{
  if (isnan(v))
    return g_strdup("–");
  if (fabs(v) >= 1e5 || (v != 0 && fabs(v) < 1e-3))
    return g_strdup_printf("%.3e", v);
  if (v == floor(v) && fabs(v) < 1e5)
    return g_strdup_printf("%.0f", v);
  return g_strdup_printf("%.4g", v);
}

/* --- axes and readout --- */

void
pl_plot_draw_axes(cairo_t *cr, PlPlotText *t, const PlPlotInk *ink,
                  const graphene_rect_t *a, double x0, double x1, const PlPlotTicks *xt,
                  double y0, double y1, const PlPlotTicks *yt)
{
  double tick = MAX(3.0, t->size * 0.3);
  double gap = t->size * 0.25;

  cairo_save(cr);
  cairo_set_line_width(cr, 1.0);
  cairo_set_dash(cr, NULL, 0, 0);

  /* Faint grid first, so the data and the frame lie on top. */
  pl_plot_set_rgba(cr, &ink->fg, 0.12);
  for (int i = 0; xt && i < xt->n; i++) {
    double px = round(a->origin.x + (xt->value[i] - x0) / (x1 - x0) * a->size.width) + 0.5;
    cairo_move_to(cr, px, a->origin.y);
    cairo_line_to(cr, px, a->origin.y + a->size.height);
  }
  for (int i = 0; yt && i < yt->n; i++) {
    double py = round(a->origin.y + a->size.height -
                      (yt->value[i] - y0) / (y1 - y0) * a->size.height) + 0.5;
    cairo_move_to(cr, a->origin.x, py);
    cairo_line_to(cr, a->origin.x + a->size.width, py);
  }
  cairo_stroke(cr);

  pl_plot_set_rgba(cr, &ink->fg, 0.7);
  cairo_rectangle(cr, round(a->origin.x) + 0.5, round(a->origin.y) + 0.5,
                  round(a->size.width) - 1, round(a->size.height) - 1);
  cairo_stroke(cr);

  pl_plot_set_rgba(cr, &ink->fg, 0.85);
  double bottom = a->origin.y + a->size.height;
  for (int i = 0; xt && i < xt->n; i++) {
    double px = round(a->origin.x + (xt->value[i] - x0) / (x1 - x0) * a->size.width) + 0.5;
    cairo_move_to(cr, px, bottom);
    cairo_line_to(cr, px, bottom + tick);
    cairo_stroke(cr);
    pl_plot_text_draw(t, cr, xt->label[i], 0.85, px, bottom + tick + gap * 0.5, 0.5, 0.0);
  }
  for (int i = 0; yt && i < yt->n; i++) {
    double py = round(bottom - (yt->value[i] - y0) / (y1 - y0) * a->size.height) + 0.5;
    cairo_move_to(cr, a->origin.x - tick, py);
    cairo_line_to(cr, a->origin.x, py);
    cairo_stroke(cr);
    if (yt->label[i][0])
      pl_plot_text_draw(t, cr, yt->label[i], 0.85, a->origin.x - tick - gap, py, 1.0, 0.5);
  }
  cairo_restore(cr);
}

void
pl_plot_draw_readout(cairo_t *cr, PlPlotText *t, const PlPlotInk *ink,
                     const char *const *lines, const GdkRGBA *const *colors, int n,
                     double x, double y, const graphene_rect_t *bounds)
{
  if (n <= 0)
    return;
  double pad = t->size * 0.4, swatch = t->size * 1.2;
  double w = 0, lh = 0;
  gboolean any_swatch = FALSE;
  for (int i = 0; i < n; i++) {
    double lw, h;
    pl_plot_text_measure(t, lines[i], 0.9, &lw, &h);
    w = MAX(w, lw);
    lh = MAX(lh, h);
    if (colors && colors[i])
      any_swatch = TRUE;
  }
  double sw = any_swatch ? swatch + pad * 0.5 : 0;
  double bw = w + sw + 2 * pad, bh = n * lh + 2 * pad;

  /* Right and below the pointer, flipped when it would leave the bounds. */
  double bx = x + 12, by = y + 12;
  if (bounds) {
    double rx = bounds->origin.x + bounds->size.width, ry = bounds->origin.y + bounds->size.height;
    if (bx + bw > rx)
      bx = x - 12 - bw;
    if (by + bh > ry)
      by = y - 12 - bh;
    bx = MAX(bx, bounds->origin.x);
    by = MAX(by, bounds->origin.y);
  }

  cairo_save(cr);
  cairo_set_dash(cr, NULL, 0, 0);
  double r = pad;
  cairo_new_sub_path(cr);
  cairo_arc(cr, bx + bw - r, by + r, r, -G_PI / 2, 0);
  cairo_arc(cr, bx + bw - r, by + bh - r, r, 0, G_PI / 2);
  cairo_arc(cr, bx + r, by + bh - r, r, G_PI / 2, G_PI);
  cairo_arc(cr, bx + r, by + r, r, G_PI, 1.5 * G_PI);
  cairo_close_path(cr);
  pl_plot_set_rgba(cr, &ink->bg, 1.0);
  cairo_fill_preserve(cr);
  pl_plot_set_rgba(cr, &ink->fg, 0.3);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);

  for (int i = 0; i < n; i++) {
    double ly = by + pad + i * lh;
    if (colors && colors[i]) {
      pl_plot_set_rgba(cr, colors[i], 1.0);
      cairo_set_line_width(cr, MAX(2.0, ink->line_width));
      cairo_move_to(cr, bx + pad, ly + lh / 2);
      cairo_line_to(cr, bx + pad + swatch, ly + lh / 2);
      cairo_stroke(cr);
    }
    pl_plot_set_rgba(cr, &ink->fg, 1.0);
    pl_plot_text_draw(t, cr, lines[i], 0.9, bx + pad + sw, ly, 0, 0);
  }
  cairo_restore(cr);
}

/* --- image surfaces --- */

cairo_surface_t *
pl_surface_from_rgba8(const guint8 *rgba, int width, int height, int stride)
{
  if (rgba == NULL || width <= 0 || height <= 0 || stride < 4 * width ||
      width > PL_IMAGE_MAX_SIDE || height > PL_IMAGE_MAX_SIDE)
    return NULL;
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return NULL;
  }
  cairo_surface_flush(s);
  guint8 *dst = cairo_image_surface_get_data(s);
  int dstride = cairo_image_surface_get_stride(s);
  for (int y = 0; y < height; y++) {
    const guint8 *in = rgba + (size_t)y * stride;
    guint32 *out = (guint32 *)(void *)(dst + (size_t)y * dstride);
    for (int x = 0; x < width; x++, in += 4) {
      guint32 a = in[3];
      /* Cairo wants premultiplied, native-endian 0xAARRGGBB. */
      guint32 r = (in[0] * a + 127) / 255, g = (in[1] * a + 127) / 255, b = (in[2] * a + 127) / 255;
      out[x] = a << 24 | r << 16 | g << 8 | b;
    }
  }
  cairo_surface_mark_dirty(s);
  return s;
}

cairo_surface_t *
pl_surface_from_image(const PlImage *img)
{
  if (img == NULL || img->data == NULL || (img->c != 1 && img->c != 3) || img->w <= 0 ||
      img->h <= 0)
    return NULL;
  guint8 *rgba = g_malloc((size_t)img->w * img->h * 4);
  pl_image_to_rgba8(img, rgba);
  cairo_surface_t *s = pl_surface_from_rgba8(rgba, img->w, img->h, 4 * img->w);
  g_free(rgba);
  return s;
}
