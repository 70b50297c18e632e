/* Figures with Cairo, as PNG or SVG (chosen by the file name's extension), written
 * atomically: line plots with a spread band over panels, and histogram panels. Kept
 * free of sweep specifics so the evidence issue can reuse it. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *label;      /* legend entry */
  int n;                  /* points */
  const double *x;        /* ascending */
  const double *y;        /* mean (NaN = gap) */
  const double *lo, *hi;  /* band (may be NULL) */
} PlPlotSeries;

typedef struct {
  const char *title;
  const PlPlotSeries *series;
  int n_series;
} PlPlotPanel;

typedef struct {
  const char *title;      /* figure title */
  const char *xlabel, *ylabel;
  gboolean log_x;
  const char *note;       /* small text under the title (may be NULL) */
} PlPlotLabels;

gboolean pl_plot_line_panels(const char *path, const PlPlotLabels *labels,
                             const PlPlotPanel *panels, int n_panels, GError **error);

typedef struct {
  const char *title;      /* panel title, e.g. the method */
  int n;
  const double *values;   /* NaN values are skipped */
} PlPlotHistogram;

/* One panel per histogram, shared bins over [lo, hi] (lo >= hi: from the data). */
gboolean pl_plot_histograms(const char *path, const PlPlotLabels *labels,
                            const PlPlotHistogram *hists, int n, int bins, double lo,
                            double hi, GError **error);

/* The same, laid out as a grid of `cols` columns (row-major); panels in one column share
 * a colour, so a grid with one column per method reads like the line plots. */
gboolean pl_plot_histogram_grid(const char *path, const PlPlotLabels *labels,
                                const PlPlotHistogram *hists, int n, int cols, int bins,
                                double lo, double hi, GError **error);

/* The colour of series i (RGB in [0,1]); the same palette in every figure. */
void pl_plot_color(int i, double rgb[3]);

G_END_DECLS
