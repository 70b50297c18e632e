/* `plorg run`: one image, one configuration. Writes the reconstruction (PNG + raw float32),
 * the measurement (PNG picture + raw float32), the ground truth, the run record, and prints
 * metrics (LPIPS when an LPIPS network is given, else a line saying it is not computed). */
#include "plorg_cli.h"
#include "pl_run_record.h"
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>

typedef struct {
  PlorgSolverOpts so;
  char *image, *task, *mask, *measurement, *solver, *out, *record;
  gboolean plorg, quiet;
  int batch, best_of;
} RunOpts;

static GOptionContext *make_context(RunOpts *o) {
  GOptionEntry entries[] = {
      {"image", 'i', 0, G_OPTION_ARG_FILENAME, &o->image, "Clean image to degrade (PNG/JPEG)", "FILE"},
      {"task", 't', 0, G_OPTION_ARG_STRING, &o->task,
       "Degradation: box, random, mask, gblur, mblur, sr4, phase (default box)", "TASK"},
      {"mask", 0, 0, G_OPTION_ARG_FILENAME, &o->mask, "Mask image for --task mask (white = observed)", "PNG"},
      {"measurement", 'y', 0, G_OPTION_ARG_FILENAME, &o->measurement,
       "Measurement y as raw float32 (measurement.f32 of an earlier run) instead of degrading --image", "FILE"},
      {"solver", 's', 0, G_OPTION_ARG_STRING, &o->solver,
       "ddim, ddpm, dps, psld, resample (default psld)", "NAME"},
      {"plorg", 'p', 0, G_OPTION_ARG_NONE, &o->plorg, "Project the gradient with PLoRG", NULL},
      {"batch", 'b', 0, G_OPTION_ARG_INT, &o->batch, "Samples at once (default 1)", "N"},
      {"best-of", 'k', 0, G_OPTION_ARG_INT, &o->best_of,
       "Best of K samples (phase retrieval default 4, as the paper), picked by measurement residual", "K"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder (default plorg-out)", "DIR"},
      {"record", 'r', 0, G_OPTION_ARG_FILENAME, &o->record,
       "Re-run the configuration of a run record (run.json); other solver options are ignored", "FILE"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress bar", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("- reconstruct one image with one solver configuration");
  g_option_context_set_summary(ctx,
      "Example:\n  plorg run --image data/images/IMAGE.png --task box --solver psld "
      "--plorg --tau 0.99 --omega 0.1 --steps 250 --seed 0 --out out/");
  g_option_context_set_description(ctx,
      "Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 diverged.\n");
  g_option_context_add_main_entries(ctx, entries, NULL);
  plorg_solver_opts_add(ctx, &o->so);
  return ctx;
}

static float *read_floats(const char *path, size_t want, GError **error) {
  char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, error))
    return NULL;
  if (len != want * sizeof(float)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s has %zu bytes; this degradation's measurement is %zu float32 values (%zu bytes)",
                path, (size_t)len, want, want * sizeof(float));
    g_free(data);
    return NULL;
  }
  return (float *)data;
}

static gboolean write_floats(const char *path, const float *v, size_t n, GError **error) {
  return g_file_set_contents(path, (const char *)v, (gssize)(n * sizeof(float)), error);
}

static float *load_mask(const char *path, int n, GError **error) {
  PlImage *img = plorg_load_image(path, n, error);
  if (!img)
    return NULL;
  float *m = g_new(float, (size_t)n * n);
  for (int k = 0; k < n * n; k++)
    m[k] = img->data[k] > 0.5f ? 1.0f : 0.0f;
  pl_image_free(img);
  return m;
}

typedef struct {
  PlRun *run;
  PlImage *clean;
  float *mask, *y;
} Built;

static void built_clear(Built *b) {
  if (b->run)
    pl_run_unref(b->run);
  pl_image_free(b->clean);
  g_free(b->mask);
  g_free(b->y);
}

static int engine_error_exit(const char *what, GError *e) {
  gboolean usage = e->domain == PL_ENGINE_ERROR && (e->code == PL_ENGINE_ERROR_INVALID ||
                                                    e->code == PL_ENGINE_ERROR_UNSUPPORTED);
  int rc = usage ? plorg_usage_error("run", "%s: %s", what, e->message)
                 : plorg_failure("run", "%s: %s", what, e->message);
  g_error_free(e);
  return rc;
}

/* Build the run from the options. Returns an exit code (OK when b->run is set). */
static int build_run(RunOpts *o, PlModel *model, Built *b) {
  GError *e = NULL;
  int n = pl_model_image_size(model);
  if (o->record) {
    PlRunRecord *rec = pl_run_record_load(o->record, &e);
    if (!rec)
      return plorg_failure("run", "%s", e->message);
    b->run = pl_run_new_from_record(model, rec, &e);
    pl_run_record_free(rec);
    return b->run ? PLORG_EXIT_OK : engine_error_exit("cannot re-run the record", e);
  }
  PlTask task = PL_TASK_INPAINT_BOX;
  PlSolver solver = PL_SOLVER_PSLD;
  if (o->task && !pl_task_from_name(o->task, &task))
    return plorg_usage_error("run", "unknown task \"%s\" (box, random, mask, gblur, mblur, sr4, phase)", o->task);
  if (o->solver && !pl_solver_from_name(o->solver, &solver))
    return plorg_usage_error("run", "unknown solver \"%s\" (ddim, ddpm, dps, psld, resample)", o->solver);
  if (!o->image && !o->measurement)
    return plorg_usage_error("run", "give a clean image (--image FILE) or a measurement (--measurement FILE)");
  if (task == PL_TASK_INPAINT_MASK && !o->mask)
    return plorg_usage_error("run", "--task mask needs --mask PNG (white = observed)");
  PlRunParams p;
  if (!plorg_solver_opts_apply(&o->so, solver, o->plorg, &p, &e))
    return plorg_usage_error("run", "%s", e->message);
  if (o->batch != G_MININT && (o->batch < 1 || o->batch > PL_RUN_MAX_BATCH))
    return plorg_usage_error("run", "--batch must be in [1, %d], not %d", PL_RUN_MAX_BATCH, o->batch);
  if (o->best_of != G_MININT && (o->best_of < 1 || o->best_of > PL_RUN_MAX_BATCH))
    return plorg_usage_error("run", "--best-of must be in [1, %d], not %d", PL_RUN_MAX_BATCH, o->best_of);
  int k = o->best_of != G_MININT ? o->best_of
                                 : (task == PL_TASK_PHASE_RETRIEVAL && o->batch == G_MININT ? 4 : 1);
  p.batch = o->batch != G_MININT ? MAX(o->batch, k) : k;
  if (solver == PL_SOLVER_PSLD && task == PL_TASK_PHASE_RETRIEVAL && !plorg_solver_opts_given(&o->so, "gamma"))
    p.gamma = 0.0; /* no gluing without A^T */
  PlRunInputs in = {0};
  plorg_solver_opts_operator(&o->so, task, n, p.seed, &in.op);
  if (o->mask && !(b->mask = load_mask(o->mask, n, &e)))
    return plorg_failure("run", "cannot read the mask: %s", e->message);
  in.op.mask = b->mask;
  if (o->image) {
    if (!(b->clean = plorg_load_image(o->image, n, &e)))
      return plorg_failure("run", "cannot read the image: %s", e->message);
    in.clean = b->clean;
    in.image_path = o->image;
  }
  if (o->measurement) {
    PlOperator *op = pl_operator_new(&in.op, &e);
    if (!op)
      return plorg_usage_error("run", "degradation: %s", e->message);
    b->y = read_floats(o->measurement, pl_operator_y_len(op), &e);
    pl_operator_free(op);
    if (!b->y)
      return plorg_failure("run", "cannot read the measurement: %s", e->message);
    in.y = b->y;
  }
  b->run = pl_run_new(model, &in, &p, &e);
  return b->run ? PLORG_EXIT_OK : engine_error_exit("cannot set up the run", e);
}

static gboolean save_outputs(PlRun *run, const char *out, int chosen, GError **error) {
  if (g_mkdir_with_parents(out, 0755) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", out,
                g_strerror(errno));
    return FALSE;
  }
  /* The record goes first and comes last: a kill in between leaves outputs without a
   * record, never new images beside an old record that does not describe them. */
  char *path = g_build_filename(out, "run.json", NULL);
  if (g_unlink(path) != 0 && errno != ENOENT) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot replace %s: %s",
                path, g_strerror(errno));
    g_free(path);
    return FALSE;
  }
  g_free(path);
  const PlRunParams *p = pl_run_params(run);
  gboolean ok = TRUE;
  for (int s = 0; s < p->batch && ok && p->batch > 1; s++) {
    PlImage *img = pl_run_result(run, s);
    char name[32];
    g_snprintf(name, sizeof name, "sample_%02d.png", s);
    path = g_build_filename(out, name, NULL);
    ok = !img || pl_run_save_png(run, img, path, "PLoRG Studio sample", error);
    g_free(path);
    pl_image_free(img);
  }
  PlImage *img = ok ? pl_run_result(run, chosen) : NULL;
  if (img) {
    path = g_build_filename(out, "reconstruction.png", NULL);
    ok = pl_run_save_png(run, img, path, "PLoRG Studio reconstruction", error);
    g_free(path);
    /* lossless too (3 x n x n float32, [0,1]), for metrics computed elsewhere: the PNG is
     * quantised to 8 bits */
    path = g_build_filename(out, "reconstruction.f32", NULL);
    ok = ok && write_floats(path, img->data, (size_t)img->c * img->h * img->w, error);
    g_free(path);
    pl_image_free(img);
  }
  PlImage *pasted = ok ? pl_run_result_pasted(run, chosen) : NULL;
  if (pasted) {
    path = g_build_filename(out, "reconstruction_pasted.png", NULL);
    ok = pl_run_save_png(run, pasted, path, "PLoRG Studio reconstruction, known pixels pasted",
                         error);
    g_free(path);
    pl_image_free(pasted);
  }
  PlImage *meas = ok ? pl_run_measurement_preview(run) : NULL;
  if (meas) {
    path = g_build_filename(out, "measurement.png", NULL);
    ok = pl_run_save_png(run, meas, path, "PLoRG Studio measurement", error);
    g_free(path);
    pl_image_free(meas);
  }
  if (ok) {
    path = g_build_filename(out, "measurement.f32", NULL);
    ok = write_floats(path, pl_run_measurement(run), pl_operator_y_len(pl_run_operator(run)), error);
    g_free(path);
  }
  PlImage *clean = ok ? pl_run_clean(run) : NULL;
  if (clean) {
    path = g_build_filename(out, "clean.png", NULL);
    ok = pl_run_save_png(run, clean, path, "PLoRG Studio ground truth", error);
    g_free(path);
    pl_image_free(clean);
  }
  if (ok) {
    path = g_build_filename(out, "run.json", NULL);
    ok = pl_run_record_write(run, path, error);
    g_free(path);
  }
  return ok;
}

static void print_metrics(PlRun *run, int chosen, gboolean lpips_loaded) {
  const PlRunParams *p = pl_run_params(run);
  const PlOperatorParams *op = &pl_run_inputs(run)->op;
  printf("%s%s  task %s  steps %d  seed %" G_GUINT64_FORMAT "  omega %g", p->plorg.enabled ? "PLoRG-" : "",
         pl_solver_label(p->solver), pl_task_name(op->task), p->steps, p->seed, p->omega);
  if (p->solver == PL_SOLVER_PSLD)
    printf("  gamma %g", p->gamma);
  if (p->plorg.enabled)
    printf("  tau %g (%s, %s)", p->plorg.proj.tau, pl_rank_rule_name(p->plorg.proj.rule),
           pl_projection_side_name(p->plorg.proj.side));
  if (p->plorg.enabled && p->solver == PL_SOLVER_RESAMPLE)
    printf("  svd %s", pl_resample_svd_name(p->plorg.resample_svd));
  printf("\n");
  printf("timesteps %s", pl_timestep_rule_name(p->timesteps));
  if (p->solver == PL_SOLVER_PSLD)
    printf("  glue-transpose %s  meas-noise %s", pl_glue_transpose_name(p->glue_transpose),
           pl_meas_noise_name(p->meas_noise));
  printf("  noise-sigma %g (%s units)\n", op->noise_sigma, pl_noise_units_name(op->noise_units));
  printf("state %s  time %.1f s\n", pl_run_state_name(pl_run_state(run)), pl_run_elapsed(run));
  if (p->batch > 1) {
    printf("best of %d by measurement residual (needs no ground truth): sample %d\n", p->batch, chosen);
    int oracle = pl_run_select_best(run, PL_SELECT_PSNR_ORACLE);
    if (oracle >= 0)
      printf("best of %d by PSNR (ORACLE: uses the ground truth, as the paper did): sample %d  "
             "PSNR %.2f dB\n", p->batch, oracle, pl_run_psnr(run, oracle));
  }
  double psnr = pl_run_psnr(run, chosen), lpips = pl_run_lpips(run, chosen);
  if (!isnan(psnr))
    printf("PSNR %.2f dB  SSIM %.4f  ", psnr, pl_run_ssim(run, chosen));
  else
    printf("(no ground truth: PSNR/SSIM%s not available)  ", pl_run_lpips_net(run) ? "/LPIPS" : "");
  if (!isnan(lpips))
    printf("LPIPS %.4f (%s)  ", lpips, pl_run_lpips_net(run));
  printf("residual %.4f\n", pl_run_residual(run, chosen));
  /* inpainting: the official PSLD's saved output has the known pixels pasted in */
  if (pl_run_pastes(run) && !isnan(pl_run_psnr_pasted(run, chosen))) {
    printf("pasted (known pixels from the ground truth, as the official PSLD saves): "
           "PSNR %.2f dB  SSIM %.4f", pl_run_psnr_pasted(run, chosen),
           pl_run_ssim_pasted(run, chosen));
    double lp = pl_run_lpips_pasted(run, chosen);
    if (!isnan(lp))
      printf("  LPIPS %.4f (%s)", lp, pl_run_lpips_net(run));
    printf("\n");
  }
  /* LPIPS needs a network: say so rather than print a number (a failing one said why) */
  if (!lpips_loaded)
    printf("%s\n", pl_lpips_missing_note());
}

static int run_and_report(RunOpts *o, PlRun *run, PlLpips *lpips) {
  PlorgProgress *bar = plorg_progress_new("run", o->quiet);
  pl_run_add_observer(run, plorg_progress_on_step, NULL, bar);
  plorg_cancel_on_signal(run);
  GError *e = NULL;
  pl_run_execute(run, &e);
  plorg_progress_finish(bar);
  plorg_cancel_on_signal(NULL);
  PlRunState state = pl_run_state(run);
  int chosen = pl_run_params(run)->batch > 1 ? MAX(0, pl_run_select_best(run, PL_SELECT_RESIDUAL)) : 0;
  const char *out = o->out ? o->out : "plorg-out";
  GError *se = NULL;
  /* before saving, so the record holds it; a failing network does not lose the outputs */
  gboolean lpips_ok = !lpips || pl_run_compute_lpips(run, lpips, &se);
  if (!lpips_ok) {
    fprintf(stderr, "plorg run: error: %s\n", se->message);
    g_clear_error(&se);
  }
  if (!save_outputs(run, out, chosen, &se)) {
    int rc = plorg_failure("run", "%s", se->message);
    g_error_free(se);
    g_clear_error(&e);
    return rc;
  }
  print_metrics(run, chosen, lpips != NULL);
  printf("outputs in %s\n", out);
  int rc = PLORG_EXIT_OK;
  if (state == PL_RUN_DIVERGED) {
    fprintf(stderr, "plorg run: %s\n(the reconstruction is the last good step's estimate; try a "
                    "smaller --omega or --plorg)\n", e ? e->message : "diverged");
    rc = PLORG_EXIT_DIVERGED;
  } else if (state != PL_RUN_FINISHED) {
    rc = plorg_failure("run", "%s", e ? e->message : pl_run_state_name(state));
  } else if (!lpips_ok) {
    rc = PLORG_EXIT_FAILURE;
  }
  g_clear_error(&e);
  return rc;
}

int plorg_cmd_run(int argc, char **argv) {
  RunOpts o = {0};
  plorg_solver_opts_init(&o.so);
  o.batch = o.best_of = G_MININT; /* not given (0 and -1 are usage errors, not "unset") */
  GOptionContext *ctx = make_context(&o);
  GError *e = NULL;
  int rc = PLORG_EXIT_OK;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    rc = plorg_usage_error("run", "%s", e->message);
    g_error_free(e);
  } else if (argc > 1) {
    rc = plorg_usage_error("run", "unexpected argument \"%s\"", argv[1]);
  }
  PlModelParams mp;
  if (rc == PLORG_EXIT_OK && !plorg_solver_opts_model_params(&o.so, &mp, &e)) {
    rc = plorg_usage_error("run", "%s", e->message);
    g_clear_error(&e);
  }
  PlModel *model = NULL;
  if (rc == PLORG_EXIT_OK) {
    const char *dir = o.so.model_dir ? o.so.model_dir : pl_model_default_dir();
    model = pl_model_load(dir, &mp, &e);
    if (!model) {
      rc = plorg_failure("run", "%s", e->message);
      g_clear_error(&e);
    }
  }
  PlLpips *lpips = NULL;
  if (rc == PLORG_EXIT_OK) {
    lpips = plorg_solver_opts_load_lpips(&o.so, &mp, pl_model_image_size(model), &e);
    if (e) {
      rc = plorg_failure("run", "%s", e->message);
      g_clear_error(&e);
    }
  }
  Built b = {0};
  if (rc == PLORG_EXIT_OK)
    rc = build_run(&o, model, &b);
  if (rc == PLORG_EXIT_OK)
    rc = run_and_report(&o, b.run, lpips);
  built_clear(&b);
  if (lpips)
    pllpips_free(lpips);
  if (model)
    pl_model_unref(model);
  g_option_context_free(ctx);
  plorg_solver_opts_clear(&o.so);
  g_free(o.image);
  g_free(o.task);
  g_free(o.mask);
  g_free(o.measurement);
  g_free(o.solver);
  g_free(o.out);
  g_free(o.record);
  return rc;
}
