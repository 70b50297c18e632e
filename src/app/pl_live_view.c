/* PlLiveView: applies controller updates to the views; history decodes in a GTask,
 * coalesced to the newest requested index while one is in flight. */
#include "pl_live_view.h"
#include <math.h>

struct _PlLiveView {
  GtkBox parent_instance;
  PlImageView *measurement_view, *x0_view, *zt_view;
  GtkCheckButton *compare_gt_check;
  GtkLabel *metrics_label, *eta_label, *timings_label, *timeline_label;
  GtkProgressBar *progress;
  PlRunPlots *plots;
  GtkRange *timeline_scale;
  GtkWidget *timeline_box;

  PlRunController *ctl;
  guint consumed;            /* points already given to the plots */
  PlStallMeter *meter;
  PlLpipsMetric *lpips;
  double lpips_value;        /* of the shown result, NaN = none */
  PlImage *ground_truth;
  PlImage *x0_image;         /* what x0_view shows, for export */

  gboolean scrub_updating;   /* timeline moved from code */
  int scrub_index;           /* -1 = live */
  int decode_wanted;         /* history index to decode next, -1 none */
  gboolean decoding;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE(PlLiveView, pl_live_view, GTK_TYPE_BOX)

/* What a first-time user sees before any run. */
#define IDLE_HINT "Not running · press Run (F5), or Presets ▸ “PSLD vs PLoRG-PSLD, large step (box)”"

static void set_x0_image(PlLiveView *self, PlImage *img /* owned */) {
  pl_image_free(self->x0_image);
  self->x0_image = img;
  pl_image_view_set_image(self->x0_view, img);
}

static void format_eta(char *buf, gsize len, double s) {
  if (s < 0 || !isfinite(s))
    g_strlcpy(buf, "", len);
  else if (s < 60)
    g_snprintf(buf, len, "ETA %.0f s", s);
  else
    g_snprintf(buf, len, "ETA %d:%02d", (int)s / 60, (int)s % 60);
}

static gboolean can_scrub(PlLiveView *self) {
  if (!self->ctl)
    return FALSE;
  PlRunState s = pl_run_controller_get_state(self->ctl);
  return s != PL_RUN_RUNNING && s != PL_RUN_IDLE &&
         pl_run_history_count(pl_run_controller_get_run(self->ctl)) > 0;
}

static void update_timeline_label(PlLiveView *self) {
  PlRun *run = self->ctl ? pl_run_controller_get_run(self->ctl) : NULL;
  int n = run ? pl_run_history_count(run) : 0;
  int i = (int)gtk_range_get_value(self->timeline_scale);
  if (n == 0) {
    gtk_label_set_text(self->timeline_label, "");
    return;
  }
  g_autofree char *t = g_strdup_printf("step %d (%d kept)", pl_run_history_step(run, CLAMP(i, 0, n - 1)), n);
  gtk_label_set_text(self->timeline_label, t);
}

/* Keep the scrubber's range at the kept history; while live, sit at its end. */
static void sync_timeline(PlLiveView *self) {
  PlRun *run = self->ctl ? pl_run_controller_get_run(self->ctl) : NULL;
  int n = run ? pl_run_history_count(run) : 0;
  GtkAdjustment *adj = gtk_range_get_adjustment(self->timeline_scale);
  self->scrub_updating = TRUE;
  gtk_adjustment_set_upper(adj, MAX(0, n - 1));
  if (self->scrub_index < 0)
    gtk_adjustment_set_value(adj, MAX(0, n - 1));
  self->scrub_updating = FALSE;
  gtk_widget_set_sensitive(GTK_WIDGET(self->timeline_scale), can_scrub(self));
  update_timeline_label(self);
}

static void show_previews(PlLiveView *self) {
  const PlPreview *x0 = pl_run_controller_get_x0_preview(self->ctl);
  const PlPreview *zt = pl_run_controller_get_zt_preview(self->ctl);
  if (x0) {
    pl_image_view_set_rgba8(self->x0_view, g_bytes_get_data(x0->rgba, NULL), x0->w, x0->h, 4 * x0->w);
    g_clear_pointer(&self->x0_image, pl_image_free);
    if (self->meter)
      pl_stall_meter_preview_set(self->meter, GTK_WIDGET(self->x0_view), x0->report_us);
  }
  if (zt)
    pl_image_view_set_rgba8(self->zt_view, g_bytes_get_data(zt->rgba, NULL), zt->w, zt->h, 4 * zt->w);
}

static void on_step(PlRunController *ctl, int index, gboolean new_preview, PlLiveView *self) {
  (void)ctl;
  GArray *points = pl_run_controller_get_points(self->ctl);
  if (points->len > self->consumed) {
    pl_run_plots_append(self->plots, &g_array_index(points, PlStepPoint, self->consumed),
                        points->len - self->consumed);
    self->consumed = points->len;
  }
  int steps = pl_run_controller_get_steps(self->ctl);
  if (self->scrub_index < 0) {
    pl_run_plots_set_spectrum(self->plots, pl_run_controller_get_spectrum(self->ctl));
    if (new_preview)
      show_previews(self);
  }
  gtk_progress_bar_set_fraction(self->progress, CLAMP((index + 1.0) / MAX(1, steps), 0, 1));
  g_autofree char *text = g_strdup_printf("step %d / %d%s", index + 1, steps,
                                          pl_run_controller_is_paused(self->ctl) ? " (paused)" : "");
  gtk_progress_bar_set_text(self->progress, text);
  char eta[32];
  format_eta(eta, sizeof eta, pl_run_controller_get_eta(self->ctl));
  gtk_label_set_text(self->eta_label, eta);
  const PlStepPoint *p = pl_run_controller_get_last_point(self->ctl);
  if (p) {
    /* Guided solvers run UNet + decoder + VJP as one call: that time is "networks". */
    g_autofree char *tm = g_strdup_printf(
        "step %d, t = %d: %.0f ms (networks %.0f, encoder %.0f, operator %.1f, projection %.1f) · "
        "ω %.3g · τ %.3g%s",
        p->index, p->t, p->ms_total, p->ms_guided + p->ms_unet + p->ms_decoder, p->ms_encoder,
        p->ms_operator, p->ms_projection, p->omega, p->tau, p->plorg ? " · PLoRG" : "");
    gtk_label_set_text(self->timings_label, tm);
  }
  sync_timeline(self);
}

static void show_metrics(PlLiveView *self) {
  if (!self->ctl)
    return;
  PlRun *run = pl_run_controller_get_run(self->ctl);
  double psnr = pl_run_psnr(run, 0), ssim = pl_run_ssim(run, 0), res = pl_run_residual(run, 0);
  GString *s = g_string_new(NULL);
  if (isfinite(psnr))
    g_string_append_printf(s, "PSNR %.2f dB · SSIM %.3f · ", psnr, ssim);
  else if (!isnan(psnr))
    g_string_append(s, "PSNR ∞ · ");
  else
    g_string_append(s, "no ground truth · ");
  if (isfinite(self->lpips_value))
    g_string_append_printf(s, "LPIPS %.4f (%s)", self->lpips_value, pl_lpips_metric_get_name(self->lpips));
  else if (self->lpips && pl_lpips_metric_is_loaded(self->lpips))
    g_string_append(s, "LPIPS …");
  else
    g_string_append(s, "LPIPS n/a (no LPIPS network loaded)");
  if (isfinite(res))
    g_string_append_printf(s, " · residual %.4g", res);
  gtk_label_set_text(self->metrics_label, s->str);
  g_string_free(s, TRUE);
}

static void lpips_done(GObject *source, GAsyncResult *res, gpointer data) {
  GError *error = NULL;
  double d = pl_lpips_metric_distance_finish(PL_LPIPS_METRIC(source), res, &error);
  if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free(error);
    return;
  }
  PlLiveView *self = data;
  g_clear_error(&error);
  self->lpips_value = d;
  show_metrics(self);
}

static void compute_lpips(PlLiveView *self, const PlImage *result) {
  self->lpips_value = NAN;
  if (self->lpips && pl_lpips_metric_is_loaded(self->lpips) && self->ground_truth && result)
    pl_lpips_metric_distance_async(self->lpips, result, self->ground_truth, self->cancellable,
                                   lpips_done, self);
}

static void on_finished(PlRunController *ctl, int state, PlLiveView *self) {
  PlRun *run = pl_run_controller_get_run(ctl);
  g_autofree char *text = g_strdup_printf("%s after %d steps", pl_run_state_name(state),
                                          pl_run_current_step(run));
  gtk_progress_bar_set_text(self->progress, text);
  gtk_label_set_text(self->eta_label, "");
  if (state == PL_RUN_FINISHED || state == PL_RUN_DIVERGED) {
    if (self->scrub_index < 0) {
      PlImage *result = pl_run_result(run, 0);
      if (result)
        set_x0_image(self, result);
    }
    g_autoptr(PlImage) result = pl_run_result(run, 0);
    compute_lpips(self, result);
    show_metrics(self);
  }
  sync_timeline(self);
}

void pl_live_view_set_controller(PlLiveView *self, PlRunController *ctl) {
  if (self->ctl) {
    g_signal_handlers_disconnect_by_data(self->ctl, self);
    g_clear_object(&self->ctl);
  }
  g_cancellable_cancel(self->cancellable);
  g_clear_object(&self->cancellable);
  self->cancellable = g_cancellable_new();
  self->decoding = FALSE;
  self->decode_wanted = -1;
  self->scrub_index = -1;
  self->consumed = 0;
  self->lpips_value = NAN;
  gtk_label_set_text(self->metrics_label, "");
  gtk_label_set_text(self->timings_label, "");
  gtk_label_set_text(self->eta_label, "");
  gtk_progress_bar_set_fraction(self->progress, 0);
  gtk_progress_bar_set_text(self->progress, ctl ? "starting…" : IDLE_HINT);
  pl_image_view_set_image(self->zt_view, NULL);
  set_x0_image(self, NULL);
  if (ctl) {
    self->ctl = g_object_ref(ctl);
    pl_run_plots_reset(self->plots, pl_run_controller_get_steps(ctl));
    g_signal_connect(ctl, "step", G_CALLBACK(on_step), self);
    g_signal_connect(ctl, "finished", G_CALLBACK(on_finished), self);
    GArray *points = pl_run_controller_get_points(ctl);
    if (points->len > 0) {
      const PlStepPoint *last = pl_run_controller_get_last_point(ctl);
      on_step(ctl, last->index, TRUE, self);
    }
    if (!pl_run_controller_is_active(ctl) && pl_run_controller_get_state(ctl) != PL_RUN_IDLE)
      on_finished(ctl, pl_run_controller_get_state(ctl), self);
  } else {
    pl_run_plots_reset(self->plots, 100);
  }
  sync_timeline(self);
}

PlRunController *pl_live_view_get_controller(PlLiveView *self) { return self->ctl; }

void pl_live_view_set_ground_truth(PlLiveView *self, const PlImage *img) {
  pl_image_free(self->ground_truth);
  self->ground_truth = img ? pl_image_copy(img) : NULL;
  gboolean on = gtk_check_button_get_active(self->compare_gt_check) && img;
  pl_image_view_set_compare_image(self->x0_view, on ? img : NULL);
  pl_image_view_set_compare(self->x0_view, on);
}

void pl_live_view_set_measurement(PlLiveView *self, const PlImage *img) {
  pl_image_view_set_image(self->measurement_view, img);
}

void pl_live_view_set_stall_meter(PlLiveView *self, PlStallMeter *meter) {
  g_set_object(&self->meter, meter);
}

void pl_live_view_set_lpips(PlLiveView *self, PlLpipsMetric *lpips) {
  g_set_object(&self->lpips, lpips);
}

const char *pl_live_view_get_metrics_text(PlLiveView *self) {
  return gtk_label_get_text(self->metrics_label);
}

void pl_live_view_set_font_scale(PlLiveView *self, double scale) {
  pl_image_view_set_font_scale(self->measurement_view, scale);
  pl_image_view_set_font_scale(self->x0_view, scale);
  pl_image_view_set_font_scale(self->zt_view, scale);
  pl_run_plots_set_font_scale(self->plots, scale);
}

void pl_live_view_refresh_state(PlLiveView *self) {
  if (self->ctl && pl_run_controller_get_state(self->ctl) == PL_RUN_RUNNING && self->scrub_index >= 0) {
    /* Resumed: back to following the run. */
    self->scrub_index = -1;
    pl_run_plots_set_cursor(self->plots, -1);
  }
  sync_timeline(self);
}

/* --- scrubbing --- */

typedef struct {
  int index;
  PlImage *image;
  PlImage *zt;
} DecodeJob;

static void decode_job_free(gpointer data) {
  DecodeJob *j = data;
  pl_image_free(j->image);
  pl_image_free(j->zt);
  g_free(j);
}

/* A kept latent (sample 0) as a picture: each channel stretched to [0,1] on its own, the
 * way the run's own z_t previews look. First three channels as RGB. */
static PlImage *latent_image(PlRun *run, int index) {
  const float *z = pl_run_history_latent(run, index);
  int c = 0, h = 0, w = 0;
  pl_model_latent_shape(pl_run_model(run), &c, &h, &w);
  if (!z || c < 1)
    return NULL;
  int shown = c >= 3 ? 3 : 1;
  PlImage *img = pl_image_new(shown, h, w);
  for (int ch = 0; ch < shown; ch++) {
    const float *src = z + (size_t)ch * h * w;
    float lo = src[0], hi = src[0];
    for (int i = 1; i < h * w; i++) {
      lo = MIN(lo, src[i]);
      hi = MAX(hi, src[i]);
    }
    float *dst = pl_image_plane(img, ch);
    for (int i = 0; i < h * w; i++)
      dst[i] = hi > lo ? (src[i] - lo) / (hi - lo) : 0.5f;
  }
  return img;
}

static void decode_thread(GTask *task, gpointer source, gpointer data, GCancellable *c) {
  (void)source;
  (void)c;
  DecodeJob *j = data;
  PlRun *run = g_object_get_data(G_OBJECT(task), "run");
  GError *error = NULL;
  j->image = pl_run_history_decode(run, j->index, 0, &error);
  j->zt = latent_image(run, j->index);
  if (!j->image)
    g_task_return_error(task, error);
  else
    g_task_return_boolean(task, TRUE);
}

static void start_decode(PlLiveView *self);

static void decode_done(GObject *source, GAsyncResult *res, gpointer data) {
  (void)data;
  PlLiveView *self = PL_LIVE_VIEW(source);
  DecodeJob *j = g_task_get_task_data(G_TASK(res));
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean(G_TASK(res), &error);
  if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free(error);
    return;
  }
  self->decoding = FALSE;
  if (ok && j->index == self->scrub_index) {
    set_x0_image(self, g_steal_pointer(&j->image));
    pl_image_view_set_image(self->zt_view, j->zt);
  }
  else if (!ok) {
    gtk_label_set_text(self->metrics_label, error->message);
    g_error_free(error);
  }
  if (self->decode_wanted >= 0)
    start_decode(self);
}

static void start_decode(PlLiveView *self) {
  if (self->decoding || self->decode_wanted < 0 || !self->ctl)
    return;
  DecodeJob *j = g_new0(DecodeJob, 1);
  j->index = self->decode_wanted;
  self->decode_wanted = -1;
  self->decoding = TRUE;
  GTask *task = g_task_new(self, self->cancellable, decode_done, NULL);
  g_object_set_data_full(G_OBJECT(task), "run", pl_run_ref(pl_run_controller_get_run(self->ctl)),
                         (GDestroyNotify)pl_run_unref);
  g_task_set_task_data(task, j, decode_job_free);
  g_task_run_in_thread(task, decode_thread);
  g_object_unref(task);
}

gboolean pl_live_view_scrub_to(PlLiveView *self, int index) {
  if (!can_scrub(self))
    return FALSE;
  PlRun *run = pl_run_controller_get_run(self->ctl);
  int n = pl_run_history_count(run);
  index = CLAMP(index, 0, n - 1);
  self->scrub_index = index;
  self->scrub_updating = TRUE;
  gtk_range_set_value(self->timeline_scale, index);
  self->scrub_updating = FALSE;
  update_timeline_label(self);

  int step = pl_run_history_step(run, index);
  g_autoptr(PlStepReport) report = pl_run_history_report(run, index);
  if (report) {
    PlSpectrum sp = {0};
    pl_spectrum_from_report(&sp, report);
    pl_run_plots_set_spectrum(self->plots, &sp);
    pl_spectrum_clear(&sp);
  }
  pl_run_plots_set_cursor(self->plots, step);
  self->decode_wanted = index;
  start_decode(self);
  return TRUE;
}

int pl_live_view_get_scrub_index(PlLiveView *self) { return self->scrub_index; }

int pl_live_view_get_scrub_step(PlLiveView *self) {
  if (self->scrub_index < 0 || !self->ctl)
    return -1;
  return pl_run_history_step(pl_run_controller_get_run(self->ctl), self->scrub_index);
}

gboolean pl_live_view_is_decoding(PlLiveView *self) {
  return self->decoding || self->decode_wanted >= 0;
}

PlImageView *pl_live_view_get_x0_view(PlLiveView *self) { return self->x0_view; }
PlRunPlots *pl_live_view_get_plots(PlLiveView *self) { return self->plots; }
const PlImage *pl_live_view_get_x0_image(PlLiveView *self) { return self->x0_image; }

static void on_timeline_moved(GtkRange *range, PlLiveView *self) {
  if (self->scrub_updating)
    return;
  pl_live_view_scrub_to(self, (int)lround(gtk_range_get_value(range)));
}

static void on_plot_step(PlRunPlots *plots, int step, PlLiveView *self) {
  (void)plots;
  if (!can_scrub(self))
    return;
  /* The kept entry nearest at or before the clicked step. */
  PlRun *run = pl_run_controller_get_run(self->ctl);
  int n = pl_run_history_count(run), best = 0;
  for (int i = 0; i < n; i++)
    if (pl_run_history_step(run, i) <= step)
      best = i;
  pl_live_view_scrub_to(self, best);
}

/* The ground truth goes into the view only for the split: otherwise an empty x0_hat view
 * would show it and be mistaken for a result. */
static void on_compare_gt(GtkCheckButton *check, PlLiveView *self) {
  gboolean on = gtk_check_button_get_active(check) && self->ground_truth;
  pl_image_view_set_compare_image(self->x0_view, on ? self->ground_truth : NULL);
  pl_image_view_set_compare(self->x0_view, on);
}

/* --- class --- */

static void pl_live_view_dispose(GObject *object) {
  PlLiveView *self = PL_LIVE_VIEW(object);
  if (self->cancellable)
    g_cancellable_cancel(self->cancellable);
  if (self->ctl) {
    g_signal_handlers_disconnect_by_data(self->ctl, self);
    g_clear_object(&self->ctl);
  }
  g_clear_object(&self->meter);
  g_clear_object(&self->lpips);
  gtk_widget_dispose_template(GTK_WIDGET(self), PL_TYPE_LIVE_VIEW);
  G_OBJECT_CLASS(pl_live_view_parent_class)->dispose(object);
}

static void pl_live_view_finalize(GObject *object) {
  PlLiveView *self = PL_LIVE_VIEW(object);
  g_clear_object(&self->cancellable);
  pl_image_free(self->ground_truth);
  pl_image_free(self->x0_image);
  G_OBJECT_CLASS(pl_live_view_parent_class)->finalize(object);
}

static void pl_live_view_class_init(PlLiveViewClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  object_class->dispose = pl_live_view_dispose;
  object_class->finalize = pl_live_view_finalize;
  g_type_ensure(PL_TYPE_IMAGE_VIEW);
  g_type_ensure(PL_TYPE_RUN_PLOTS);
  gtk_widget_class_set_template_from_resource(wc, "/org/plorg/Studio/pl-live-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, PlLiveView, name)
  BIND(measurement_view);
  BIND(x0_view);
  BIND(zt_view);
  BIND(compare_gt_check);
  BIND(metrics_label);
  BIND(eta_label);
  BIND(timings_label);
  BIND(timeline_label);
  BIND(progress);
  BIND(plots);
  BIND(timeline_scale);
  BIND(timeline_box);
#undef BIND
}

static void pl_live_view_init(PlLiveView *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  gtk_progress_bar_set_text(self->progress, IDLE_HINT);
  self->scrub_index = -1;
  self->decode_wanted = -1;
  self->lpips_value = NAN;
  self->cancellable = g_cancellable_new();
  g_signal_connect(self->timeline_scale, "value-changed", G_CALLBACK(on_timeline_moved), self);
  g_signal_connect(self->plots, "step-activated", G_CALLBACK(on_plot_step), self);
  g_signal_connect(self->compare_gt_check, "toggled", G_CALLBACK(on_compare_gt), self);
}
