/* Progress bar with ETA on a terminal (stderr), nothing when stderr is not a terminal. */
#include "plorg_cli.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct PlorgProgress {
  char *label;
  gboolean active;
  gint64 last_us;
  int last_len;
};

PlorgProgress *plorg_progress_new(const char *label, gboolean quiet) {
  PlorgProgress *p = g_new0(PlorgProgress, 1);
  p->label = g_strdup(label ? label : "");
  p->active = !quiet && isatty(STDERR_FILENO);
  return p;
}

static void format_time(double s, char *buf, size_t n) {
  if (!(s >= 0.0) || s > 359999.0)
    g_snprintf(buf, n, "--:--");
  else if (s >= 3600.0)
    g_snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60, (int)s % 60);
  else
    g_snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

void plorg_progress_update(PlorgProgress *p, int done, int total, double elapsed_s) {
  if (!p || !p->active || total <= 0)
    return;
  gint64 now = g_get_monotonic_time();
  if (done < total && now - p->last_us < 100000) /* redraw at most 10 times a second */
    return;
  p->last_us = now;
  const int width = 30;
  int fill = (int)((double)done / total * width);
  char bar[64];
  for (int k = 0; k < width; k++)
    bar[k] = k < fill ? '#' : '.';
  bar[width] = '\0';
  char el[32], eta[32];
  format_time(elapsed_s, el, sizeof el);
  format_time(done > 0 ? elapsed_s / done * (total - done) : -1.0, eta, sizeof eta);
  int len = fprintf(stderr, "\r%s [%s] %d/%d  %s  ETA %s", p->label, bar, done, total, el, eta);
  for (int k = len; k < p->last_len; k++)
    fputc(' ', stderr);
  p->last_len = len;
  fflush(stderr);
}

void plorg_progress_finish(PlorgProgress *p) {
  if (!p)
    return;
  if (p->active && p->last_len > 0)
    fputc('\n', stderr);
  g_free(p->label);
  g_free(p);
}

void plorg_progress_on_step(const PlStepReport *r, gpointer user_data) {
  plorg_progress_update(user_data, r->index + 1, r->steps, r->elapsed_s);
}
