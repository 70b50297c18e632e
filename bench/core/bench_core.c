/* bench-core: timings of the numerical core, printed as a markdown table.
 *   bench-core [--runs N]
 * Each row is the median (and minimum) of N timed runs after one warm-up run. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "pl_operator.h"
#include "pl_projection.h"
#include "pl_rng.h"

typedef void (*BenchFn)(gpointer ctx);

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void format_time(double us, char *buf, size_t len)
{
  if (us < 1000)
    snprintf(buf, len, "%.1f us", us);
  else
    snprintf(buf, len, "%.2f ms", us / 1000);
}

static void run(const char *what, const char *size, int runs, BenchFn fn, gpointer ctx)
{
  double *t = g_new(double, runs);
  fn(ctx);  /* warm-up: caches, first-touch pages */
  for (int i = 0; i < runs; i++) {
    const double t0 = now_us();
    fn(ctx);
    t[i] = now_us() - t0;
  }
  qsort(t, runs, sizeof(double), cmp_double);
  char med[32], min[32];
  format_time(runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]), med, sizeof med);
  format_time(t[0], min, sizeof min);
  printf("| %s | %s | %s | %s | %d |\n", what, size, med, min, runs);
  fflush(stdout);
  g_free(t);
}

/* ---- projection --------------------------------------------------------------------- */

typedef struct {
  PlSubspace *sub;
  float *z, *g, *out;
  PlProjectionParams p;
  int c, h, w;
} ProjCtx;

static void bench_svd(gpointer data)
{
  ProjCtx *c = data;
  pl_subspace_compute(c->sub, c->z, &c->p, NULL);
}

static void bench_project(gpointer data)
{
  ProjCtx *c = data;
  pl_subspace_project(c->sub, c->p.side, c->g, c->out);
}

static void bench_project_gradient(gpointer data)
{
  ProjCtx *c = data;
  pl_project_gradient(c->z, c->g, c->c, c->h, c->w, &c->p, c->out, NULL, NULL, NULL);
}

static void projection_rows(int runs)
{
  const int sides[] = { 16, 32, 64 };
  for (size_t i = 0; i < G_N_ELEMENTS(sides); i++) {
    ProjCtx c = { .c = 3, .h = sides[i], .w = sides[i] };
    const size_t len = (size_t)3 * c.h * c.w;
    PlRng rng;
    pl_rng_seed(&rng, 1);
    c.z = g_new(float, len);
    c.g = g_new(float, len);
    c.out = g_new(float, len);
    pl_rng_fill_normal(&rng, c.z, len, 1.0f);
    pl_rng_fill_normal(&rng, c.g, len, 1.0f);
    pl_projection_params_init(&c.p);  /* tau 0.99: a random latent keeps most of its rank */
    c.sub = pl_subspace_new(3, c.h, c.w);
    pl_subspace_compute(c.sub, c.z, &c.p, NULL);
    g_autofree char *size = g_strdup_printf("3x%dx%d", c.h, c.w);
    run("SVD of every channel + ranks (dgesdd)", size, runs, bench_svd, &c);
    run("projection, both sides", size, runs, bench_project, &c);
    run("SVD + projection (pl_project_gradient)", size, runs, bench_project_gradient, &c);
    pl_subspace_free(c.sub);
    g_free(c.z);
    g_free(c.g);
    g_free(c.out);
  }
}

/* ---- operators ------------------------------------------------------------------------ */

typedef struct {
  PlOperator *op;
  float *x, *y, *ax, *g;
} OpCtx;

static void bench_forward(gpointer data)
{
  OpCtx *c = data;
  pl_operator_forward(c->op, c->x, c->ax);
}

static void bench_adjoint(gpointer data)
{
  OpCtx *c = data;
  pl_operator_adjoint(c->op, c->y, c->g, NULL);
}

static void bench_gradient(gpointer data)
{
  OpCtx *c = data;
  pl_operator_data_term(c->op, c->x, c->y, PL_NORM_L2, c->g, NULL);
}

static void operator_rows(int runs)
{
  const int sizes[] = { 128, 256 };
  for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++)
    for (int t = 0; t < PL_TASK_COUNT; t++) {
      const int n = sizes[s];
      PlOperatorParams p;
      pl_operator_params_init(&p, t, n);
      g_autofree float *mask = NULL;
      if (t == PL_TASK_INPAINT_MASK) {
        mask = g_new(float, (size_t)n * n);
        for (int i = 0; i < n * n; i++)
          mask[i] = (i / n) % 3 ? 1.0f : 0.0f;
        p.mask = mask;
      }
      const double t0 = now_us();
      OpCtx c = { .op = pl_operator_new(&p, NULL) };
      const double t_new = now_us() - t0;
      const size_t xl = pl_operator_x_len(c.op), yl = pl_operator_y_len(c.op);
      PlRng rng;
      pl_rng_seed(&rng, 2);
      c.x = g_new(float, xl);
      c.g = g_new(float, xl);
      c.y = g_new(float, yl);
      c.ax = g_new(float, yl);
      pl_rng_fill_normal(&rng, c.x, xl, 0.5f);
      pl_operator_measure(c.op, c.x, 3, c.y);
      pl_rng_fill_normal(&rng, c.x, xl, 0.5f);
      g_autofree char *size = g_strdup_printf("3x%dx%d", n, n);
      g_autofree char *label = NULL;
      int ks = 0;
      pl_operator_kernel(c.op, &ks);
      if (ks > 0)
        label = g_strdup_printf("%s (kernel %dx%d)", pl_task_name(t), ks, ks);
      else
        label = g_strdup(pl_task_name(t));
      g_autofree char *w1 = g_strdup_printf("%s forward", label);
      g_autofree char *w2 = g_strdup_printf("%s adjoint", label);
      g_autofree char *w3 = g_strdup_printf("%s data-term gradient (l2)", label);
      char tn[32];
      format_time(t_new, tn, sizeof tn);
      run(w1, size, runs, bench_forward, &c);
      if (pl_operator_is_linear(c.op))
        run(w2, size, runs, bench_adjoint, &c);
      run(w3, size, runs, bench_gradient, &c);
      printf("| %s create (plans, kernel, mask) | %s | %s | - | 1 |\n", label, size, tn);
      pl_operator_free(c.op);
      g_free(c.x);
      g_free(c.g);
      g_free(c.y);
      g_free(c.ax);
    }
}

static void print_machine(int runs)
{
  struct utsname u;
  uname(&u);
  g_autofree char *cpuinfo = NULL;
  const char *model = "unknown CPU";
  g_autofree char *model_copy = NULL;
  if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
    char *line = strstr(cpuinfo, "model name");
    char *colon = line != NULL ? strchr(line, ':') : NULL;
    if (colon != NULL) {
      char *end = strchr(colon, '\n');
      model_copy = g_strndup(colon + 2, end != NULL ? (gsize)(end - colon - 2) : strlen(colon + 2));
      model = model_copy;
    }
  }
  printf("# bench-core\n\n");
  printf("Machine: %s %s %s (%s), %s, nproc %ld. Median and minimum of %d runs after one warm-up.\n\n",
         u.sysname, u.release, u.machine, u.nodename, model, sysconf(_SC_NPROCESSORS_ONLN), runs);
  printf("| what | size | median | min | runs |\n|---|---|---|---|---|\n");
}

int main(int argc, char **argv)
{
  int runs = 21;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);  /* not inside MAX(): it evaluates twice */
      runs = MAX(runs, 1);
    } else {
      fprintf(stderr, "usage: %s [--runs N]\n", argv[0]);
      return 2;
    }
  }
  print_machine(runs);
  projection_rows(runs);
  operator_rows(runs);
  return 0;
}
