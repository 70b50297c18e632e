/* PlRunController: worker-side copying and coalescing, main-side delivery. */
#include "pl_run_controller.h"
#include <string.h>

/* State shared between the worker's observer and the main thread. Reference counted
 * (g_atomic_rc_box) so that neither side has to outlive the other. */
typedef struct {
  GMutex lock;
  GWeakRef owner;            /* PlRunController, may be gone */
  PlRun *run;                /* owned ref */
  int steps;
  gint preview_every;        /* atomic */
  /* pending, under lock */
  gboolean idle_pending;
  GArray *points;
  PlSpectrum spectrum;
  gboolean has_spectrum;
  PlPreview x0, zt;
  gboolean done;
  PlRunState final_state;
  GError *error;
} Feed;

struct _PlRunController {
  GObject parent_instance;
  Feed *feed;
  PlRun *run;
  char *label;
  gboolean started;
  PlRunState state;
  GError *error;
  GArray *points;
  PlSpectrum spectrum;
  gboolean has_spectrum;
  PlPreview x0, zt;
  guint flushes, flushed_steps;
};

G_DEFINE_FINAL_TYPE(PlRunController, pl_run_controller, G_TYPE_OBJECT)

enum { SIGNAL_STEP, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void preview_clear(PlPreview *p) {
  g_clear_pointer(&p->rgba, g_bytes_unref);
  memset(p, 0, sizeof *p);
}

void pl_spectrum_clear(PlSpectrum *s) {
  g_clear_pointer(&s->sv, g_free);
  memset(s, 0, sizeof *s);
}

static void feed_clear(gpointer data) {
  Feed *f = data;
  g_array_unref(f->points);
  pl_spectrum_clear(&f->spectrum);
  preview_clear(&f->x0);
  preview_clear(&f->zt);
  g_clear_error(&f->error);
  g_weak_ref_clear(&f->owner);
  g_clear_pointer(&f->run, pl_run_unref);
  g_mutex_clear(&f->lock);
}

static Feed *feed_ref(Feed *f) { return g_atomic_rc_box_acquire(f); }
static void feed_unref(gpointer f) { g_atomic_rc_box_release_full(f, feed_clear); }

/* Worker: an image as RGBA8 bytes. Latents with other than 1 or 3 channels show their
 * first three (or first one) channels. */
static void preview_from_image(PlPreview *out, const PlImage *img, int step, gint64 now) {
  PlImage view = *img;
  if (view.c != 1 && view.c != 3)
    view.c = view.c > 3 ? 3 : 1;
  gsize len = (gsize)view.w * view.h * 4;
  guint8 *rgba = g_malloc(len);
  pl_image_to_rgba8(&view, rgba);
  preview_clear(out);
  out->step = step;
  out->w = view.w;
  out->h = view.h;
  out->rgba = g_bytes_new_take(rgba, len);
  out->report_us = now;
}

static void point_from_report(PlStepPoint *p, const PlStepReport *r) {
  memset(p, 0, sizeof *p);
  p->index = r->index;
  p->t = r->t;
  p->elapsed_s = r->elapsed_s;
  p->ms_total = r->ms_total;
  p->ms_unet = r->ms_unet;
  p->ms_decoder = r->ms_decoder;
  p->ms_projection = r->ms_projection;
  p->ms_encoder = r->ms_encoder;
  p->ms_guided = r->ms_guided;
  p->ms_operator = r->ms_operator;
  p->omega = r->omega;
  p->gamma = r->gamma;
  p->tau = r->tau;
  p->plorg = r->plorg;
  p->channels = MIN(r->channels, PL_MAX_CHANNELS);
  if (r->batch < 1 || !r->sample)
    return;
  const PlSampleStats *s = &r->sample[0];
  p->residual = s->residual;
  p->loss_meas = s->loss_meas;
  p->loss_glue = s->loss_glue;
  p->grad_norm = s->grad_norm;
  p->grad_norm_projected = s->grad_norm_projected;
  for (int c = 0; c < p->channels && s->ranks; c++)
    p->rank[c] = s->ranks[c];
}

void pl_spectrum_from_report(PlSpectrum *sp, const PlStepReport *r) {
  pl_spectrum_clear(sp);
  if (r->batch < 1 || !r->sample || !r->sample[0].singular_values || r->kmax < 1)
    return;
  sp->step = r->index;
  sp->channels = MIN(r->channels, PL_MAX_CHANNELS);
  sp->kmax = r->kmax;
  sp->tau = r->tau;
  sp->sv = g_memdup2(r->sample[0].singular_values, sizeof(double) * sp->channels * sp->kmax);
  for (int c = 0; c < sp->channels && r->sample[0].ranks; c++)
    sp->rank[c] = r->sample[0].ranks[c];
}

PlImage *pl_preview_to_image(const PlPreview *p) {
  PlImage *img = pl_image_new(3, p->h, p->w);
  const guint8 *px = g_bytes_get_data(p->rgba, NULL);
  for (int c = 0; c < 3; c++) {
    float *plane = pl_image_plane(img, c);
    for (int i = 0; i < p->w * p->h; i++)
      plane[i] = px[4 * i + c] / 255.0f;
  }
  return img;
}

static gboolean feed_flush(gpointer data);

/* Caller holds f->lock. */
static void feed_schedule_locked(Feed *f) {
  if (f->idle_pending)
    return;
  f->idle_pending = TRUE;
  g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, feed_flush, feed_ref(f), feed_unref);
}

/* Worker thread: copy, convert, merge into the one pending update. Never blocks for long:
 * the lock guards only pointer swaps and an array append. */
static void on_step(const PlStepReport *r, gpointer data) {
  Feed *f = data;
  gint64 now = g_get_monotonic_time();
  PlStepPoint point;
  point_from_report(&point, r);
  PlSpectrum sp = {0};
  pl_spectrum_from_report(&sp, r);
  PlPreview x0 = {0}, zt = {0};
  if (r->x0_preview && r->x0_preview[0])
    preview_from_image(&x0, r->x0_preview[0], r->index, now);
  if (r->zt_preview && r->zt_preview[0])
    preview_from_image(&zt, r->zt_preview[0], r->index, now);

  /* Ask for images on the next step when it is a preview step. The run itself is created
   * with preview_every 0 so that N stays adjustable while it runs. */
  int every = MAX(1, g_atomic_int_get(&f->preview_every));
  int next = r->index + 1;
  if (next < f->steps && (next % every == 0 || next == f->steps - 1))
    pl_run_request_preview(f->run);

  g_mutex_lock(&f->lock);
  g_array_append_val(f->points, point);
  if (sp.sv) {
    pl_spectrum_clear(&f->spectrum);
    f->spectrum = sp;
    f->has_spectrum = TRUE;
  }
  if (x0.rgba) {
    preview_clear(&f->x0);
    f->x0 = x0;
  }
  if (zt.rgba) {
    preview_clear(&f->zt);
    f->zt = zt;
  }
  feed_schedule_locked(f);
  g_mutex_unlock(&f->lock);
}

static gboolean release_on_main(gpointer data) {
  feed_unref(data);
  return G_SOURCE_REMOVE;
}

static void on_done(PlRunState state, const GError *error, gpointer data) {
  Feed *f = data;
  g_mutex_lock(&f->lock);
  f->done = TRUE;
  f->final_state = state;
  if (error)
    f->error = g_error_copy(error);
  feed_schedule_locked(f);
  g_mutex_unlock(&f->lock);
  /* The observer's reference goes on the main thread, after the flush above. */
  g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, release_on_main, f, NULL);
}

/* Main thread: take the pending update and hand it to the controller. */
static gboolean feed_flush(gpointer data) {
  Feed *f = data;
  GArray *points = g_array_new(FALSE, FALSE, sizeof(PlStepPoint));
  PlSpectrum sp = {0};
  PlPreview x0 = {0}, zt = {0};
  gboolean has_sp, done;
  PlRunState final_state;
  GError *error;

  g_mutex_lock(&f->lock);
  GArray *tmp = f->points;
  f->points = points;
  points = tmp;
  has_sp = f->has_spectrum;
  sp = f->spectrum;
  memset(&f->spectrum, 0, sizeof f->spectrum);
  f->has_spectrum = FALSE;
  x0 = f->x0;
  memset(&f->x0, 0, sizeof f->x0);
  zt = f->zt;
  memset(&f->zt, 0, sizeof f->zt);
  done = f->done;
  f->done = FALSE;
  final_state = f->final_state;
  error = g_steal_pointer(&f->error);
  f->idle_pending = FALSE;
  g_mutex_unlock(&f->lock);

  PlRunController *self = g_weak_ref_get(&f->owner);
  if (self) {
    gboolean new_preview = x0.rgba != NULL || zt.rgba != NULL;
    if (points->len > 0) {
      g_array_append_vals(self->points, points->data, points->len);
      self->flushes++;
      self->flushed_steps += points->len;
    }
    if (has_sp) {
      pl_spectrum_clear(&self->spectrum);
      self->spectrum = sp;
      self->has_spectrum = TRUE;
      memset(&sp, 0, sizeof sp);
    }
    if (x0.rgba) {
      preview_clear(&self->x0);
      self->x0 = x0;
      memset(&x0, 0, sizeof x0);
    }
    if (zt.rgba) {
      preview_clear(&self->zt);
      self->zt = zt;
      memset(&zt, 0, sizeof zt);
    }
    if (points->len > 0 || new_preview) {
      const PlStepPoint *last = pl_run_controller_get_last_point(self);
      g_signal_emit(self, signals[SIGNAL_STEP], 0, last ? last->index : -1, new_preview);
    }
    if (done) {
      self->state = final_state;
      g_clear_error(&self->error);
      self->error = g_steal_pointer(&error);
      g_signal_emit(self, signals[SIGNAL_FINISHED], 0, (int)final_state);
    }
    g_object_unref(self);
  }
  g_array_unref(points);
  pl_spectrum_clear(&sp);
  preview_clear(&x0);
  preview_clear(&zt);
  g_clear_error(&error);
  return G_SOURCE_REMOVE;
}

static void pl_run_controller_dispose(GObject *object) {
  PlRunController *self = PL_RUN_CONTROLLER(object);
  /* A run nobody watches any more need not go on; the feed keeps it alive until done. */
  if (self->run && pl_run_controller_is_active(self))
    pl_run_cancel(self->run);
  g_clear_pointer(&self->feed, feed_unref);
  g_clear_pointer(&self->run, pl_run_unref);
  G_OBJECT_CLASS(pl_run_controller_parent_class)->dispose(object);
}

static void pl_run_controller_finalize(GObject *object) {
  PlRunController *self = PL_RUN_CONTROLLER(object);
  g_free(self->label);
  g_clear_error(&self->error);
  g_array_unref(self->points);
  pl_spectrum_clear(&self->spectrum);
  preview_clear(&self->x0);
  preview_clear(&self->zt);
  G_OBJECT_CLASS(pl_run_controller_parent_class)->finalize(object);
}

static void pl_run_controller_class_init(PlRunControllerClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  object_class->dispose = pl_run_controller_dispose;
  object_class->finalize = pl_run_controller_finalize;
  signals[SIGNAL_STEP] = g_signal_new("step", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT,
                                      G_TYPE_BOOLEAN);
  signals[SIGNAL_FINISHED] = g_signal_new("finished", G_TYPE_FROM_CLASS(klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_INT);
}

static void pl_run_controller_init(PlRunController *self) {
  self->points = g_array_new(FALSE, FALSE, sizeof(PlStepPoint));
  self->state = PL_RUN_IDLE;
}

PlRunController *pl_run_controller_new(PlRun *run, const char *label) {
  g_return_val_if_fail(run != NULL, NULL);
  PlRunController *self = g_object_new(PL_TYPE_RUN_CONTROLLER, NULL);
  self->run = pl_run_ref(run);
  self->label = g_strdup(label ? label : "");
  Feed *f = g_atomic_rc_box_new0(Feed);
  g_mutex_init(&f->lock);
  g_weak_ref_init(&f->owner, self);
  f->run = pl_run_ref(run);
  const PlRunParams *p = pl_run_params(run);
  f->steps = p->steps;
  f->preview_every = MAX(1, p->preview_every);
  f->points = g_array_new(FALSE, FALSE, sizeof(PlStepPoint));
  self->feed = f;
  return self;
}

PlRun *pl_run_controller_get_run(PlRunController *self) { return self->run; }
const char *pl_run_controller_get_label(PlRunController *self) { return self->label; }
int pl_run_controller_get_steps(PlRunController *self) { return self->feed->steps; }

void pl_run_controller_start(PlRunController *self) {
  g_return_if_fail(!self->started);
  self->started = TRUE;
  self->state = PL_RUN_RUNNING;
  pl_run_add_observer(self->run, on_step, on_done, feed_ref(self->feed));
  pl_run_request_preview(self->run);   /* the first step is always shown */
  pl_run_start(self->run);
}

void pl_run_controller_pause(PlRunController *self) {
  if (self->state != PL_RUN_RUNNING)
    return;
  pl_run_pause(self->run);
  self->state = PL_RUN_PAUSED;
}

void pl_run_controller_resume(PlRunController *self) {
  if (self->state != PL_RUN_PAUSED)
    return;
  pl_run_resume(self->run);
  self->state = PL_RUN_RUNNING;
}

void pl_run_controller_step_once(PlRunController *self) {
  if (self->state == PL_RUN_RUNNING)
    pl_run_controller_pause(self);
  else if (self->state == PL_RUN_PAUSED)
    pl_run_step_once(self->run);
}

void pl_run_controller_cancel(PlRunController *self) {
  if (pl_run_controller_is_active(self))
    pl_run_cancel(self->run);
}

void pl_run_controller_shutdown(PlRunController *self) {
  if (!self->started || !pl_run_controller_is_active(self))
    return;
  pl_run_cancel(self->run);
  pl_run_wait(self->run);
}

void pl_run_controller_set_param(PlRunController *self, const char *name, double value) {
  if (pl_run_controller_is_active(self))
    pl_run_set_param(self->run, name, value);
}

void pl_run_controller_set_preview_every(PlRunController *self, int n) {
  g_atomic_int_set(&self->feed->preview_every, MAX(1, n));
}

PlRunState pl_run_controller_get_state(PlRunController *self) { return self->state; }

gboolean pl_run_controller_is_active(PlRunController *self) {
  return self->state == PL_RUN_RUNNING || self->state == PL_RUN_PAUSED;
}

gboolean pl_run_controller_is_paused(PlRunController *self) {
  return self->state == PL_RUN_PAUSED;
}

const GError *pl_run_controller_get_error(PlRunController *self) { return self->error; }
GArray *pl_run_controller_get_points(PlRunController *self) { return self->points; }

const PlStepPoint *pl_run_controller_get_last_point(PlRunController *self) {
  if (self->points->len == 0)
    return NULL;
  return &g_array_index(self->points, PlStepPoint, self->points->len - 1);
}

const PlSpectrum *pl_run_controller_get_spectrum(PlRunController *self) {
  return self->has_spectrum ? &self->spectrum : NULL;
}

const PlPreview *pl_run_controller_get_x0_preview(PlRunController *self) {
  return self->x0.rgba ? &self->x0 : NULL;
}

const PlPreview *pl_run_controller_get_zt_preview(PlRunController *self) {
  return self->zt.rgba ? &self->zt : NULL;
}

double pl_run_controller_get_eta(PlRunController *self) {
  guint n = self->points->len;
  if (n == 0)
    return -1;
  /* Mean of the last (up to) 10 step times: pauses do not inflate it. */
  guint from = n > 10 ? n - 10 : 0;
  double sum = 0;
  for (guint i = from; i < n; i++)
    sum += g_array_index(self->points, PlStepPoint, i).ms_total;
  const PlStepPoint *last = pl_run_controller_get_last_point(self);
  int left = self->feed->steps - (last->index + 1);
  return left * sum / (n - from) / 1000.0;
}

void pl_run_controller_get_flush_stats(PlRunController *self, guint *flushes, guint *steps) {
  if (flushes)
    *flushes = self->flushes;
  if (steps)
    *steps = self->flushed_steps;
}
