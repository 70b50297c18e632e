/* PlStallMeter: measures how responsive the main loop stays during a run.
 *
 *  - main-loop stalls: a 1 ms timeout records the gaps between its dispatches; anything
 *    that holds the loop (a slow handler, a long redraw) shows up as a long gap;
 *  - preview latency: from the moment a step's report reached the controller on the
 *    worker to the end of the first frame painted after its image was set.
 */
#pragma once
#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PL_TYPE_STALL_METER (pl_stall_meter_get_type())
G_DECLARE_FINAL_TYPE(PlStallMeter, pl_stall_meter, PL, STALL_METER, GObject)

PlStallMeter *pl_stall_meter_new(void);
void pl_stall_meter_start(PlStallMeter *self);
void pl_stall_meter_stop(PlStallMeter *self);
gboolean pl_stall_meter_is_running(PlStallMeter *self);
/* A preview made from the report at report_us (g_get_monotonic_time) was just handed to
 * widget; the latency is taken when the widget's next frame has been painted. */
void pl_stall_meter_preview_set(PlStallMeter *self, GtkWidget *widget, gint64 report_us);

/* Percentile (0..100) of the gaps / latencies in milliseconds; NaN when empty. */
double pl_stall_meter_gap_ms(PlStallMeter *self, double percentile);
double pl_stall_meter_latency_ms(PlStallMeter *self, double percentile);
/* Main-thread CPU time between two timer dispatches: the part of a gap spent working on
 * the main thread (the rest is waiting for a core when the machine is busy). */
double pl_stall_meter_busy_ms(PlStallMeter *self, double percentile);
/* From the report to the image handed to the widget on the main thread (no paint). */
double pl_stall_meter_handoff_ms(PlStallMeter *self, double percentile);
guint pl_stall_meter_gap_count(PlStallMeter *self);
guint pl_stall_meter_latency_count(PlStallMeter *self);
/* One line for logs and the README. */
char *pl_stall_meter_summary(PlStallMeter *self);

G_END_DECLS
