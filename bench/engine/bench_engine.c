/* Engine benchmark: per-step cost breakdown of every solver on the bundled model, and
 * PLoRG's overhead as a share of a step. Prints markdown tables.
 *   bench-engine [--steps N] [--threads N] [--batch N] [--model DIR] [--image FILE]
 * The guided solvers run UNet + decoder (+ autograd) as one shim call ("guided"); a
 * second table times the shim calls alone so that column can be split. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "pl_process.h"
#include "pl_run.h"

typedef struct {
  double unet, decoder, encoder, guided, op, proj, other, total;
  int n;
} Sums;

static void on_step(const PlStepReport *r, gpointer data) {
  Sums *s = data;
  if (r->index == r->steps - 1 && r->resample_event == 3)
    return; /* ReSample's final optimisation is a one-off, not a step */
  s->unet += r->ms_unet;
  s->decoder += r->ms_decoder;
  s->encoder += r->ms_encoder;
  s->guided += r->ms_guided;
  s->op += r->ms_operator;
  s->proj += r->ms_projection;
  s->other += r->ms_other;
  s->total += r->ms_total;
  s->n++;
}

static Sums bench_run(PlModel *m, const PlImage *clean, PlSolver solver, gboolean plorg,
                      int steps, int batch, double *wall) {
  PlRunParams p;
  pl_run_params_init(&p, solver);
  p.steps = steps;
  p.batch = batch;
  p.plorg.enabled = plorg;
  PlRunInputs in = {0};
  pl_operator_params_init(&in.op, PL_TASK_INPAINT_BOX, pl_model_image_size(m));
  in.clean = clean;
  GError *e = NULL;
  PlRun *run = pl_run_new(m, &in, &p, &e);
  if (!run)
    g_error("%s", e->message);
  Sums s = {0};
  pl_run_add_observer(run, on_step, NULL, &s);
  gint64 t0 = g_get_monotonic_time();
  if (!pl_run_execute(run, &e))
    g_error("%s", e->message);
  *wall = (g_get_monotonic_time() - t0) / 1e6;
  pl_run_unref(run);
  return s;
}

static double mean_ms(PlShimStatus (*fn)(gpointer), gpointer data, int reps) {
  fn(data); /* warm */
  gint64 t0 = g_get_monotonic_time();
  for (int k = 0; k < reps; k++)
    if (fn(data) != PLSHIM_OK)
      g_error("shim call failed: %s", plshim_last_error());
  return (g_get_monotonic_time() - t0) / 1000.0 / reps;
}

typedef struct {
  PlShimModel *shim;
  int batch;
  float *z, *x, *gz, *gx, *eps, *z0;
  int *t;
  double *abar;
} Shim;

static PlShimStatus call_eps(gpointer d) { Shim *s = d; return plshim_eps(s->shim, s->z, s->t, s->batch, s->eps); }
static PlShimStatus call_decode(gpointer d) { Shim *s = d; return plshim_decode(s->shim, s->z, s->batch, s->x); }
static PlShimStatus call_encode(gpointer d) { Shim *s = d; return plshim_encode(s->shim, s->x, s->batch, s->z0); }
static PlShimStatus call_guided(gpointer d) {
  Shim *s = d;
  PlShimStatus st = plshim_guided_forward(s->shim, s->z, s->t, s->abar, s->batch, s->eps, s->z0, s->x);
  return st != PLSHIM_OK ? st : plshim_guided_vjp(s->shim, s->gx, NULL, s->batch, s->gz);
}
static PlShimStatus call_guided_fwd(gpointer d) {
  Shim *s = d;
  return plshim_guided_forward(s->shim, s->z, s->t, s->abar, s->batch, s->eps, s->z0, s->x);
}
static PlShimStatus call_decode_vjp(gpointer d) {
  Shim *s = d;
  return plshim_decode_vjp(s->shim, s->z, s->gx, s->batch, NULL, s->gz);
}

static void shim_table(PlModel *m, int batch) {
  int C, H, W, n = pl_model_image_size(m);
  pl_model_latent_shape(m, &C, &H, &W);
  size_t zl = (size_t)batch * C * H * W, xl = (size_t)batch * 3 * n * n;
  Shim s = {pl_model_shim(m), batch, g_new(float, zl), g_new0(float, xl), g_new(float, zl),
            g_new(float, xl), g_new(float, zl), g_new(float, zl), g_new(int, batch),
            g_new(double, batch)};
  for (size_t k = 0; k < zl; k++)
    s.z[k] = (float)sin(0.37 * k);
  for (size_t k = 0; k < xl; k++)
    s.gx[k] = (float)cos(0.11 * k) * 1e-3f;
  for (int b = 0; b < batch; b++) {
    s.t[b] = 500;
    s.abar[b] = pl_schedule_abar(pl_model_schedule(m), 500);
  }
  const int reps = 20;
  printf("\n| shim call (batch %d) | ms |\n|---|---|\n", batch);
  printf("| UNet eps | %.2f |\n", mean_ms(call_eps, &s, reps));
  printf("| decoder | %.2f |\n", mean_ms(call_decode, &s, reps));
  printf("| encoder | %.2f |\n", mean_ms(call_encode, &s, reps));
  printf("| guided forward (UNet + decoder, graph kept) | %.2f |\n", mean_ms(call_guided_fwd, &s, reps));
  printf("| guided forward + VJP | %.2f |\n", mean_ms(call_guided, &s, reps));
  printf("| decoder VJP (forward + backward) | %.2f |\n", mean_ms(call_decode_vjp, &s, reps));
  g_free(s.z); g_free(s.x); g_free(s.gz); g_free(s.gx); g_free(s.eps); g_free(s.z0);
  g_free(s.t); g_free(s.abar);
}

int main(int argc, char **argv) {
  pl_process_ensure_omp_passive(argc, argv);
  int steps = 20, threads = 1, batch = 1;
  char *model_dir = NULL, *image = NULL;
  GOptionEntry entries[] = {
      {"steps", 0, 0, G_OPTION_ARG_INT, &steps, "Steps per run (20)", "N"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Torch threads (1)", "N"},
      {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch (1)", "N"},
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_dir, "Model folder", "DIR"},
      {"image", 0, 0, G_OPTION_ARG_FILENAME, &image, "Clean image (default: a grey test card)", "FILE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- engine per-step cost breakdown");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *e = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    fprintf(stderr, "bench-engine: %s\n", e->message);
    return 2;
  }
  PlModelParams mp;
  pl_model_params_init(&mp);
  mp.threads = threads;
  PlModel *m = pl_model_load(model_dir ? model_dir : pl_model_default_dir(), &mp, &e);
  if (!m) {
    fprintf(stderr, "bench-engine: %s\n", e->message);
    return 1;
  }
  int n = pl_model_image_size(m);
  PlImage *clean = NULL;
  if (image) {
    PlImage *img = pl_image_load(image, &e);
    if (!img) g_error("%s", e->message);
    clean = pl_image_fit_square(img, n, PL_FIT_CENTER_CROP);
    pl_image_free(img);
  } else {
    clean = pl_image_new(3, n, n);
    for (size_t k = 0; k < pl_image_len(clean); k++)
      clean->data[k] = 0.5f + 0.4f * (float)sin(0.05 * k);
  }
  printf("# Engine per-step cost, %s, device %s, torch threads %d, batch %d, %d steps, box inpainting\n\n",
         pl_model_manifest(m)->name, pl_model_device(m), threads, batch, steps);
  printf("| solver | PLoRG | ms/step | UNet | decoder | encoder | guided fwd+VJP | operator | SVD+proj | engine+update | SVD+proj share | wall s |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const PlSolver solvers[] = {PL_SOLVER_DDIM, PL_SOLVER_DPS, PL_SOLVER_PSLD, PL_SOLVER_RESAMPLE};
  for (guint k = 0; k < G_N_ELEMENTS(solvers); k++)
    for (int on = 0; on < (solvers[k] == PL_SOLVER_DDIM ? 1 : 2); on++) {
      double wall;
      Sums s = bench_run(m, clean, solvers[k], on, steps, batch, &wall);
      double N = MAX(1, s.n);
      printf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f | %.2f%% | %.1f |\n",
             pl_solver_label(solvers[k]), on ? "on" : "off", s.total / N, s.unet / N,
             s.decoder / N, s.encoder / N, s.guided / N, s.op / N, s.proj / N, s.other / N,
             100.0 * s.proj / MAX(s.total, 1e-9), wall);
    }
  printf("\nSVD+proj: SVD of z_t per sample (always computed: the report carries its singular values)\n"
         "plus the projection when PLoRG is on; for ReSample also the per-event SVD and the\n"
         "per-iteration projection. ReSample rows average over all steps (events included).\n");
  shim_table(m, batch);
  pl_image_free(clean);
  pl_model_unref(m);
  g_option_context_free(ctx);
  g_free(model_dir);
  g_free(image);
  return 0;
}
