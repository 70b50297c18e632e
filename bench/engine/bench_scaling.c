/* Scaling benchmark: time per step and peak memory of DDIM, PSLD and PLoRG-PSLD versus
 * image size (one bundle per size, batch 1) and versus batch size (first bundle).
 *   bench-scaling [--model DIR]... [--batches 1,2,4,8] [--threads 1,2] [--warmup N]
 *                 [--steps N] [--max-seconds S]
 * Every configuration runs in its own child process (this program re-executed with
 * --one) so that each peak RSS (getrusage ru_maxrss) belongs to that configuration
 * alone, and a crash or out-of-memory kill shows up as a failed row instead of ending
 * the table. Prints one markdown table. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "pl_process.h"
#include "pl_run.h"

#define RESULT_TAG "RESULT"

typedef struct {
  int warmup;             /* reports skipped: the first calls per shape are slow (profiling executor) */
  double max_seconds;     /* the child cancels a run that takes longer, keeping what it measured */
  GArray *ms_total;       /* measured steps only */
  double proj, total;
  gint64 t0;
  PlRun *run;
  gboolean cut;
} Meter;

static void on_step(const PlStepReport *r, gpointer data) {
  Meter *m = data;
  if (r->index >= m->warmup) {
    g_array_append_val(m->ms_total, r->ms_total);
    m->proj += r->ms_projection;
    m->total += r->ms_total;
  }
  if ((g_get_monotonic_time() - m->t0) / 1e6 > m->max_seconds && r->index + 1 < r->steps) {
    m->cut = TRUE;
    pl_run_cancel(m->run);
  }
}

static long peak_rss_kib(void) {
  struct rusage u;
  return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_maxrss : -1; /* KiB on Linux */
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Child: one configuration; prints "RESULT <fields>" on stdout. */
static int run_one(const char *model_dir, const char *solver_name, gboolean plorg, int batch,
                   int threads, int warmup, int steps, double max_seconds) {
  PlSolver solver;
  if (!pl_solver_from_name(solver_name, &solver)) {
    fprintf(stderr, "bench-scaling: unknown solver %s\n", solver_name);
    return 2;
  }
  PlModelParams mp;
  pl_model_params_init(&mp);
  mp.threads = threads;
  GError *e = NULL;
  PlModel *model = pl_model_load(model_dir, &mp, &e);
  if (!model) {
    fprintf(stderr, "bench-scaling: %s\n", e->message);
    g_error_free(e);
    return 1;
  }
  long rss_loaded = peak_rss_kib();
  int n = pl_model_image_size(model);
  PlImage *clean = pl_image_new(3, n, n);
  for (size_t k = 0; k < pl_image_len(clean); k++)
    clean->data[k] = 0.5f + 0.4f * (float)sin(0.05 * k);
  PlRunParams p;
  pl_run_params_init(&p, solver);
  p.steps = warmup + steps;
  p.batch = batch;
  p.plorg.enabled = plorg;
  /* The 128/256 bundles are random networks: their latents may grow without bound, which
   * would stop the run early; the cost of a step does not depend on the values. */
  p.divergence_limit = G_MAXDOUBLE;
  PlRunInputs in = {0};
  pl_operator_params_init(&in.op, PL_TASK_INPAINT_BOX, n);
  in.clean = clean;
  PlRun *run = pl_run_new(model, &in, &p, &e);
  if (!run) {
    fprintf(stderr, "bench-scaling: %s\n", e->message);
    g_error_free(e);
    return 1;
  }
  Meter m = {warmup, max_seconds, g_array_new(FALSE, FALSE, sizeof(double)), 0, 0,
             g_get_monotonic_time(), run, FALSE};
  pl_run_add_observer(run, on_step, NULL, &m);
  gboolean ok = pl_run_execute(run, &e);
  PlRunState state = pl_run_state(run);
  if (!ok && !(m.cut && state == PL_RUN_CANCELLED)) {
    fprintf(stderr, "bench-scaling: %s\n", e ? e->message : pl_run_state_name(state));
    g_clear_error(&e);
    g_array_free(m.ms_total, TRUE);
    pl_run_unref(run);
    pl_image_free(clean);
    pl_model_unref(model);
    return 1;
  }
  g_clear_error(&e);
  int C, H, W;
  pl_model_latent_shape(model, &C, &H, &W);
  guint k = m.ms_total->len;
  double median = NAN, min = NAN;
  if (k > 0) {
    g_array_sort(m.ms_total, cmp_double);
    double *v = (double *)(void *)m.ms_total->data;
    median = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
    min = v[0];
  }
  /* fields: size C H W batch threads measured median min proj_ms proj_share rss_loaded rss_peak cut */
  printf("%s %d %d %d %d %d %d %u %.3f %.3f %.4f %.5f %ld %ld %d\n", RESULT_TAG, n, C, H, W,
         batch, threads, k, median, min, k ? m.proj / k : NAN,
         m.total > 0 ? m.proj / m.total : NAN, rss_loaded, peak_rss_kib(), m.cut);
  g_array_free(m.ms_total, TRUE);
  pl_run_unref(run);
  pl_image_free(clean);
  pl_model_unref(model);
  return 0;
}

typedef struct {
  const char *solver;
  gboolean plorg;
  const char *label;
} Method;

static const Method methods[] = {
    {"ddim", FALSE, "DDIM"}, {"psld", FALSE, "PSLD"}, {"psld", TRUE, "PLoRG-PSLD"}};

/* Parent: one child per configuration, one table row per child. */
static void run_child(const char *exe, const char *model_dir, const Method *md, int batch,
                      int threads, int warmup, int steps, double max_seconds) {
  char *argv[] = {(char *)exe, "--one", "--model", (char *)model_dir,
                  "--solver", (char *)md->solver, md->plorg ? "--plorg" : "--no-plorg",
                  g_strdup_printf("--batches=%d", batch), g_strdup_printf("--threads=%d", threads),
                  g_strdup_printf("--warmup=%d", warmup), g_strdup_printf("--steps=%d", steps),
                  g_strdup_printf("--max-seconds=%g", max_seconds), NULL};
  char *out = NULL, *err = NULL;
  int status = 0;
  GError *e = NULL;
  gboolean spawned = g_spawn_sync(NULL, argv, NULL, 0, NULL, NULL, &out, &err,
                                  &status, &e);
  const char *tag = out ? strstr(out, RESULT_TAG " ") : NULL;
  int n, C, H, W, b, t, cut;
  unsigned k;
  double median, min, proj, share;
  long rss_loaded, rss_peak;
  if (spawned && g_spawn_check_wait_status(status, NULL) && tag &&
      sscanf(tag + strlen(RESULT_TAG), "%d %d %d %d %d %d %u %lf %lf %lf %lf %ld %ld %d", &n, &C,
             &H, &W, &b, &t, &k, &median, &min, &proj, &share, &rss_loaded, &rss_peak, &cut) == 14) {
    if (k == 0)
      printf("| %d | %dx%dx%d | %d | %d | %s | too slow: no step measured within %g s | - | - | - | - | %.0f | %.0f |\n",
             n, C, H, W, b, t, md->label, max_seconds, rss_loaded / 1024.0, rss_peak / 1024.0);
    else
    {
      char *note = cut ? g_strdup_printf(" (time limit: %u of %d steps)", k, steps) : g_strdup("");
      printf("| %d | %dx%dx%d | %d | %d | %s | %.1f%s | %.1f | %.1f | %.3f | %.2f%% | %.0f | %.0f |\n",
             n, C, H, W, b, t, md->label, median, note, min, median / b, proj, 100.0 * share,
             rss_loaded / 1024.0, rss_peak / 1024.0);
      g_free(note);
    }
  } else {
    /* Say how it failed (signal 9 is usually the out-of-memory killer) and keep going. */
    char *why = e ? g_strdup(e->message)
                : WIFSIGNALED(status) ? g_strdup_printf("killed by signal %d", WTERMSIG(status))
                : g_strdup_printf("exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    char *msg = g_strstrip(g_strdup(err ? err : ""));
    char *nl = strchr(msg, '\n');
    if (nl)
      *nl = '\0';
    g_strdelimit(msg, "|", '/');
    printf("| %s | - | %d | %d | %s | FAILED: %s%s%s | - | - | - | - | - | - |\n", model_dir, batch,
           threads, md->label, why, *msg ? ": " : "", msg);
    g_free(why);
    g_free(msg);
  }
  fflush(stdout);
  g_clear_error(&e);
  g_free(out);
  g_free(err);
  for (int a = 7; a < 12; a++)
    g_free(argv[a]);
}

static GArray *parse_ints(const char *list, const char *what) {
  GArray *a = g_array_new(FALSE, FALSE, sizeof(int));
  char **parts = g_strsplit(list, ",", -1);
  for (char **p = parts; *p; p++) {
    char *end = NULL;
    long v = strtol(*p, &end, 10);
    if (end == *p || *end || v < 1 || v > 1024) {
      fprintf(stderr, "bench-scaling: bad %s '%s'\n", what, *p);
      exit(2);
    }
    int i = (int)v;
    g_array_append_val(a, i);
  }
  g_strfreev(parts);
  return a;
}

int main(int argc, char **argv) {
  pl_process_ensure_omp_passive(argc, argv);
  gboolean one = FALSE, plorg = FALSE;
  int warmup = 3, steps = 10;
  double max_seconds = 600;
  char **models = NULL, *solver = NULL, *batches_s = NULL, *threads_s = NULL;
  GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &models,
       "Bundle (repeat: one per image size; batches run on the first; default: the bundled model)", "DIR"},
      {"batches", 0, 0, G_OPTION_ARG_STRING, &batches_s, "Batch sizes on the first bundle (1,2,4,8)", "LIST"},
      {"threads", 0, 0, G_OPTION_ARG_STRING, &threads_s, "Torch thread counts (1)", "LIST"},
      {"warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Steps run before timing (3)", "N"},
      {"steps", 0, 0, G_OPTION_ARG_INT, &steps, "Timed steps per configuration (10)", "N"},
      {"max-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &max_seconds,
       "Stop a configuration after this long, keeping the steps measured so far (600)", "S"},
      {"one", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &one, "Run one configuration (internal)", NULL},
      {"solver", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &solver, "With --one", "NAME"},
      {"plorg", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &plorg, "With --one", NULL},
      {"no-plorg", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &plorg, "With --one", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- time per step and peak memory vs image and batch size");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *e = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    fprintf(stderr, "bench-scaling: %s\n", e->message);
    return 2;
  }
  g_option_context_free(ctx);
  if (warmup < 0 || steps < 1 || !(max_seconds > 0)) {
    fprintf(stderr, "bench-scaling: need --warmup >= 0, --steps >= 1, --max-seconds > 0\n");
    return 2;
  }
  GArray *batches = parse_ints(batches_s ? batches_s : "1,2,4,8", "batch");
  GArray *threads = parse_ints(threads_s ? threads_s : "1", "thread count");
  const char *default_models[] = {pl_model_default_dir(), NULL};
  const char *const *dirs = models ? (const char *const *)models : default_models;
  int rc = 0;
  if (one) {
    rc = run_one(dirs[0], solver ? solver : "psld", plorg, g_array_index(batches, int, 0),
                 g_array_index(threads, int, 0), warmup, steps, max_seconds);
  } else {
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    struct utsname u;
    uname(&u);
    GDateTime *now = g_date_time_new_now_local();
    char *date = g_date_time_format(now, "%Y-%m-%d %H:%M %Z");
    g_date_time_unref(now);
    printf("# Scaling: ms per step and peak RSS, box inpainting, CPU, %s %s, %d logical CPUs, %s\n\n",
           u.sysname, u.release, (int)g_get_num_processors(), date);
    printf("%d warm-up steps, then the median of %d timed steps (engine step reports); each row is "
           "a fresh process.\n\n", warmup, steps);
    printf("| image | latent | batch | threads | method | ms/step (median) | min | ms/step/sample | "
           "SVD+proj ms | SVD+proj share | RSS after load MiB | peak RSS MiB |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    for (guint ti = 0; ti < threads->len; ti++) {
      int t = g_array_index(threads, int, ti);
      for (int d = 0; dirs[d]; d++)
        for (guint bi = 0; bi < (d == 0 ? batches->len : 1); bi++) {
          int b = d == 0 ? g_array_index(batches, int, bi) : 1;
          for (guint mi = 0; mi < G_N_ELEMENTS(methods); mi++)
            run_child(exe, dirs[d], &methods[mi], b, t, warmup, steps, max_seconds);
        }
    }
    g_free(date);
    g_free(exe);
  }
  g_array_free(batches, TRUE);
  g_array_free(threads, TRUE);
  g_strfreev(models);
  g_free(solver);
  g_free(batches_s);
  g_free(threads_s);
  return rc;
}
