/* `plorg sweep`: a grid over images x tasks x solvers x PLoRG on/off x step sizes.
 * Resumable: each finished cell is a small JSON file under OUT/cells/ (written
 * atomically) and is skipped next time when its configuration hash still matches.
 * Shardable: with --shard i/N this process runs cells k with k % N == i (0 <= i < N).
 * Afterwards the tables and plots are rebuilt from all cell files present. */
#include "plorg_cli.h"
#include "plorg_sweep.h"
#include "pl_run_record.h"
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  PlorgSolverOpts so;
  char *images, *tasks, *solvers, *plorg, *omegas, *out, *shard;
  int limit, best_of;
  gboolean quiet, no_plots, tables_only, records, no_images;
  int shard_i, shard_n;
} SweepOpts;

static GOptionContext *make_context(SweepOpts *o) {
  GOptionEntry entries[] = {
      {"images", 0, 0, G_OPTION_ARG_FILENAME, &o->images,
       "Folder of clean images (default: $PLORG_DATA_DIR/images or data/images)", "DIR"},
      {"limit", 'n', 0, G_OPTION_ARG_INT, &o->limit, "Use the first N images (sorted by name)", "N"},
      {"tasks", 't', 0, G_OPTION_ARG_STRING, &o->tasks, "Comma list of tasks (default box)", "LIST"},
      {"solvers", 's', 0, G_OPTION_ARG_STRING, &o->solvers, "Comma list of solvers (default psld)", "LIST"},
      {"plorg", 'p', 0, G_OPTION_ARG_STRING, &o->plorg, "PLoRG: off, on or both (default both)", "WHICH"},
      {"omegas", 'w', 0, G_OPTION_ARG_STRING, &o->omegas,
       "Comma list of step sizes (default: the solver's default only)", "LIST"},
      {"best-of", 'k', 0, G_OPTION_ARG_INT, &o->best_of,
       "Phase retrieval: best of K by residual (default 4; the oracle PSNR is reported too)", "K"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder (default sweep)", "DIR"},
      {"shard", 0, 0, G_OPTION_ARG_STRING, &o->shard,
       "Run only shard i of N (0-based, e.g. $SLURM_ARRAY_TASK_ID/N)", "i/N"},
      {"tables-only", 0, 0, G_OPTION_ARG_NONE, &o->tables_only,
       "Only rebuild the tables and plots from the cells present", NULL},
      {"records", 0, 0, G_OPTION_ARG_NONE, &o->records, "Also write each cell's run record", NULL},
      {"no-images", 0, 0, G_OPTION_ARG_NONE, &o->no_images, "Do not save reconstructions", NULL},
      {"no-plots", 0, 0, G_OPTION_ARG_NONE, &o->no_plots, "Do not draw the plots", NULL},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "Print only errors", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("- run a grid of configurations over a folder of images");
  g_option_context_set_summary(ctx,
      "Example:\n  plorg sweep --images data/images --tasks box,sr4 --solvers psld --plorg both "
      "--omegas 0.1,1,10 --steps 100 --limit 5 --out sweep/");
  g_option_context_set_description(ctx,
      "Writes OUT/cells/*.json (one per finished cell), OUT/table.csv, OUT/table.json,\n"
      "OUT/summary.csv and, with Cairo, OUT/robustness.{png,svg} (PSNR vs step size) and\n"
      "OUT/psnr_hist.{png,svg}. Run it again to resume. With --lpips (or $PLORG_LPIPS_DIR)\n"
      "cells and tables carry LPIPS; without, the lpips columns are empty. Cells finished\n"
      "without LPIPS get it from their saved reconstruction PNG on the next run with --lpips\n"
      "(re-run when there is none). Exit codes: 0 ok, 1 failure (also: a bad LPIPS bundle),\n"
      "2 usage error (a diverged cell is a result, not a failure).\n");
  g_option_context_add_main_entries(ctx, entries, NULL);
  plorg_solver_opts_add(ctx, &o->so);
  return ctx;
}

typedef struct {
  char **images;        /* paths */
  GArray *tasks;        /* PlTask */
  GArray *solvers;      /* PlSolver */
  GArray *plorg;        /* gboolean */
  GArray *omegas;       /* double; empty = each solver's default */
} Grid;

static void grid_clear(Grid *g) {
  g_strfreev(g->images);
  if (g->tasks) g_array_unref(g->tasks);
  if (g->solvers) g_array_unref(g->solvers);
  if (g->plorg) g_array_unref(g->plorg);
  if (g->omegas) g_array_unref(g->omegas);
}

static int cmp_str(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_images(const char *dir, int limit, GError **error) {
  GDir *d = g_dir_open(dir, 0, error);
  if (!d)
    return NULL;
  GPtrArray *a = g_ptr_array_new();
  const char *name;
  while ((name = g_dir_read_name(d))) {
    char *low = g_ascii_strdown(name, -1);
    if (g_str_has_suffix(low, ".png") || g_str_has_suffix(low, ".jpg") ||
        g_str_has_suffix(low, ".jpeg"))
      g_ptr_array_add(a, g_build_filename(dir, name, NULL));
    g_free(low);
  }
  g_dir_close(d);
  g_ptr_array_sort(a, cmp_str);
  if (limit > 0 && a->len > (guint)limit) {
    for (guint k = limit; k < a->len; k++)
      g_free(g_ptr_array_index(a, k));
    g_ptr_array_set_size(a, limit);
  }
  g_ptr_array_add(a, NULL);
  return (char **)g_ptr_array_free(a, FALSE);
}

static char *default_images_dir(void) {
  const char *data = g_getenv("PLORG_DATA_DIR");
  return data && *data ? g_build_filename(data, "images", NULL) : g_strdup("data/images");
}

/* Parse the grid; returns an exit code (usage errors say what to fix). */
static int parse_grid(SweepOpts *o, Grid *g) {
  char *dir = o->images ? g_strdup(o->images) : default_images_dir();
  GError *e = NULL;
  g->images = list_images(dir, o->limit, &e);
  if (!g->images) {
    int rc = plorg_usage_error("sweep", "cannot list images in %s: %s (give --images DIR)", dir, e->message);
    g_error_free(e);
    g_free(dir);
    return rc;
  }
  if (!g->images[0]) {
    int rc = plorg_usage_error("sweep", "no PNG/JPEG images in %s", dir);
    g_free(dir);
    return rc;
  }
  g_free(dir);
  g->tasks = g_array_new(FALSE, FALSE, sizeof(PlTask));
  char **items = plorg_split_list(o->tasks ? o->tasks : "box");
  for (char **q = items; *q; q++) {
    PlTask t;
    if (!pl_task_from_name(*q, &t) || t == PL_TASK_INPAINT_MASK) {
      int rc = plorg_usage_error("sweep", "unknown task \"%s\" in --tasks (box, random, gblur, mblur, sr4, phase)", *q);
      g_strfreev(items);
      return rc;
    }
    g_array_append_val(g->tasks, t);
  }
  g_strfreev(items);
  g->solvers = g_array_new(FALSE, FALSE, sizeof(PlSolver));
  items = plorg_split_list(o->solvers ? o->solvers : "psld");
  for (char **q = items; *q; q++) {
    PlSolver s;
    if (!pl_solver_from_name(*q, &s)) {
      int rc = plorg_usage_error("sweep", "unknown solver \"%s\" in --solvers (ddim, ddpm, dps, psld, resample)", *q);
      g_strfreev(items);
      return rc;
    }
    g_array_append_val(g->solvers, s);
  }
  g_strfreev(items);
  g->plorg = g_array_new(FALSE, FALSE, sizeof(gboolean));
  const char *pw = o->plorg ? o->plorg : "both";
  gboolean off = FALSE, on = TRUE;
  if (!strcmp(pw, "off") || !strcmp(pw, "both")) g_array_append_val(g->plorg, off);
  if (!strcmp(pw, "on") || !strcmp(pw, "both")) g_array_append_val(g->plorg, on);
  if (g->plorg->len == 0)
    return plorg_usage_error("sweep", "--plorg must be off, on or both, not \"%s\"", pw);
  g->omegas = g_array_new(FALSE, FALSE, sizeof(double));
  items = plorg_split_list(o->omegas);
  for (char **q = items; *q; q++) {
    char *end = NULL;
    double w = g_ascii_strtod(*q, &end);
    if (!end || *end || !(w >= 0.0) || !isfinite(w)) {
      int rc = plorg_usage_error("sweep", "--omegas: \"%s\" is not a step size >= 0", *q);
      g_strfreev(items);
      return rc;
    }
    g_array_append_val(g->omegas, w);
  }
  g_strfreev(items);
  return PLORG_EXIT_OK;
}

/* Two configurations must never share a cell file (one result would be lost and every
 * resume would re-run both): keys are injective (plorg_cell_key), so a clash means two
 * inputs that are the same configuration, e.g. --omegas 0.1,0.10, --tasks box,box, or
 * face.png and FACE.png on a case-insensitive file system. */
static int check_unique_keys(const Grid *g) {
  GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  int rc = PLORG_EXIT_OK;
  int n_omega = MAX(1, (int)g->omegas->len);
  for (int ii = 0; g->images[ii] && rc == PLORG_EXIT_OK; ii++)
    for (guint ti = 0; ti < g->tasks->len && rc == PLORG_EXIT_OK; ti++)
      for (guint si = 0; si < g->solvers->len && rc == PLORG_EXIT_OK; si++)
        for (guint pi = 0; pi < g->plorg->len && rc == PLORG_EXIT_OK; pi++)
          for (int wi = 0; wi < n_omega && rc == PLORG_EXIT_OK; wi++) {
            PlorgCell c;
            plorg_cell_init(&c);
            c.image_path = g_strdup(g->images[ii]);
            c.task = g_array_index(g->tasks, PlTask, ti);
            c.solver = g_array_index(g->solvers, PlSolver, si);
            c.plorg = g_array_index(g->plorg, gboolean, pi);
            c.omega = g->omegas->len ? g_array_index(g->omegas, double, wi) : NAN;
            char *key = plorg_cell_key(&c);
            char *folded = g_ascii_strdown(key, -1);
            char *w = g->omegas->len ? plorg_cell_omega_text(c.omega) : g_strdup("default");
            char *what = g_strdup_printf("%s, %s, %s%s, omega %s", c.image_path,
                                         pl_task_name(c.task), c.plorg ? "PLoRG-" : "",
                                         pl_solver_name(c.solver), w);
            g_free(w);
            const char *prev = g_hash_table_lookup(seen, folded);
            if (prev) {
              rc = plorg_usage_error("sweep", "two cells would share the result file cells/%s.json: "
                                     "(%s) and (%s); remove the duplicate input", key, prev, what);
              g_free(folded);
              g_free(what);
            } else {
              g_hash_table_insert(seen, folded, what);
            }
            g_free(key);
            plorg_cell_clear(&c);
          }
  g_hash_table_unref(seen);
  return rc;
}

static int parse_shard(SweepOpts *o) {
  o->shard_i = 0;
  o->shard_n = 1;
  if (!o->shard)
    return PLORG_EXIT_OK;
  if (sscanf(o->shard, "%d/%d", &o->shard_i, &o->shard_n) != 2 || o->shard_n < 1 ||
      o->shard_i < 0 || o->shard_i >= o->shard_n)
    return plorg_usage_error("sweep", "--shard must be i/N with 0 <= i < N, not \"%s\"", o->shard);
  return PLORG_EXIT_OK;
}

static char *image_stem(const char *path) {
  char *base = g_path_get_basename(path);
  char *dot = strrchr(base, '.');
  if (dot)
    *dot = '\0';
  return base;
}

/* Parameters of one cell; FALSE with a usage message on bad options. */
static gboolean cell_params(SweepOpts *o, const PlorgCell *c, PlRunParams *p, GError **error) {
  if (!plorg_solver_opts_apply(&o->so, c->solver, c->plorg, p, error))
    return FALSE;
  if (!isnan(c->omega))
    p->omega = c->omega;
  if (c->task == PL_TASK_PHASE_RETRIEVAL) {
    p->batch = o->best_of > 0 ? o->best_of : 4;
    if (c->solver == PL_SOLVER_PSLD)
      p->gamma = 0.0; /* no gluing without A^T */
  }
  return TRUE;
}

static char *config_hash(const PlorgCell *c, const PlRunParams *p, const PlOperatorParams *op) {
  char *json = pl_run_params_to_json(p, op);
  char *text = g_strconcat(json, "|", c->image_path, NULL);
  char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
  g_free(text);
  g_free(json);
  return h;
}

typedef struct {
  PlModel *model;
  PlLpips *lpips;          /* NULL: LPIPS not computed */
  SweepOpts *o;
  int index, total;
} Ctx;

/* Run one cell and write its file. Returns an exit code (diverged is a result: OK). */
static int run_cell(Ctx *ctx, PlorgCell *c, const PlRunParams *p, const PlOperatorParams *op,
                    const char *cell_path) {
  int n = pl_model_image_size(ctx->model);
  GError *e = NULL;
  PlImage *clean = plorg_load_image(c->image_path, n, &e);
  if (!clean) {
    int rc = plorg_failure("sweep", "cannot read %s: %s", c->image_path, e->message);
    g_error_free(e);
    return rc;
  }
  PlRunInputs in = {0};
  in.op = *op;
  in.clean = clean;
  in.image_path = c->image_path;
  PlRun *run = pl_run_new(ctx->model, &in, p, &e);
  pl_image_free(clean);
  if (!run) {
    int rc = e->domain == PL_ENGINE_ERROR && e->code != PL_ENGINE_ERROR_MODEL
                 ? plorg_usage_error("sweep", "%s", e->message)
                 : plorg_failure("sweep", "%s", e->message);
    g_error_free(e);
    return rc;
  }
  char *key = plorg_cell_key(c);
  char *label = g_strdup_printf("[%d/%d] %s", ctx->index, ctx->total, key);
  PlorgProgress *bar = plorg_progress_new(label, ctx->o->quiet);
  pl_run_add_observer(run, plorg_progress_on_step, NULL, bar);
  plorg_cancel_on_signal(run);
  pl_run_execute(run, &e);
  plorg_progress_finish(bar);
  plorg_cancel_on_signal(NULL);
  PlRunState st = pl_run_state(run);
  int rc = PLORG_EXIT_OK;
  if (st == PL_RUN_FINISHED || st == PL_RUN_DIVERGED) {
    int best = p->batch > 1 ? MAX(0, pl_run_select_best(run, PL_SELECT_RESIDUAL)) : 0;
    c->state = g_strdup(pl_run_state_name(st));
    c->psnr = pl_run_psnr(run, best);
    c->ssim = pl_run_ssim(run, best);
    c->residual = pl_run_residual(run, best);
    c->psnr_pasted = pl_run_psnr_pasted(run, best);
    c->ssim_pasted = pl_run_ssim_pasted(run, best);
    int oracle = pl_run_select_best(run, PL_SELECT_PSNR_ORACLE);
    c->psnr_oracle = oracle >= 0 ? pl_run_psnr(run, oracle) : NAN;
    c->elapsed_s = pl_run_elapsed(run);
    c->steps = p->steps;
    c->batch = p->batch;
    GError *we = NULL;
    /* A failing LPIPS network must not stop a long sweep: the cell is kept without LPIPS
     * and gets it on the next resume. */
    if (ctx->lpips && !pl_run_compute_lpips(run, ctx->lpips, &we)) {
      g_printerr("plorg sweep: warning: %s: %s (cell kept without LPIPS)\n", key, we->message);
      g_clear_error(&we);
    } else if (ctx->lpips) {
      c->lpips = pl_run_lpips(run, best);
      c->lpips_pasted = pl_run_lpips_pasted(run, best);
      c->lpips_net = g_strdup(pl_run_lpips_net(run));
      c->lpips_source = g_strdup("result");
    }
    const char *out = ctx->o->out ? ctx->o->out : "sweep";
    gboolean ok = TRUE;
    if (!ctx->o->no_images) {
      char *ipath = g_strdup_printf("%s/images/%s.png", out, key);
      PlImage *img = pl_run_result(run, best);
      ok = !img || pl_run_save_png(run, img, ipath, key, &we);
      pl_image_free(img);
      g_free(ipath);
    }
    if (ok && ctx->o->records) {
      char *rpath = g_strdup_printf("%s/records/%s.json", out, key);
      ok = pl_run_record_write(run, rpath, &we);
      g_free(rpath);
    }
    if (ok)
      ok = plorg_cell_write(c, cell_path, &we);
    if (!ok) {
      rc = plorg_failure("sweep", "%s", we->message);
      g_error_free(we);
    } else if (!ctx->o->quiet) {
      printf("[%d/%d] %s: %s PSNR %.2f dB", ctx->index, ctx->total, key, c->state, c->psnr);
      if (!isnan(c->lpips))
        printf(" LPIPS %.4f", c->lpips);
      printf(" residual %.4f (%.1f s)\n", c->residual, c->elapsed_s);
      fflush(stdout);
    }
  } else {
    rc = plorg_failure("sweep", "%s: %s", key, e ? e->message : pl_run_state_name(st));
  }
  g_clear_error(&e);
  g_free(label);
  g_free(key);
  pl_run_unref(run);
  return rc;
}

static gboolean make_dirs(const SweepOpts *o, const char *out) {
  const char *subs[] = {"cells", o->no_images ? NULL : "images", o->records ? "records" : NULL};
  for (int k = 0; k < 3; k++) {
    if (!subs[k])
      continue;
    char *d = g_build_filename(out, subs[k], NULL);
    int r = g_mkdir_with_parents(d, 0755);
    g_free(d);
    if (r != 0)
      return FALSE;
  }
  return TRUE;
}

/* A finished cell lacking LPIPS gets it from its saved PNG; TRUE when it must be re-run
 * instead (no PNG: --no-images). A failure is a warning: the cell stays as it is. */
static gboolean add_lpips(Ctx *ctx, PlorgCell *old, const char *key, const char *cell_path,
                          int *added) {
  const char *out = ctx->o->out ? ctx->o->out : "sweep";
  char *png = g_strdup_printf("%s/images/%s.png", out, key);
  gboolean rerun = !g_file_test(png, G_FILE_TEST_IS_REGULAR);
  GError *e = NULL;
  if (!rerun && plorg_cell_lpips_from_png(old, ctx->lpips, png, pl_model_image_size(ctx->model), &e) &&
      plorg_cell_write(old, cell_path, &e))
    (*added)++;
  if (e) {
    g_printerr("plorg sweep: warning: LPIPS for %s: %s\n", key, e->message);
    g_error_free(e);
  }
  g_free(png);
  return rerun;
}

/* Enumerate the grid in a fixed order; run this shard's cells that are not done. */
static int run_grid(SweepOpts *o, Grid *g, PlModel *model, PlLpips *lpips) {
  const char *out = o->out ? o->out : "sweep";
  int n_images = (int)g_strv_length(g->images);
  int n_omega = MAX(1, (int)g->omegas->len);
  int total = n_images * (int)(g->tasks->len * g->solvers->len * g->plorg->len) * n_omega;
  int mine = 0;
  for (int k = 0; k < total; k++)
    mine += (k % o->shard_n == o->shard_i);
  Ctx ctx = {model, lpips, o, 0, mine};
  int k = 0, rc = PLORG_EXIT_OK, skipped = 0, lpips_added = 0, lpips_rerun = 0;
  for (guint ti = 0; ti < g->tasks->len && rc == PLORG_EXIT_OK; ti++)
    for (guint si = 0; si < g->solvers->len && rc == PLORG_EXIT_OK; si++)
      for (guint pi = 0; pi < g->plorg->len && rc == PLORG_EXIT_OK; pi++)
        for (int wi = 0; wi < n_omega && rc == PLORG_EXIT_OK; wi++)
          for (int ii = 0; ii < n_images && rc == PLORG_EXIT_OK && !plorg_interrupted(); ii++, k++) {
            if (k % o->shard_n != o->shard_i)
              continue;
            ctx.index++;
            PlorgCell c;
            plorg_cell_init(&c);
            c.image_path = g_strdup(g->images[ii]);
            c.image = image_stem(g->images[ii]);
            c.task = g_array_index(g->tasks, PlTask, ti);
            c.solver = g_array_index(g->solvers, PlSolver, si);
            c.plorg = g_array_index(g->plorg, gboolean, pi);
            c.omega = g->omegas->len ? g_array_index(g->omegas, double, wi) : NAN;
            PlRunParams p;
            PlOperatorParams op;
            GError *e = NULL;
            if (!cell_params(o, &c, &p, &e)) {
              rc = plorg_usage_error("sweep", "%s", e->message);
              g_error_free(e);
              plorg_cell_clear(&c);
              break;
            }
            c.omega = p.omega;
            if (p.plorg.enabled && p.solver == PL_SOLVER_RESAMPLE)
              c.resample_svd = g_strdup(pl_resample_svd_name(p.plorg.resample_svd));
            plorg_solver_opts_operator(&o->so, c.task, pl_model_image_size(model), p.seed, &op);
            c.timesteps = p.timesteps;
            c.glue_transpose = p.glue_transpose;
            c.meas_noise = p.meas_noise;
            c.noise_units = op.noise_units;
            c.config_hash = config_hash(&c, &p, &op);
            char *key = plorg_cell_key(&c);
            char *cell_path = g_strdup_printf("%s/cells/%s.json", out, key);
            PlorgCell old;
            plorg_cell_init(&old);
            gboolean done = g_file_test(cell_path, G_FILE_TEST_EXISTS) &&
                            plorg_cell_read(&old, cell_path, NULL) &&
                            !g_strcmp0(old.config_hash, c.config_hash);
            if (done && plorg_cell_needs_lpips(&old, lpips) &&
                add_lpips(&ctx, &old, key, cell_path, &lpips_added)) {
              done = FALSE;
              lpips_rerun++;
            }
            if (done)
              skipped++;
            else
              rc = run_cell(&ctx, &c, &p, &op, cell_path);
            plorg_cell_clear(&old);
            g_free(cell_path);
            g_free(key);
            plorg_cell_clear(&c);
          }
  if (!o->quiet && skipped > 0)
    printf("skipped %d finished cell%s (resume)\n", skipped, skipped == 1 ? "" : "s");
  if (!o->quiet && lpips_added > 0)
    printf("added LPIPS to %d finished cell%s from the saved 8-bit reconstruction%s "
           "(lpips_source \"png\")\n", lpips_added, lpips_added == 1 ? "" : "s",
           lpips_added == 1 ? "" : "s");
  if (!o->quiet && lpips_rerun > 0)
    printf("re-ran %d finished cell%s for LPIPS (no saved reconstruction)\n", lpips_rerun,
           lpips_rerun == 1 ? "" : "s");
  if (rc == PLORG_EXIT_OK && plorg_interrupted())
    rc = plorg_failure("sweep", "interrupted; run the same command again to resume");
  return rc;
}

int plorg_cmd_sweep(int argc, char **argv) {
  SweepOpts o = {0};
  plorg_solver_opts_init(&o.so);
  GOptionContext *ctx = make_context(&o);
  GError *e = NULL;
  int rc = PLORG_EXIT_OK;
  Grid grid = {0};
  PlModel *model = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    rc = plorg_usage_error("sweep", "%s", e->message);
    g_clear_error(&e);
  } else if (argc > 1) {
    rc = plorg_usage_error("sweep", "unexpected argument \"%s\"", argv[1]);
  }
  if (rc == PLORG_EXIT_OK)
    rc = parse_shard(&o);
  const char *out = o.out ? o.out : "sweep";
  PlLpips *lpips = NULL;
  if (rc == PLORG_EXIT_OK && !o.tables_only) {
    PlModelParams mp;
    rc = parse_grid(&o, &grid);
    if (rc == PLORG_EXIT_OK)
      rc = check_unique_keys(&grid);
    if (rc == PLORG_EXIT_OK && !plorg_solver_opts_model_params(&o.so, &mp, &e)) {
      rc = plorg_usage_error("sweep", "%s", e->message);
      g_clear_error(&e);
    }
    if (rc == PLORG_EXIT_OK) {
      const char *dir = o.so.model_dir ? o.so.model_dir : pl_model_default_dir();
      if (!(model = pl_model_load(dir, &mp, &e))) {
        rc = plorg_failure("sweep", "%s", e->message);
        g_clear_error(&e);
      }
    }
    /* a bad LPIPS bundle is reported before any output folder or cell is written */
    if (rc == PLORG_EXIT_OK) {
      lpips = plorg_solver_opts_load_lpips(&o.so, &mp, pl_model_image_size(model), &e);
      if (e) {
        rc = plorg_failure("sweep", "%s", e->message);
        g_clear_error(&e);
      } else if (!lpips && !o.quiet) {
        printf("%s\n", pl_lpips_missing_note());
      }
    }
    if (rc == PLORG_EXIT_OK && !make_dirs(&o, out))
      rc = plorg_failure("sweep", "cannot create %s: %s", out, g_strerror(errno));
    if (rc == PLORG_EXIT_OK)
      rc = run_grid(&o, &grid, model, lpips);
  }
  if (rc == PLORG_EXIT_OK && !plorg_sweep_tables(out, !o.no_plots, o.quiet, &e)) {
    rc = plorg_failure("sweep", "cannot build the tables: %s", e->message);
    g_clear_error(&e);
  }
  if (rc == PLORG_EXIT_OK && !o.quiet)
    printf("tables in %s (table.csv, table.json, summary.csv)%s\n", out,
           o.no_plots ? "" : ", plots robustness.png/svg and psnr_hist.png/svg");
  grid_clear(&grid);
  if (lpips)
    pllpips_free(lpips);
  if (model)
    pl_model_unref(model);
  g_option_context_free(ctx);
  plorg_solver_opts_clear(&o.so);
  g_free(o.images);
  g_free(o.tasks);
  g_free(o.solvers);
  g_free(o.plorg);
  g_free(o.omegas);
  g_free(o.out);
  g_free(o.shard);
  return rc;
}
