/* Shared look of the plots: a colour-blind-safe palette (Okabe & Ito), line dashes, and the
 * ink (text/axes colour, font size) a plot draws with. Not a widget.
 *
 * Plots draw on screen with the theme's foreground colour and the widget's font; the
 * pl_*_draw() export functions draw dark ink for a white page. The drawing helpers below
 * the palette are shared by PlSeriesPlot and PlSpectrumPlot. */
#pragma once
#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  PL_LINE_SOLID,
  PL_LINE_DASHED,
  PL_LINE_DOTTED,
  PL_LINE_DASH_DOT,
} PlLineStyle;

#define PL_PLOT_PALETTE_SIZE 8
/* Colour index % PL_PLOT_PALETTE_SIZE of the palette (index 0 is blue, 1 orange, ...). */
void pl_plot_palette(int index, GdkRGBA *out);

/* --- shared drawing helpers (used by the plot widgets; stable but low level) --- */

typedef struct {
  GdkRGBA fg;          /* text and axes */
  GdkRGBA bg;          /* behind readouts: contrasts with fg */
  char family[64];     /* font family, e.g. "Cantarell" */
  double font_size;    /* text size in device units (pixels on screen, points in PDF/SVG) */
  double line_width;   /* data lines */
} PlPlotInk;

/* Ink following the widget's style (foreground colour, font size) times font_scale;
 * for print: near-black, 11 units * font_scale. */
void pl_plot_ink_for_widget(GtkWidget *widget, double font_scale, PlPlotInk *ink);
void pl_plot_ink_for_print(double font_scale, PlPlotInk *ink);

void pl_plot_set_line_style(cairo_t *cr, PlLineStyle style, double line_width);

G_END_DECLS
