/* PlStallMeter: gap and latency samples, percentiles on demand. */
#include "pl_stall_meter.h"
#include <math.h>
#include <time.h>

struct _PlStallMeter {
  GObject parent_instance;
  guint timeout_id;
  gint64 last_us, last_cpu_us;
  GArray *busy_ms;       /* double: main-thread CPU time between two ticks */
  GArray *gaps_ms;       /* double */
  GArray *latencies_ms;  /* double: report -> painted */
  GArray *handoff_ms;    /* double: report -> image set on the main thread */
  GArray *pending_us;    /* gint64: previews set, not yet painted */
  GdkFrameClock *clock;  /* weak: the clock whose after-paint we listen to */
  gulong paint_handler;
};

G_DEFINE_FINAL_TYPE(PlStallMeter, pl_stall_meter, G_TYPE_OBJECT)

/* CPU time of the calling (main) thread: a long gap with little CPU time is the thread
 * waiting for a core (other processes), not work done on it. */
static gint64 thread_cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean on_tick(gpointer data) {
  PlStallMeter *self = data;
  gint64 now = g_get_monotonic_time();
  double gap = (now - self->last_us) / 1000.0;
  g_array_append_val(self->gaps_ms, gap);
  gint64 cpu = thread_cpu_us();
  double busy = (cpu - self->last_cpu_us) / 1000.0;
  g_array_append_val(self->busy_ms, busy);
  self->last_cpu_us = cpu;
  self->last_us = now;
  return G_SOURCE_CONTINUE;
}

static void on_after_paint(GdkFrameClock *clock, gpointer data) {
  (void)clock;
  PlStallMeter *self = data;
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < self->pending_us->len; i++) {
    double ms = (now - g_array_index(self->pending_us, gint64, i)) / 1000.0;
    g_array_append_val(self->latencies_ms, ms);
  }
  g_array_set_size(self->pending_us, 0);
}

static void disconnect_clock(PlStallMeter *self) {
  if (self->clock && self->paint_handler)
    g_signal_handler_disconnect(self->clock, self->paint_handler);
  if (self->clock)
    g_object_remove_weak_pointer(G_OBJECT(self->clock), (gpointer *)&self->clock);
  self->clock = NULL;
  self->paint_handler = 0;
}

static void pl_stall_meter_dispose(GObject *object) {
  PlStallMeter *self = PL_STALL_METER(object);
  pl_stall_meter_stop(self);
  disconnect_clock(self);
  G_OBJECT_CLASS(pl_stall_meter_parent_class)->dispose(object);
}

static void pl_stall_meter_finalize(GObject *object) {
  PlStallMeter *self = PL_STALL_METER(object);
  g_array_unref(self->gaps_ms);
  g_array_unref(self->busy_ms);
  g_array_unref(self->latencies_ms);
  g_array_unref(self->handoff_ms);
  g_array_unref(self->pending_us);
  G_OBJECT_CLASS(pl_stall_meter_parent_class)->finalize(object);
}

static void pl_stall_meter_class_init(PlStallMeterClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  object_class->dispose = pl_stall_meter_dispose;
  object_class->finalize = pl_stall_meter_finalize;
}

static void pl_stall_meter_init(PlStallMeter *self) {
  self->gaps_ms = g_array_new(FALSE, FALSE, sizeof(double));
  self->busy_ms = g_array_new(FALSE, FALSE, sizeof(double));
  self->latencies_ms = g_array_new(FALSE, FALSE, sizeof(double));
  self->handoff_ms = g_array_new(FALSE, FALSE, sizeof(double));
  self->pending_us = g_array_new(FALSE, FALSE, sizeof(gint64));
}

PlStallMeter *pl_stall_meter_new(void) { return g_object_new(PL_TYPE_STALL_METER, NULL); }

void pl_stall_meter_start(PlStallMeter *self) {
  if (self->timeout_id)
    return;
  g_array_set_size(self->gaps_ms, 0);
  g_array_set_size(self->busy_ms, 0);
  g_array_set_size(self->latencies_ms, 0);
  g_array_set_size(self->handoff_ms, 0);
  self->last_us = g_get_monotonic_time();
  self->last_cpu_us = thread_cpu_us();
  self->timeout_id = g_timeout_add(1, on_tick, self);
}

void pl_stall_meter_stop(PlStallMeter *self) {
  g_clear_handle_id(&self->timeout_id, g_source_remove);
}

gboolean pl_stall_meter_is_running(PlStallMeter *self) { return self->timeout_id != 0; }

void pl_stall_meter_preview_set(PlStallMeter *self, GtkWidget *widget, gint64 report_us) {
  if (!self->timeout_id || report_us <= 0)
    return;
  GdkFrameClock *clock = gtk_widget_get_frame_clock(widget);
  if (!clock)
    return;
  if (clock != self->clock) {
    disconnect_clock(self);
    self->clock = clock;
    g_object_add_weak_pointer(G_OBJECT(clock), (gpointer *)&self->clock);
    self->paint_handler = g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), self);
  }
  g_array_append_val(self->pending_us, report_us);
  double handoff = (g_get_monotonic_time() - report_us) / 1000.0;
  g_array_append_val(self->handoff_ms, handoff);
}

static int cmp_double(gconstpointer a, gconstpointer b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double percentile(GArray *values, double p) {
  if (values->len == 0)
    return NAN;
  GArray *sorted = g_array_copy(values);
  g_array_sort(sorted, cmp_double);
  guint i = (guint)ceil(p / 100.0 * sorted->len);
  i = i == 0 ? 0 : MIN(i - 1, sorted->len - 1);
  double v = g_array_index(sorted, double, i);
  g_array_unref(sorted);
  return v;
}

double pl_stall_meter_gap_ms(PlStallMeter *self, double p) { return percentile(self->gaps_ms, p); }
double pl_stall_meter_latency_ms(PlStallMeter *self, double p) {
  return percentile(self->latencies_ms, p);
}
double pl_stall_meter_busy_ms(PlStallMeter *self, double p) { return percentile(self->busy_ms, p); }

double pl_stall_meter_handoff_ms(PlStallMeter *self, double p) {
  return percentile(self->handoff_ms, p);
}
guint pl_stall_meter_gap_count(PlStallMeter *self) { return self->gaps_ms->len; }
guint pl_stall_meter_latency_count(PlStallMeter *self) { return self->latencies_ms->len; }

char *pl_stall_meter_summary(PlStallMeter *self) {
  return g_strdup_printf(
      "main-loop gap (1 ms timer): p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%u); "
      "main-thread CPU per gap: p99 %.2f ms, max %.2f ms; "
      "step end -> preview set: p50 %.1f ms, p99 %.1f ms; "
      "step end -> preview painted: p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%u)",
      pl_stall_meter_gap_ms(self, 50), pl_stall_meter_gap_ms(self, 99),
      pl_stall_meter_gap_ms(self, 100), self->gaps_ms->len, pl_stall_meter_busy_ms(self, 99),
      pl_stall_meter_busy_ms(self, 100), pl_stall_meter_handoff_ms(self, 50),
      pl_stall_meter_handoff_ms(self, 99), pl_stall_meter_latency_ms(self, 50),
      pl_stall_meter_latency_ms(self, 99), pl_stall_meter_latency_ms(self, 100),
      self->latencies_ms->len);
}
