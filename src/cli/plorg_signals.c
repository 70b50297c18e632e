/* SIGINT and SIGTERM. The handler only writes the signal to a pipe (libraries start threads
 * before main, so a signal may land in any thread); a watcher thread reads it, where taking
 * the run's lock is safe. The first cancels the current run at its
 * next cancel point (one model call or optimiser iteration), which then saves what it has,
 * and ends a sweep after that cell; the second ends the process at once: every file is
 * written atomically, so only the run in progress is lost. */
#include "plorg_cli.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static GMutex lock;
static PlRun *current_run;
static gint signals_seen;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig) {
  unsigned char b = (unsigned char)sig;
  ssize_t r = write(signal_pipe[1], &b, 1); /* async-signal-safe; a full pipe drops it */
  (void)r;
}

static gpointer watch_signals(gpointer data) {
  (void)data;
  for (;;) {
    unsigned char b;
    ssize_t r = read(signal_pipe[0], &b, 1);
    if (r != 1) {
      if (r < 0 && errno == EINTR)
        continue;
      return NULL;
    }
    int sig = b;
    if (g_atomic_int_add(&signals_seen, 1) > 0) {
      fprintf(stderr, "\nplorg: %s again: exiting now\n", strsignal(sig));
      _exit(128 + sig);
    }
    fprintf(stderr, "\nplorg: %s: cancelling the run (send it again to exit at once)\n",
            strsignal(sig));
    g_mutex_lock(&lock);
    if (current_run)
      pl_run_cancel(current_run);
    g_mutex_unlock(&lock);
  }
}

void plorg_signals_init(void) {
  if (pipe(signal_pipe) != 0) {
    fprintf(stderr, "plorg: warning: no signal pipe (%s): SIGINT/SIGTERM end the process\n",
            strerror(errno));
    return;
  }
  g_thread_unref(g_thread_new("plorg-signals", watch_signals, NULL));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

void plorg_cancel_on_signal(PlRun *run) {
  g_mutex_lock(&lock);
  current_run = run;
  if (run && g_atomic_int_get(&signals_seen) > 0)
    pl_run_cancel(run);
  g_mutex_unlock(&lock);
}

gboolean plorg_interrupted(void) { return g_atomic_int_get(&signals_seen) > 0; }
