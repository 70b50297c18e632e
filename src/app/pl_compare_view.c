/* PlCompareView: one PlRunCard and one overlay series per run. */
#include "pl_compare_view.h"
#include "pl_run_card.h"
#include "pl_series_plot.h"
#include <math.h>

typedef struct {
  PlRunController *ctl;
  PlRunCard *card;
  int residual_series, rank_series, grad_series;
  guint consumed;
  PlImage *result;     /* final x0 (or the last preview) for the figure */
} Entry;

struct _PlCompareView {
  GtkBox parent_instance;
  GtkLabel *title_label;
  GtkBox *cards_box;
  PlRunCard *gt_card, *y_card;
  PlImageView *split_view;
  PlSeriesPlot *residual_plot, *rank_plot, *grad_plot;
  GPtrArray *entries;   /* Entry* */
  GtkLabel *lpips_label;
  PlLpipsMetric *lpips;
  GCancellable *cancellable;
  PlImage *ground_truth, *measurement;
  char *title;
};

G_DEFINE_FINAL_TYPE(PlCompareView, pl_compare_view, GTK_TYPE_BOX)

enum { SIGNAL_ALL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void entry_free(gpointer data) {
  Entry *e = data;
  g_signal_handlers_disconnect_matched(e->ctl, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, e);
  pl_run_controller_cancel(e->ctl);
  g_object_unref(e->ctl);
  pl_image_free(e->result);
  g_free(e);
}

static PlCompareView *view_of(Entry *e) {
  return g_object_get_data(G_OBJECT(e->card), "compare-view");
}

/* The split shows the first two runs: previews while running, results at the end. */
static void update_split(PlCompareView *self) {
  for (guint i = 0; i < MIN(2, self->entries->len); i++) {
    Entry *e = self->entries->pdata[i];
    const PlPreview *p = pl_run_controller_get_x0_preview(e->ctl);
    if (e->result) {
      if (i == 0)
        pl_image_view_set_image(self->split_view, e->result);
      else
        pl_image_view_set_compare_image(self->split_view, e->result);
    } else if (p) {
      const guint8 *px = g_bytes_get_data(p->rgba, NULL);
      if (i == 0)
        pl_image_view_set_rgba8(self->split_view, px, p->w, p->h, 4 * p->w);
      else
        pl_image_view_set_compare_rgba8(self->split_view, px, p->w, p->h, 4 * p->w);
    }
  }
}

static void on_step(PlRunController *ctl, int index, gboolean new_preview, Entry *e) {
  PlCompareView *self = view_of(e);
  GArray *points = pl_run_controller_get_points(ctl);
  for (guint i = e->consumed; i < points->len; i++) {
    const PlStepPoint *p = &g_array_index(points, PlStepPoint, i);
    double rank = 0;
    for (int c = 0; c < p->channels; c++)
      rank += p->rank[c];
    pl_series_plot_append(self->residual_plot, e->residual_series, p->index, p->residual);
    pl_series_plot_append(self->rank_plot, e->rank_series, p->index,
                          p->plorg && p->channels ? rank / p->channels : NAN);
    pl_series_plot_append(self->grad_plot, e->grad_series, p->index, p->grad_norm_projected);
  }
  e->consumed = points->len;
  int steps = pl_run_controller_get_steps(ctl);
  g_autofree char *text = g_strdup_printf("step %d / %d", index + 1, steps);
  pl_run_card_set_progress(e->card, (index + 1.0) / MAX(1, steps), text);
  const PlPreview *p = pl_run_controller_get_x0_preview(ctl);
  if (new_preview && p) {
    pl_image_view_set_rgba8(pl_run_card_get_view(e->card), g_bytes_get_data(p->rgba, NULL), p->w,
                            p->h, 4 * p->w);
    update_split(self);
  }
}

/* The card outlives nothing: the task holds a ref on it while LPIPS runs. */
static void lpips_done(GObject *source, GAsyncResult *res, gpointer data) {
  PlRunCard *card = data;
  GError *error = NULL;
  double d = pl_lpips_metric_distance_finish(PL_LPIPS_METRIC(source), res, &error);
  if (!error) {
    g_autofree char *text = g_strdup_printf("%s · LPIPS %.4f", pl_run_card_get_metrics(card), d);
    pl_run_card_set_metrics(card, text);
  }
  g_clear_error(&error);
  g_object_unref(card);
}

static void on_finished(PlRunController *ctl, int state, Entry *e) {
  PlCompareView *self = view_of(e);
  PlRun *run = pl_run_controller_get_run(ctl);
  if (state == PL_RUN_FINISHED || state == PL_RUN_DIVERGED)
    e->result = pl_run_result(run, 0);
  const PlPreview *p = pl_run_controller_get_x0_preview(ctl);
  if (!e->result && p)
    e->result = pl_preview_to_image(p);
  if (e->result)
    pl_image_view_set_image(pl_run_card_get_view(e->card), e->result);
  double psnr = pl_run_psnr(run, 0), ssim = pl_run_ssim(run, 0);
  g_autofree char *metrics =
      isfinite(psnr) ? g_strdup_printf("PSNR %.2f dB · SSIM %.3f", psnr, ssim)
                     : g_strdup(state == PL_RUN_FINISHED ? "no ground truth" : "");
  g_autofree char *text = g_strdup_printf("%s (%d steps)", pl_run_state_name(state),
                                          pl_run_current_step(run));
  pl_run_card_set_metrics(e->card, metrics);
  pl_run_card_set_progress(e->card, 1.0, text);
  if (self->lpips && pl_lpips_metric_is_loaded(self->lpips) && self->ground_truth && e->result)
    pl_lpips_metric_distance_async(self->lpips, e->result, self->ground_truth, self->cancellable,
                                   lpips_done, g_object_ref(e->card));
  update_split(self);
  if (pl_compare_view_all_finished(self))
    g_signal_emit(self, signals[SIGNAL_ALL_FINISHED], 0);
}

void pl_compare_view_reset(PlCompareView *self, const PlImage *ground_truth,
                           const PlImage *measurement, const char *title) {
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *e = self->entries->pdata[i];
    gtk_box_remove(self->cards_box, GTK_WIDGET(e->card));
  }
  g_ptr_array_set_size(self->entries, 0);
  pl_series_plot_remove_all(self->residual_plot);
  pl_series_plot_remove_all(self->rank_plot);
  pl_series_plot_remove_all(self->grad_plot);
  pl_image_free(self->ground_truth);
  pl_image_free(self->measurement);
  self->ground_truth = ground_truth ? pl_image_copy(ground_truth) : NULL;
  self->measurement = measurement ? pl_image_copy(measurement) : NULL;
  pl_image_view_set_image(pl_run_card_get_view(self->gt_card), ground_truth);
  pl_image_view_set_image(pl_run_card_get_view(self->y_card), measurement);
  pl_image_view_set_image(self->split_view, NULL);
  pl_image_view_set_compare_image(self->split_view, NULL);
  g_free(self->title);
  self->title = g_strdup(title ? title : "Compare");
  gtk_label_set_text(self->title_label, self->title);
}

void pl_compare_view_add_run(PlCompareView *self, PlRunController *ctl) {
  Entry *e = g_new0(Entry, 1);
  guint i = self->entries->len;
  e->ctl = g_object_ref(ctl);
  e->card = pl_run_card_new(pl_run_controller_get_label(ctl));
  g_object_set_data(G_OBJECT(e->card), "compare-view", self);
  gtk_box_append(self->cards_box, GTK_WIDGET(e->card));
  const char *label = pl_run_controller_get_label(ctl);
  PlLineStyle style = (PlLineStyle)(i % 4);
  int steps = pl_run_controller_get_steps(ctl);
  e->residual_series = pl_series_plot_add_series(self->residual_plot, label, NULL, style);
  e->rank_series = pl_series_plot_add_series(self->rank_plot, label, NULL, style);
  e->grad_series = pl_series_plot_add_series(self->grad_plot, label, NULL, style);
  PlSeriesPlot *plots[] = {self->residual_plot, self->rank_plot, self->grad_plot};
  for (guint k = 0; k < G_N_ELEMENTS(plots); k++)
    pl_series_plot_set_x_range(plots[k], 0, MAX(1, steps - 1));
  if (i < 2) {
    if (i == 0)
      pl_image_view_set_compare_labels(self->split_view, label, NULL);
    else {
      Entry *first = self->entries->pdata[0];
      pl_image_view_set_compare_labels(self->split_view, pl_run_controller_get_label(first->ctl), label);
    }
  }
  pl_run_card_set_progress(e->card, 0, "waiting");
  g_ptr_array_add(self->entries, e);
  g_signal_connect(ctl, "step", G_CALLBACK(on_step), e);
  g_signal_connect(ctl, "finished", G_CALLBACK(on_finished), e);
}

guint pl_compare_view_get_n_runs(PlCompareView *self) { return self->entries->len; }

PlRunController *pl_compare_view_get_controller(PlCompareView *self, guint i) {
  return i < self->entries->len ? ((Entry *)self->entries->pdata[i])->ctl : NULL;
}

gboolean pl_compare_view_is_active(PlCompareView *self) {
  for (guint i = 0; i < self->entries->len; i++)
    if (pl_run_controller_is_active(((Entry *)self->entries->pdata[i])->ctl))
      return TRUE;
  return FALSE;
}

gboolean pl_compare_view_all_finished(PlCompareView *self) {
  return self->entries->len > 0 && !pl_compare_view_is_active(self);
}

const char *pl_compare_view_get_metrics(PlCompareView *self, guint i) {
  return i < self->entries->len ? pl_run_card_get_metrics(((Entry *)self->entries->pdata[i])->card) : "";
}

static void update_lpips_note(PlCompareView *self) {
  const char *name = self->lpips ? pl_lpips_metric_get_name(self->lpips) : NULL;
  g_autofree char *text = name ? g_strdup_printf("PSNR/SSIM/LPIPS (%s) vs ground truth", name)
                               : g_strdup("PSNR/SSIM vs ground truth · LPIPS n/a (no network loaded)");
  gtk_label_set_text(self->lpips_label, text);
}

void pl_compare_view_set_lpips(PlCompareView *self, PlLpipsMetric *lpips) {
  if (self->lpips)
    g_signal_handlers_disconnect_by_data(self->lpips, self);
  g_set_object(&self->lpips, lpips);
  if (lpips)
    g_signal_connect_swapped(lpips, "changed", G_CALLBACK(update_lpips_note), self);
  update_lpips_note(self);
}

void pl_compare_view_set_font_scale(PlCompareView *self, double scale) {
  pl_series_plot_set_font_scale(self->residual_plot, scale);
  pl_series_plot_set_font_scale(self->rank_plot, scale);
  pl_series_plot_set_font_scale(self->grad_plot, scale);
  pl_image_view_set_font_scale(self->split_view, scale);
}

/* The residual plot, drawn on the main thread (it reads the widget) into a picture at
 * PLOT_SCALE times the panel size, painted by the figure on any thread. (A recording
 * surface would stay vector, but cairo 1.16 leaks recording sources in SVG/PDF.) */
#define PLOT_W 384
#define PLOT_H 256
#define PLOT_SCALE 3

static void draw_plot_picture(cairo_t *cr, int width, int height, gpointer data) {
  cairo_surface_t *pic = data;
  cairo_save(cr);
  cairo_scale(cr, (double)width / cairo_image_surface_get_width(pic),
              (double)height / cairo_image_surface_get_height(pic));
  cairo_set_source_surface(cr, pic, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
  cairo_paint(cr);
  cairo_restore(cr);
}

PlFigure *pl_compare_view_build_figure(PlCompareView *self) {
  PlFigure *fig = pl_figure_new(self->title);
  if (self->ground_truth)
    pl_figure_add_panel(fig, self->ground_truth, "Ground truth", NULL);
  if (self->measurement)
    pl_figure_add_panel(fig, self->measurement, "Measurement y", NULL);
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *e = self->entries->pdata[i];
    const PlPreview *p = pl_run_controller_get_x0_preview(e->ctl);
    g_autoptr(PlImage) shown = e->result ? pl_image_copy(e->result) : p ? pl_preview_to_image(p) : NULL;
    if (shown)
      pl_figure_add_panel(fig, shown, pl_run_controller_get_label(e->ctl),
                          pl_run_card_get_metrics(e->card));
  }
  if (self->entries->len > 0) {
    cairo_surface_t *pic = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, PLOT_W * PLOT_SCALE,
                                                      PLOT_H * PLOT_SCALE);
    cairo_t *cr = cairo_create(pic);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, PLOT_SCALE, PLOT_SCALE);
    pl_series_plot_draw(self->residual_plot, cr, PLOT_W, PLOT_H);
    cairo_destroy(cr);
    pl_figure_add_drawing(fig, draw_plot_picture, pic, (GDestroyNotify)cairo_surface_destroy,
                          (double)PLOT_W / PLOT_H, "Residual per step", NULL);
  }
  return fig;
}

static void pl_compare_view_dispose(GObject *object) {
  PlCompareView *self = PL_COMPARE_VIEW(object);
  if (self->entries)
    g_ptr_array_set_size(self->entries, 0);
  g_cancellable_cancel(self->cancellable);
  if (self->lpips)
    g_signal_handlers_disconnect_by_data(self->lpips, self);
  g_clear_object(&self->lpips);
  gtk_widget_dispose_template(GTK_WIDGET(self), PL_TYPE_COMPARE_VIEW);
  G_OBJECT_CLASS(pl_compare_view_parent_class)->dispose(object);
}

static void pl_compare_view_finalize(GObject *object) {
  PlCompareView *self = PL_COMPARE_VIEW(object);
  g_ptr_array_unref(self->entries);
  g_clear_object(&self->cancellable);
  pl_image_free(self->ground_truth);
  pl_image_free(self->measurement);
  g_free(self->title);
  G_OBJECT_CLASS(pl_compare_view_parent_class)->finalize(object);
}

static void pl_compare_view_class_init(PlCompareViewClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  object_class->dispose = pl_compare_view_dispose;
  object_class->finalize = pl_compare_view_finalize;
  signals[SIGNAL_ALL_FINISHED] = g_signal_new("all-finished", G_TYPE_FROM_CLASS(klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);
  g_type_ensure(PL_TYPE_RUN_CARD);
  g_type_ensure(PL_TYPE_IMAGE_VIEW);
  g_type_ensure(PL_TYPE_SERIES_PLOT);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-compare-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, PlCompareView, name)
  BIND(title_label);
  BIND(lpips_label);
  BIND(cards_box);
  BIND(gt_card);
  BIND(y_card);
  BIND(split_view);
  BIND(residual_plot);
  BIND(rank_plot);
  BIND(grad_plot);
#undef BIND
}

static void pl_compare_view_init(PlCompareView *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  self->entries = g_ptr_array_new_with_free_func(entry_free);
  self->cancellable = g_cancellable_new();
  pl_run_card_set_title(self->gt_card, "Ground truth");
  pl_run_card_set_title(self->y_card, "Measurement y");
  self->title = g_strdup("Compare");
}
