/* PlLpipsMetric: a mutex-guarded LPIPS handle, used from GTask threads only. */
#include "pl_lpips_metric.h"
#include "pl_lpips.h"
#include <math.h>

struct _PlLpipsMetric {
  GObject parent_instance;
  GMutex lock;
  PlLpips *net;       /* under lock */
  char *name;         /* main thread */
  int loading;
};

G_DEFINE_FINAL_TYPE(PlLpipsMetric, pl_lpips_metric, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *c) {
  (void)source;
  (void)c;
  GError *error = NULL;
  PlLpips *net = pl_lpips_load(data, NULL, &error);
  if (!net)
    g_task_return_error(task, error);
  else
    g_task_return_pointer(task, net, (GDestroyNotify)pllpips_free);
}

static void load_done(GObject *source, GAsyncResult *res, gpointer data) {
  (void)data;
  PlLpipsMetric *self = PL_LPIPS_METRIC(source);
  GError *error = NULL;
  PlLpips *net = g_task_propagate_pointer(G_TASK(res), &error);
  self->loading--;
  if (!net) {
    g_autofree char *msg = g_strdup(error->message);
    msg[0] = g_ascii_toupper(msg[0]);   /* the engine's message starts a sentence here */
    g_error_free(error);
    g_signal_emit(self, signals[SIGNAL_FAILED], 0, msg);
    return;
  }
  g_mutex_lock(&self->lock);
  PlLpips *old = self->net;
  self->net = net;
  g_mutex_unlock(&self->lock);
  if (old)
    pllpips_free(old);
  g_free(self->name);
  self->name = g_strdup(pllpips_net(net));
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void pl_lpips_metric_load(PlLpipsMetric *self, const char *bundle_dir) {
  self->loading++;
  GTask *task = g_task_new(self, NULL, load_done, NULL);
  g_task_set_task_data(task, g_strdup(bundle_dir), g_free);
  g_task_run_in_thread(task, load_thread);
  g_object_unref(task);
}

gboolean pl_lpips_metric_is_loaded(PlLpipsMetric *self) { return self->name != NULL; }
gboolean pl_lpips_metric_is_loading(PlLpipsMetric *self) { return self->loading > 0; }
const char *pl_lpips_metric_get_name(PlLpipsMetric *self) { return self->name; }

typedef struct {
  PlImage *a, *b;
} Pair;

static void pair_free(gpointer data) {
  Pair *p = data;
  pl_image_free(p->a);
  pl_image_free(p->b);
  g_free(p);
}

static void distance_thread(GTask *task, gpointer source, gpointer data, GCancellable *c) {
  (void)c;
  PlLpipsMetric *self = source;
  Pair *p = data;
  GError *error = NULL;
  g_mutex_lock(&self->lock);
  double d = pl_lpips_distance(self->net, p->a, p->b, &error);
  g_mutex_unlock(&self->lock);
  if (error)
    g_task_return_error(task, error);
  else
    g_task_return_pointer(task, g_memdup2(&d, sizeof d), g_free);
}

void pl_lpips_metric_distance_async(PlLpipsMetric *self, const PlImage *a, const PlImage *b,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data) {
  GTask *task = g_task_new(self, cancellable, callback, user_data);
  Pair *p = g_new0(Pair, 1);
  p->a = pl_image_copy(a);
  p->b = pl_image_copy(b);
  g_task_set_task_data(task, p, pair_free);
  if (!self->name || a->c != 3 || b->c != 3 || a->h != b->h || a->w != b->w)
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            self->name ? "LPIPS needs two RGB images of one size"
                                       : "no LPIPS network is loaded");
  else
    g_task_run_in_thread(task, distance_thread);
  g_object_unref(task);
}

double pl_lpips_metric_distance_finish(PlLpipsMetric *self, GAsyncResult *result, GError **error) {
  (void)self;
  g_autofree double *d = g_task_propagate_pointer(G_TASK(result), error);
  return d ? *d : NAN;
}

static void pl_lpips_metric_finalize(GObject *object) {
  PlLpipsMetric *self = PL_LPIPS_METRIC(object);
  if (self->net)
    pllpips_free(self->net);
  g_mutex_clear(&self->lock);
  g_free(self->name);
  G_OBJECT_CLASS(pl_lpips_metric_parent_class)->finalize(object);
}

static void pl_lpips_metric_class_init(PlLpipsMetricClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = pl_lpips_metric_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] = g_signal_new("failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void pl_lpips_metric_init(PlLpipsMetric *self) { g_mutex_init(&self->lock); }

PlLpipsMetric *pl_lpips_metric_new(void) { return g_object_new(PL_TYPE_LPIPS_METRIC, NULL); }
