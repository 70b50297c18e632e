/* PlRunPlots: feeds the plot widgets; each widget redraws only when its data changed. */
#include "pl_run_plots.h"
#include <math.h>

struct _PlRunPlots {
  GtkBox parent_instance;
  PlSpectrumPlot *spectrum;
  PlSeriesPlot *rank_plot, *residual_plot, *grad_plot;
  int channels;
  gboolean have_last;
  PlStepPoint last;
  int markers;
};

G_DEFINE_FINAL_TYPE(PlRunPlots, pl_run_plots, GTK_TYPE_BOX)

enum { SIGNAL_STEP_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static PlSeriesPlot **all_series(PlRunPlots *self, PlSeriesPlot **out) {
  out[0] = self->rank_plot;
  out[1] = self->residual_plot;
  out[2] = self->grad_plot;
  return out;
}

void pl_run_plots_reset(PlRunPlots *self, int steps) {
  PlSeriesPlot *plots[3];
  all_series(self, plots);
  for (int i = 0; i < 3; i++) {
    pl_series_plot_remove_all(plots[i]);
    pl_series_plot_set_x_range(plots[i], 0, MAX(1, steps - 1));
    pl_series_plot_set_cursor_step(plots[i], -1);
  }
  self->channels = 0;   /* rank series are added with the first point */
  pl_series_plot_add_series(self->residual_plot, "residual", NULL, PL_LINE_SOLID);
  pl_series_plot_add_series(self->grad_plot, "before projection", NULL, PL_LINE_DASHED);
  pl_series_plot_add_series(self->grad_plot, "after projection", NULL, PL_LINE_SOLID);
  pl_spectrum_plot_clear(self->spectrum);
  self->have_last = FALSE;
  self->markers = 0;
}

static void add_marker(PlRunPlots *self, int step, const char *label) {
  PlSeriesPlot *plots[3];
  all_series(self, plots);
  for (int i = 0; i < 3; i++)
    pl_series_plot_add_marker(plots[i], step, label, NULL);
  self->markers++;
}

/* A value that the user moved shows as a marker at the first step that used it. */
static void mark_changes(PlRunPlots *self, const PlStepPoint *p) {
  if (!self->have_last)
    return;
  const PlStepPoint *o = &self->last;
  char label[64];
  if (o->tau != p->tau) {
    g_snprintf(label, sizeof label, "τ %.3g→%.3g", o->tau, p->tau);
    add_marker(self, p->index, label);
  }
  if (o->omega != p->omega) {
    g_snprintf(label, sizeof label, "ω %.3g→%.3g", o->omega, p->omega);
    add_marker(self, p->index, label);
  }
  if (o->gamma != p->gamma) {
    g_snprintf(label, sizeof label, "γ %.3g→%.3g", o->gamma, p->gamma);
    add_marker(self, p->index, label);
  }
  if (o->plorg != p->plorg)
    add_marker(self, p->index, p->plorg ? "PLoRG on" : "PLoRG off");
}

void pl_run_plots_append(PlRunPlots *self, const PlStepPoint *points, guint n) {
  for (guint i = 0; i < n; i++) {
    const PlStepPoint *p = &points[i];
    if (self->channels == 0) {
      self->channels = CLAMP(p->channels, 1, PL_MAX_CHANNELS);
      for (int c = 0; c < self->channels; c++) {
        g_autofree char *name = g_strdup_printf("channel %d", c);
        pl_series_plot_add_series(self->rank_plot, name, NULL, PL_LINE_SOLID);
      }
    }
    mark_changes(self, p);
    for (int c = 0; c < self->channels && c < p->channels; c++)
      pl_series_plot_append(self->rank_plot, c, p->index, p->plorg ? p->rank[c] : NAN);
    pl_series_plot_append(self->residual_plot, 0, p->index, p->residual);
    pl_series_plot_append(self->grad_plot, 0, p->index, p->grad_norm);
    pl_series_plot_append(self->grad_plot, 1, p->index, p->grad_norm_projected);
    self->last = *p;
    self->have_last = TRUE;
  }
}

void pl_run_plots_set_spectrum(PlRunPlots *self, const PlSpectrum *sp) {
  if (!sp || !sp->sv) {
    pl_spectrum_plot_clear(self->spectrum);
    return;
  }
  gboolean any_rank = FALSE;
  for (int c = 0; c < sp->channels; c++)
    any_rank |= sp->rank[c] > 0;
  pl_spectrum_plot_set_data(self->spectrum, sp->channels, sp->kmax, sp->sv,
                            any_rank ? sp->rank : NULL, sp->tau);
  pl_spectrum_plot_set_step(self->spectrum, sp->step);
}

void pl_run_plots_set_cursor(PlRunPlots *self, double step) {
  PlSeriesPlot *plots[3];
  all_series(self, plots);
  for (int i = 0; i < 3; i++)
    pl_series_plot_set_cursor_step(plots[i], step);
}

void pl_run_plots_set_font_scale(PlRunPlots *self, double scale) {
  PlSeriesPlot *plots[3];
  all_series(self, plots);
  for (int i = 0; i < 3; i++)
    pl_series_plot_set_font_scale(plots[i], scale);
  pl_spectrum_plot_set_font_scale(self->spectrum, scale);
}

int pl_run_plots_get_marker_count(PlRunPlots *self) { return self->markers; }
PlSpectrumPlot *pl_run_plots_get_spectrum(PlRunPlots *self) { return self->spectrum; }
PlSeriesPlot *pl_run_plots_get_rank_plot(PlRunPlots *self) { return self->rank_plot; }
PlSeriesPlot *pl_run_plots_get_residual_plot(PlRunPlots *self) { return self->residual_plot; }
PlSeriesPlot *pl_run_plots_get_grad_plot(PlRunPlots *self) { return self->grad_plot; }

static void on_step_activated(PlSeriesPlot *plot, int step, PlRunPlots *self) {
  (void)plot;
  g_signal_emit(self, signals[SIGNAL_STEP_ACTIVATED], 0, step);
}

static void pl_run_plots_dispose(GObject *object) {
  gtk_widget_dispose_template(GTK_WIDGET(object), PL_TYPE_RUN_PLOTS);
  G_OBJECT_CLASS(pl_run_plots_parent_class)->dispose(object);
}

static void pl_run_plots_class_init(PlRunPlotsClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = pl_run_plots_dispose;
  signals[SIGNAL_STEP_ACTIVATED] = g_signal_new("step-activated", G_TYPE_FROM_CLASS(klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_INT);
  g_type_ensure(PL_TYPE_SPECTRUM_PLOT);
  g_type_ensure(PL_TYPE_SERIES_PLOT);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-run-plots.ui");
  gtk_widget_class_bind_template_child(wc, PlRunPlots, spectrum);
  gtk_widget_class_bind_template_child(wc, PlRunPlots, rank_plot);
  gtk_widget_class_bind_template_child(wc, PlRunPlots, residual_plot);
  gtk_widget_class_bind_template_child(wc, PlRunPlots, grad_plot);
}

static void pl_run_plots_init(PlRunPlots *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  PlSeriesPlot *plots[3];
  all_series(self, plots);
  for (int i = 0; i < 3; i++)
    g_signal_connect(plots[i], "step-activated", G_CALLBACK(on_step_activated), self);
  pl_run_plots_reset(self, 100);
}
