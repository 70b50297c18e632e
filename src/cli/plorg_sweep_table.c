/* Sweep tables and plots, rebuilt from every cell file present (all shards). */
#include "plorg_sweep.h"
#include "pl_plot.h"
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static GArray *read_cells(const char *out, GError **error) {
  char *dir = g_build_filename(out, "cells", NULL);
  GArray *cells = g_array_new(FALSE, TRUE, sizeof(PlorgCell));
  g_array_set_clear_func(cells, (GDestroyNotify)plorg_cell_clear);
  GDir *d = g_dir_open(dir, 0, error);
  if (!d) {
    g_free(dir);
    g_array_unref(cells);
    return NULL;
  }
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".json"))
      continue;
    char *path = g_build_filename(dir, name, NULL);
    PlorgCell c;
    plorg_cell_init(&c);
    GError *e = NULL;
    if (plorg_cell_read(&c, path, &e)) {
      c.file = g_strdup(path);
      g_array_append_val(cells, c);
    }
    else {
      g_printerr("plorg sweep: skipping %s: %s\n", path, e->message);
      g_error_free(e);
      plorg_cell_clear(&c);
    }
    g_free(path);
  }
  g_dir_close(d);
  g_free(dir);
  return cells;
}

static int cmp_double(gconstpointer a, gconstpointer b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int method_rank(const PlorgCell *c) { return (int)c->solver * 2 + (c->plorg ? 1 : 0); }

static int cmp_cells(gconstpointer a, gconstpointer b) {
  const PlorgCell *x = a, *y = b;
  if (x->task != y->task) return (int)x->task - (int)y->task;
  if (method_rank(x) != method_rank(y)) return method_rank(x) - method_rank(y);
  if (x->omega != y->omega) return x->omega < y->omega ? -1 : 1;
  return g_strcmp0(x->image, y->image);
}

static void csv_num(GString *s, double v) {
  if (isfinite(v)) g_string_append_printf(s, ",%.6g", v);
  else g_string_append(s, ",");
}

static gboolean write_table_csv(GArray *cells, const char *path, GError **error) {
  /* new columns go at the end: readers use the header (csv.DictReader) */
  GString *s = g_string_new("image,task,solver,plorg,method,omega,steps,batch,state,psnr,ssim,"
                            "lpips,residual,psnr_oracle,elapsed_s,psnr_pasted,ssim_pasted,"
                            "lpips_pasted,timesteps,glue_transpose,meas_noise,noise_units,"
                            "plorg_resample_svd\n");
  for (guint k = 0; k < cells->len; k++) {
    PlorgCell *c = &g_array_index(cells, PlorgCell, k);
    char *m = plorg_cell_method(c);
    char *w = plorg_cell_omega_text(c->omega); /* exact: %g merged nearby step sizes */
    g_string_append_printf(s, "%s,%s,%s,%d,%s,%s,%d,%d,%s", c->image, pl_task_name(c->task),
                           pl_solver_name(c->solver), c->plorg ? 1 : 0, m, w, c->steps,
                           c->batch, c->state ? c->state : "");
    g_free(w);
    csv_num(s, c->psnr);
    csv_num(s, c->ssim);
    csv_num(s, c->lpips);   /* empty, not 0, without an LPIPS network */
    csv_num(s, c->residual);
    csv_num(s, c->psnr_oracle);
    csv_num(s, c->elapsed_s);
    csv_num(s, c->psnr_pasted);   /* empty unless inpainting */
    csv_num(s, c->ssim_pasted);
    csv_num(s, c->lpips_pasted);
    g_string_append_printf(s, ",%s,%s,%s,%s,%s\n", pl_timestep_rule_name(c->timesteps),
                           pl_glue_transpose_name(c->glue_transpose),
                           pl_meas_noise_name(c->meas_noise), pl_noise_units_name(c->noise_units),
                           c->resample_svd ? c->resample_svd : "");
    g_free(m);
  }
  gboolean ok = g_file_set_contents(path, s->str, (gssize)s->len, error);
  g_string_free(s, TRUE);
  return ok;
}

static gboolean write_table_json(GArray *cells, const char *out, const char *path, GError **error) {
  GString *s = g_string_new("[\n");
  for (guint k = 0; k < cells->len; k++) {
    PlorgCell *c = &g_array_index(cells, PlorgCell, k);
    char *key = plorg_cell_key(c);
    char *cell_path = c->file ? g_strdup(c->file) : g_strdup_printf("%s/cells/%s.json", out, key);
    char *text = NULL;
    if (g_file_get_contents(cell_path, &text, NULL, NULL))
      g_string_append_printf(s, "%s%s", g_strstrip(text), k + 1 < cells->len ? ",\n" : "\n");
    g_free(text);
    g_free(cell_path);
    g_free(key);
  }
  g_string_append(s, "]\n");
  gboolean ok = g_file_set_contents(path, s->str, (gssize)s->len, error);
  g_string_free(s, TRUE);
  return ok;
}

/* One group = (task, method, omega): the PSNRs of its images. */
typedef struct {
  PlTask task;
  PlSolver solver;
  gboolean plorg;
  double omega;
  int n, diverged;
  double sum, sum2, min, max, resid_sum;
  GArray *values;
  int n_lpips;                 /* cells with PSNR that also have LPIPS */
  double lpips_sum, lpips_sum2;
  int n_pasted;                /* cells with PSNR that also have a pasted PSNR (inpainting) */
  double pasted_sum, pasted_sum2;
  char *fidelity;              /* the cells' fidelity choices, "mixed" when they differ */
} Group;

static GArray *group_cells(GArray *cells) {
  GArray *groups = g_array_new(FALSE, TRUE, sizeof(Group));
  for (guint k = 0; k < cells->len; k++) {
    PlorgCell *c = &g_array_index(cells, PlorgCell, k);
    Group *g = groups->len ? &g_array_index(groups, Group, groups->len - 1) : NULL;
    if (!g || g->task != c->task || g->solver != c->solver || g->plorg != c->plorg ||
        g->omega != c->omega) {
      Group ng = {c->task, c->solver, c->plorg, c->omega, 0, 0, 0, 0, INFINITY, -INFINITY, 0,
                  g_array_new(FALSE, FALSE, sizeof(double)), 0, 0, 0, 0, 0, 0,
                  plorg_cell_fidelity(c)};
      g_array_append_val(groups, ng);
      g = &g_array_index(groups, Group, groups->len - 1);
    }
    char *fid = plorg_cell_fidelity(c);
    if (g_strcmp0(fid, g->fidelity) != 0) {
      g_free(g->fidelity);
      g->fidelity = g_strdup("mixed");
    }
    g_free(fid);
    if (!g_strcmp0(c->state, "diverged"))
      g->diverged++;
    if (!isfinite(c->psnr))
      continue;
    g->n++;
    g->sum += c->psnr;
    g->sum2 += c->psnr * c->psnr;
    g->min = MIN(g->min, c->psnr);
    g->max = MAX(g->max, c->psnr);
    g->resid_sum += c->residual;
    g_array_append_val(g->values, c->psnr);
    if (!isnan(c->lpips)) {
      g->n_lpips++;
      g->lpips_sum += c->lpips;
      g->lpips_sum2 += c->lpips * c->lpips;
    }
    if (isfinite(c->psnr_pasted)) {
      g->n_pasted++;
      g->pasted_sum += c->psnr_pasted;
      g->pasted_sum2 += c->psnr_pasted * c->psnr_pasted;
    }
  }
  return groups;
}

static double group_mean(const Group *g) { return g->n ? g->sum / g->n : NAN; }
static double group_std(const Group *g) {
  if (g->n < 2) return 0.0;
  double m = group_mean(g);
  return sqrt(MAX(0.0, (g->sum2 - g->n * m * m) / (g->n - 1)));
}

/* LPIPS of a group only when every image in it has one: a mean over a subset (cells run
 * before an LPIPS network was given) would not compare with the PSNR next to it. */
static double group_lpips_mean(const Group *g) {
  return g->n > 0 && g->n_lpips == g->n ? g->lpips_sum / g->n : NAN;
}
static double group_lpips_std(const Group *g) {
  double m = group_lpips_mean(g);
  if (isnan(m)) return NAN;
  if (g->n < 2) return 0.0;
  return sqrt(MAX(0.0, (g->lpips_sum2 - g->n * m * m) / (g->n - 1)));
}

static char *method_label(PlSolver s, gboolean plorg) {
  return g_strdup_printf("%s%s", plorg ? "PLoRG-" : "", pl_solver_label(s));
}

/* pasted PSNR (inpainting) only when every image of the group has one, as LPIPS */
static double group_pasted_mean(const Group *g) {
  return g->n > 0 && g->n_pasted == g->n ? g->pasted_sum / g->n : NAN;
}
static double group_pasted_std(const Group *g) {
  double m = group_pasted_mean(g);
  if (isnan(m) || g->n < 2)
    return isnan(m) ? NAN : 0.0;
  return sqrt(MAX(0.0, (g->pasted_sum2 - g->n * m * m) / (g->n - 1)));
}

static gboolean write_summary(GArray *groups, const char *path, gboolean quiet, GError **error) {
  GString *csv = g_string_new("task,method,omega,n,psnr_mean,psnr_std,psnr_min,psnr_max,"
                              "lpips_mean,lpips_std,residual_mean,diverged,psnr_pasted_mean,"
                              "psnr_pasted_std,fidelity\n");
  if (!quiet)
    printf("\n| task | method | step size | n | PSNR mean ± std (dB) | min | max | "
           "LPIPS mean ± std | pasted PSNR (dB) | diverged | fidelity |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (guint k = 0; k < groups->len; k++) {
    Group *g = &g_array_index(groups, Group, k);
    char *m = method_label(g->solver, g->plorg);
    double lm = group_lpips_mean(g), ls = group_lpips_std(g);
    g_string_append_printf(csv, "%s,%s,%g,%d,%.4f,%.4f,%.4f,%.4f", pl_task_name(g->task), m,
                           g->omega, g->n, group_mean(g), group_std(g), g->min, g->max);
    if (isnan(lm))
      g_string_append(csv, ",,");   /* empty, not 0: LPIPS was not computed for every image */
    else
      g_string_append_printf(csv, ",%.4f,%.4f", lm, ls);
    g_string_append_printf(csv, ",%.6g,%d", g->n ? g->resid_sum / g->n : NAN, g->diverged);
    double pm = group_pasted_mean(g), ps = group_pasted_std(g);
    if (isnan(pm))
      g_string_append(csv, ",,");
    else
      g_string_append_printf(csv, ",%.4f,%.4f", pm, ps);
    g_string_append_printf(csv, ",%s\n", g->fidelity ? g->fidelity : "");
    if (!quiet) {
      char *lp = isnan(lm) ? g_strdup("n/a") : g_strdup_printf("%.4f ± %.4f", lm, ls);
      char *pp = isnan(pm) ? g_strdup("n/a") : g_strdup_printf("%.2f ± %.2f", pm, ps);
      printf("| %s | %s | %g | %d | %.2f ± %.2f | %.2f | %.2f | %s | %s | %d | %s |\n",
             pl_task_name(g->task), m, g->omega, g->n, group_mean(g), group_std(g), g->min,
             g->max, lp, pp, g->diverged, g->fidelity ? g->fidelity : "");
      g_free(lp);
      g_free(pp);
    }
    g_free(m);
  }
  gboolean ok = g_file_set_contents(path, csv->str, (gssize)csv->len, error);
  g_string_free(csv, TRUE);
  return ok;
}

/* Robustness plot: one panel per task, one line per method, PSNR vs step size. */
static gboolean plot_robustness(GArray *groups, const char *out, GError **error) {
  GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
  GArray *panels = g_array_new(FALSE, TRUE, sizeof(PlPlotPanel));
  guint k = 0;
  while (k < groups->len) {
    PlTask task = g_array_index(groups, Group, k).task;
    GArray *series = g_array_new(FALSE, TRUE, sizeof(PlPlotSeries));
    while (k < groups->len && g_array_index(groups, Group, k).task == task) {
      Group *g0 = &g_array_index(groups, Group, k);
      guint end = k;
      while (end < groups->len && g_array_index(groups, Group, end).task == task &&
             g_array_index(groups, Group, end).solver == g0->solver &&
             g_array_index(groups, Group, end).plorg == g0->plorg)
        end++;
      int n = (int)(end - k);
      double *x = g_new(double, n), *y = g_new(double, n), *lo = g_new(double, n),
             *hi = g_new(double, n);
      for (int j = 0; j < n; j++) {
        Group *g = &g_array_index(groups, Group, k + j);
        x[j] = g->omega;
        y[j] = group_mean(g);
        lo[j] = y[j] - group_std(g);
        hi[j] = y[j] + group_std(g);
      }
      char *label = method_label(g0->solver, g0->plorg);
      g_ptr_array_add(owned, x);
      g_ptr_array_add(owned, y);
      g_ptr_array_add(owned, lo);
      g_ptr_array_add(owned, hi);
      g_ptr_array_add(owned, label);
      PlPlotSeries se = {label, n, x, y, lo, hi};
      g_array_append_val(series, se);
      k = end;
    }
    char *title = g_strdup(pl_task_label(task));
    g_ptr_array_add(owned, title);
    PlPlotPanel p = {title, (const PlPlotSeries *)series->data, (int)series->len};
    g_ptr_array_add(owned, g_array_free(series, FALSE));
    g_array_append_val(panels, p);
  }
  PlPlotLabels labels = {"Robustness to the measurement step size", "step size (omega)",
                         "PSNR (dB)", TRUE, "mean over images, band = ± 1 std; made by plorg sweep"};
  gboolean ok = TRUE;
  const char *ext[] = {"png", "svg"};
  for (int e = 0; e < 2 && ok; e++) {
    char *path = g_strdup_printf("%s/robustness.%s", out, ext[e]);
    ok = pl_plot_line_panels(path, &labels, (PlPlotPanel *)panels->data, (int)panels->len, error);
    g_free(path);
  }
  g_array_unref(panels);
  g_ptr_array_unref(owned);
  return ok;
}

/* PSNR histogram per method, over all tasks, step sizes and images. */
static gboolean plot_histograms(GArray *cells, const char *out, GError **error) {
  GArray *hists = g_array_new(FALSE, TRUE, sizeof(PlPlotHistogram));
  GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
  for (int m = 0; m < PL_SOLVER_COUNT * 2; m++) {
    GArray *v = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint k = 0; k < cells->len; k++) {
      PlorgCell *c = &g_array_index(cells, PlorgCell, k);
      if (method_rank(c) == m && isfinite(c->psnr))
        g_array_append_val(v, c->psnr);
    }
    if (v->len == 0) {
      g_array_unref(v);
      continue;
    }
    char *label = method_label((PlSolver)(m / 2), m % 2);
    g_ptr_array_add(owned, label);
    PlPlotHistogram h = {label, (int)v->len, (double *)v->data};
    g_ptr_array_add(owned, g_array_free(v, FALSE));
    g_array_append_val(hists, h);
  }
  PlPlotLabels labels = {"PSNR per method", "PSNR (dB)", "images", FALSE,
                         "all tasks and step sizes of the sweep"};
  gboolean ok = TRUE;
  const char *ext[] = {"png", "svg"};
  for (int e = 0; e < 2 && ok; e++) {
    char *path = g_strdup_printf("%s/psnr_hist.%s", out, ext[e]);
    ok = pl_plot_histograms(path, &labels, (PlPlotHistogram *)hists->data, (int)hists->len, 20,
                            0, 0, error);
    g_free(path);
  }
  g_array_unref(hists);
  g_ptr_array_unref(owned);
  return ok;
}

/* Per task: PSNR histograms in a grid, one row per step size and one column per method,
 * so failures at large steps show per method (the paper's Figure 3b). */
static gboolean plot_task_histograms(GArray *groups, const char *out, GError **error) {
  gboolean ok = TRUE;
  for (int t = 0; t < PL_TASK_COUNT && ok; t++) {
    GArray *omegas = g_array_new(FALSE, FALSE, sizeof(double));
    int methods[PL_SOLVER_COUNT * 2], n_methods = 0;
    for (guint k = 0; k < groups->len; k++) {
      Group *g = &g_array_index(groups, Group, k);
      if ((int)g->task != t) continue;
      int m = (int)g->solver * 2 + (g->plorg ? 1 : 0), seen = 0;
      for (int i = 0; i < n_methods; i++) seen |= methods[i] == m;
      if (!seen) methods[n_methods++] = m;
      seen = 0;
      for (guint i = 0; i < omegas->len; i++) seen |= g_array_index(omegas, double, i) == g->omega;
      if (!seen) g_array_append_val(omegas, g->omega);
    }
    if (n_methods == 0) {
      g_array_unref(omegas);
      continue;
    }
    g_array_sort(omegas, cmp_double);
    int n = (int)omegas->len * n_methods;
    PlPlotHistogram *hists = g_new0(PlPlotHistogram, n);
    GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
    for (int r = 0; r < (int)omegas->len; r++)
      for (int c = 0; c < n_methods; c++) {
        PlPlotHistogram *h = &hists[r * n_methods + c];
        double w = g_array_index(omegas, double, r);
        char *m = method_label((PlSolver)(methods[c] / 2), methods[c] % 2);
        h->title = g_strdup_printf("%s, step %g", m, w);
        g_free(m);
        g_ptr_array_add(owned, (char *)h->title);
        for (guint k = 0; k < groups->len; k++) {
          Group *g = &g_array_index(groups, Group, k);
          if ((int)g->task == t && g->omega == w && (int)g->solver * 2 + (g->plorg ? 1 : 0) == methods[c]) {
            h->n = (int)g->values->len;
            h->values = (const double *)g->values->data;
          }
        }
      }
    char *title = g_strdup_printf("PSNR per step size: %s", pl_task_label((PlTask)t));
    PlPlotLabels labels = {title, "PSNR (dB)", "images", FALSE,
                           "one row per step size, one column per method"};
    const char *ext[] = {"png", "svg"};
    for (int e = 0; e < 2 && ok; e++) {
      char *path = g_strdup_printf("%s/psnr_hist-%s.%s", out, pl_task_name((PlTask)t), ext[e]);
      ok = pl_plot_histogram_grid(path, &labels, hists, n, n_methods, 20, 0, 0, error);
      g_free(path);
    }
    g_free(title);
    g_free(hists);
    g_ptr_array_unref(owned);
    g_array_unref(omegas);
  }
  return ok;
}

gboolean plorg_sweep_tables(const char *out, gboolean plots, gboolean quiet, GError **error) {
  GArray *cells = read_cells(out, error);
  if (!cells)
    return FALSE;
  g_array_sort(cells, cmp_cells);
  char *csv = g_build_filename(out, "table.csv", NULL);
  char *json = g_build_filename(out, "table.json", NULL);
  char *summary = g_build_filename(out, "summary.csv", NULL);
  GArray *groups = group_cells(cells);
  gboolean ok = write_table_csv(cells, csv, error) && write_table_json(cells, out, json, error) &&
                write_summary(groups, summary, quiet, error);
  if (ok && plots && cells->len > 0)
    ok = plot_robustness(groups, out, error) && plot_histograms(cells, out, error) &&
         plot_task_histograms(groups, out, error);
  for (guint k = 0; k < groups->len; k++) {
    g_array_unref(g_array_index(groups, Group, k).values);
    g_free(g_array_index(groups, Group, k).fidelity);
  }
  g_array_unref(groups);
  g_array_unref(cells);
  g_free(csv);
  g_free(json);
  g_free(summary);
  return ok;
}
