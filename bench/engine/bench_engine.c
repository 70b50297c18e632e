/* Engine benchmark: per-step cost breakdown of every solver on the bundled model, and
 * PLoRG's overhead as a share of a step. Prints markdown tables (and JSON with --json).
 *   bench-engine [--steps N] [--threads N] [--batch N] [--device cpu|cuda|auto]
 *                [--solvers ddim,dps,psld,resample] [--plorg off|on|both] [--model DIR]
 *                [--image FILE] [--json FILE] [--no-shim-table]
 * Every column comes from the engine's own step reports; "other" is what the report's
 * total leaves after the measured parts (the DDIM update, ReSample's AdamW updates, the
 * sampler's own bookkeeping). "wall/step" is the mean interval between the ends of
 * consecutive steps as the observer sees them: it adds what lies outside the step's timer
 * (report copies, history, observers). The guided solvers run UNet + decoder (+ autograd)
 * as one shim call ("guided"); the last table times the shim calls alone to split it. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "pl_process.h"
#include "pl_run.h"

typedef struct {
  double unet, decoder, encoder, guided, op, proj, other, total;
  int n;
  gint64 last_end_us;  /* end of the previous counted step, 0 before the first */
  double last_cpu_ms;  /* process CPU time at that step end */
  double wall_ms;      /* sum of intervals between counted step ends */
  double cpu_ms;       /* process CPU time (all threads) in those intervals */
  int wall_n;
} Sums;

typedef struct {
  PlSolver solver;
  gboolean plorg;
  Sums s;
  double psnr, run_s;
} Row;

/* CPU time of the whole process (all threads): less sensitive to other load than wall time. */
static double process_cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_step(const PlStepReport *r, gpointer data) {
  Sums *s = data;
  gint64 now = g_get_monotonic_time();
  double cpu = process_cpu_ms();
  if (r->index == r->steps - 1 && r->resample_event == 3) {
    s->last_end_us = 0;
    return; /* ReSample's final optimisation is a one-off, not a step */
  }
  s->unet += r->ms_unet;
  s->decoder += r->ms_decoder;
  s->encoder += r->ms_encoder;
  s->guided += r->ms_guided;
  s->op += r->ms_operator;
  s->proj += r->ms_projection;
  s->other += r->ms_other;
  s->total += r->ms_total;
  s->n++;
  if (s->last_end_us) {
    s->wall_ms += (now - s->last_end_us) / 1000.0;
    s->cpu_ms += cpu - s->last_cpu_ms;
    s->wall_n++;
  }
  s->last_end_us = now;
  s->last_cpu_ms = cpu;
}

static void bench_run(PlModel *m, const PlImage *clean, Row *row, int steps, int batch) {
  PlRunParams p;
  pl_run_params_init(&p, row->solver);
  p.steps = steps;
  p.batch = batch;
  p.plorg.enabled = row->plorg;
  PlRunInputs in = {0};
  int n = pl_model_image_size(m);
  pl_operator_params_init(&in.op, PL_TASK_INPAINT_BOX, n);
  /* a fixed centred box, the same as bench/python/psld_baseline.py */
  in.op.box_y = (n - in.op.box_h) / 2;
  in.op.box_x = (n - in.op.box_w) / 2;
  in.clean = clean;
  GError *e = NULL;
  PlRun *run = pl_run_new(m, &in, &p, &e);
  if (!run)
    g_error("%s", e->message);
  pl_run_add_observer(run, on_step, NULL, &row->s);
  gint64 t0 = g_get_monotonic_time();
  if (!pl_run_execute(run, &e))
    g_error("%s", e->message);
  row->run_s = (g_get_monotonic_time() - t0) / 1e6;
  row->psnr = pl_run_psnr(run, 0);
  pl_run_unref(run);
}

static double per_step(double sum, const Sums *s) { return sum / MAX(1, s->n); }
static double wall_per_step(const Sums *s) { return s->wall_n ? s->wall_ms / s->wall_n : NAN; }
static double cpu_per_step(const Sums *s) { return s->wall_n ? s->cpu_ms / s->wall_n : NAN; }

static void print_cost_table(const Row *rows, int nrows) {
  printf("| solver | PLoRG | ms/step | UNet | decoder | encoder | guided fwd+VJP | operator | "
         "SVD+proj | other | SVD+proj share | wall/step | PSNR dB | run s |\n");
  printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int k = 0; k < nrows; k++) {
    const Sums *s = &rows[k].s;
    printf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f | %.2f%% | %.2f | "
           "%.2f | %.1f |\n",
           pl_solver_label(rows[k].solver), rows[k].plorg ? "on" : "off", per_step(s->total, s),
           per_step(s->unet, s), per_step(s->decoder, s), per_step(s->encoder, s),
           per_step(s->guided, s), per_step(s->op, s), per_step(s->proj, s),
           per_step(s->other, s), 100.0 * s->proj / MAX(s->total, 1e-9), wall_per_step(s),
           rows[k].psnr, rows[k].run_s);
  }
  printf("\nAll times in ms per step (means over the run's steps). ms/step = UNet + decoder +\n"
         "encoder + guided + operator + SVD+proj + other (other = the report's total minus the\n"
         "measured parts: DDIM update, ReSample's AdamW updates, sampler bookkeeping).\n"
         "SVD+proj: the SVD of z_t runs every step with or without PLoRG (the report carries\n"
         "its singular values); with PLoRG on it adds the projection (ReSample: the per-event\n"
         "SVD and the per-iteration projection). wall/step: mean interval between the ends of\n"
         "consecutive steps (adds report copies, history and observers). ReSample rows\n"
         "include the event steps; its final optimisation after the last step is left out.\n"
         "PSNR: of the result against the clean image (a sanity check, not a quality claim).\n");
}

/* PLoRG's cost per solver: rows come in off/on pairs when --plorg both. */
static void print_plorg_table(const Row *rows, int nrows) {
  gboolean header = FALSE;
  for (int k = 0; k + 1 < nrows; k++) {
    if (rows[k].solver != rows[k + 1].solver || rows[k].plorg || !rows[k + 1].plorg)
      continue;
    const Sums *off = &rows[k].s, *on = &rows[k + 1].s;
    if (!header) {
      printf("\n| solver | ms/step off | ms/step on | SVD+proj on | share of a step | "
             "projection alone (on - off) | share |\n|---|---:|---:|---:|---:|---:|---:|\n");
      header = TRUE;
    }
    double proj_on = per_step(on->proj, on), extra = proj_on - per_step(off->proj, off);
    double total_on = per_step(on->total, on);
    printf("| %s | %.2f | %.2f | %.3f | %.2f%% | %.3f | %.2f%% |\n", pl_solver_label(rows[k].solver),
           per_step(off->total, off), total_on, proj_on, 100.0 * proj_on / MAX(total_on, 1e-9),
           extra, 100.0 * extra / MAX(total_on, 1e-9));
  }
  if (header)
    printf("\n\"share of a step\" counts the whole SVD + projection, what PLoRG costs where the\n"
           "spectrum is not needed for display; \"projection alone\" is what switching PLoRG\n"
           "on adds in this engine, which computes the SVD for its reports anyway.\n");
}

static double peak_rss_mb(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024.0 : NAN;
}

static void write_json(const char *path, PlModel *m, int threads, int batch, int steps,
                       const Row *rows, int nrows) {
  GString *j = g_string_new(NULL);
  g_string_append_printf(j, "{\"program\": \"bench-engine\", \"model\": \"%s\", \"device\": \"%s\", "
                         "\"threads\": %d, \"batch\": %d, \"steps\": %d, \"peak_rss_mb\": %.1f, "
                         "\"rows\": [",
                         pl_model_manifest(m)->name, pl_model_device(m), threads, batch, steps,
                         peak_rss_mb());
  for (int k = 0; k < nrows; k++) {
    const Sums *s = &rows[k].s;
    char psnr[32];
    if (isfinite(rows[k].psnr))
      g_snprintf(psnr, sizeof psnr, "%.3f", rows[k].psnr);
    else
      g_strlcpy(psnr, "null", sizeof psnr);
    g_string_append_printf(
        j,
        "%s\n  {\"solver\": \"%s\", \"plorg\": %s, \"ms_per_step\": %.4f, \"wall_ms_per_step\": %.4f, "
        "\"cpu_ms_per_step\": %.4f, \"unet\": %.4f, \"decoder\": %.4f, \"encoder\": %.4f, "
        "\"guided\": %.4f, \"operator\": %.4f, "
        "\"svd_proj\": %.4f, \"other\": %.4f, \"psnr_db\": %s, \"run_s\": %.3f}",
        k ? "," : "", pl_solver_name(rows[k].solver), rows[k].plorg ? "true" : "false",
        per_step(s->total, s), s->wall_n ? wall_per_step(s) : -1.0,
        s->wall_n ? cpu_per_step(s) : -1.0, per_step(s->unet, s),
        per_step(s->decoder, s), per_step(s->encoder, s), per_step(s->guided, s),
        per_step(s->op, s), per_step(s->proj, s), per_step(s->other, s), psnr, rows[k].run_s);
  }
  g_string_append(j, "\n]}\n");
  GError *e = NULL;
  if (!g_file_set_contents(path, j->str, (gssize)j->len, &e))
    g_error("%s", e->message);
  g_string_free(j, TRUE);
}

/* --- the shim calls alone --- */

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
  printf("\n| shim call (batch %d) | ms |\n|---|---:|\n", batch);
  printf("| UNet eps | %.2f |\n", mean_ms(call_eps, &s, reps));
  printf("| decoder | %.2f |\n", mean_ms(call_decode, &s, reps));
  printf("| encoder | %.2f |\n", mean_ms(call_encode, &s, reps));
  printf("| guided forward (UNet + decoder, graph kept) | %.2f |\n", mean_ms(call_guided_fwd, &s, reps));
  printf("| guided forward + VJP | %.2f |\n", mean_ms(call_guided, &s, reps));
  printf("| decoder VJP (forward + backward) | %.2f |\n", mean_ms(call_decode_vjp, &s, reps));
  g_free(s.z); g_free(s.x); g_free(s.gz); g_free(s.gx); g_free(s.eps); g_free(s.z0);
  g_free(s.t); g_free(s.abar);
}

/* --- options --- */

static gboolean parse_solvers(const char *list, PlSolver *out, int *n) {
  static const PlSolver all[] = {PL_SOLVER_DDIM, PL_SOLVER_DPS, PL_SOLVER_PSLD, PL_SOLVER_RESAMPLE};
  *n = 0;
  if (!list) {
    for (guint k = 0; k < G_N_ELEMENTS(all); k++)
      out[(*n)++] = all[k];
    return TRUE;
  }
  gchar **names = g_strsplit(list, ",", -1);
  gboolean ok = TRUE;
  for (int k = 0; names[k] && ok; k++)
    ok = *n < PL_SOLVER_COUNT && pl_solver_from_name(g_strstrip(names[k]), &out[(*n)++]);
  g_strfreev(names);
  return ok && *n > 0;
}

static gboolean parse_device(const char *name, PlShimDevice *out) {
  if (!name || !strcmp(name, "auto"))
    *out = PLSHIM_DEVICE_AUTO;
  else if (!strcmp(name, "cpu"))
    *out = PLSHIM_DEVICE_CPU;
  else if (!strcmp(name, "cuda"))
    *out = PLSHIM_DEVICE_CUDA;
  else
    return FALSE;
  return TRUE;
}

int main(int argc, char **argv) {
  pl_process_ensure_omp_passive(argc, argv);
  int steps = 20, threads = 1, batch = 1;
  gboolean no_shim_table = FALSE;
  char *model_dir = NULL, *image = NULL, *solvers_arg = NULL, *plorg_arg = NULL,
       *device_arg = NULL, *json_path = NULL;
  GOptionEntry entries[] = {
      {"steps", 0, 0, G_OPTION_ARG_INT, &steps, "Steps per run (20)", "N"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Torch threads (1)", "N"},
      {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch (1)", "N"},
      {"device", 0, 0, G_OPTION_ARG_STRING, &device_arg, "auto, cpu or cuda (auto)", "DEV"},
      {"solvers", 0, 0, G_OPTION_ARG_STRING, &solvers_arg, "Comma list (ddim,dps,psld,resample)", "LIST"},
      {"plorg", 0, 0, G_OPTION_ARG_STRING, &plorg_arg, "off, on or both (both; DDIM: off)", "WHICH"},
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_dir, "Model folder", "DIR"},
      {"image", 0, 0, G_OPTION_ARG_FILENAME, &image, "Clean image (default: a grey test card)", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Also write the rows as JSON", "FILE"},
      {"no-shim-table", 0, 0, G_OPTION_ARG_NONE, &no_shim_table, "Skip the shim-call table", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- engine per-step cost breakdown");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *e = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    fprintf(stderr, "bench-engine: %s\n", e->message);
    return 2;
  }
  PlSolver solvers[PL_SOLVER_COUNT];
  int nsolvers;
  PlModelParams mp;
  pl_model_params_init(&mp);
  const char *which = plorg_arg ? plorg_arg : "both";
  if (!parse_solvers(solvers_arg, solvers, &nsolvers) || !parse_device(device_arg, &mp.device) ||
      (strcmp(which, "off") && strcmp(which, "on") && strcmp(which, "both")) || steps < 2) {
    fprintf(stderr, "bench-engine: bad --solvers, --device, --plorg or --steps (< 2)\n");
    return 2;
  }
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
  printf("# Engine per-step cost, %s, device %s, torch threads %d, batch %d, %d steps, "
         "box inpainting (centred)\n\n",
         pl_model_manifest(m)->name, pl_model_device(m), threads, batch, steps);
  Row rows[2 * PL_SOLVER_COUNT];
  int nrows = 0;
  for (int k = 0; k < nsolvers; k++)
    for (int on = 0; on < 2; on++) {
      gboolean has_plorg = solvers[k] != PL_SOLVER_DDIM && solvers[k] != PL_SOLVER_DDPM;
      if ((on && (!has_plorg || !strcmp(which, "off"))) || (!on && has_plorg && !strcmp(which, "on")))
        continue;
      Row *r = &rows[nrows++];
      *r = (Row){.solver = solvers[k], .plorg = on};
      bench_run(m, clean, r, steps, batch);
    }
  print_cost_table(rows, nrows);
  print_plorg_table(rows, nrows);
  if (!no_shim_table)
    shim_table(m, batch);
  printf("\nPeak RSS of this process: %.1f MB\n", peak_rss_mb());
  if (json_path)
    write_json(json_path, m, threads, batch, steps, rows, nrows);
  pl_image_free(clean);
  pl_model_unref(m);
  g_option_context_free(ctx);
  g_free(model_dir);
  g_free(image);
  g_free(solvers_arg);
  g_free(plorg_arg);
  g_free(device_arg);
  g_free(json_path);
  return 0;
}
