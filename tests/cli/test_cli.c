/* The `plorg` command line, run as a program: exit codes and messages, outputs of
 * `plorg run`, and a tiny `plorg sweep` that resumes and shards. The binary's path is
 * the last argument. LPIPS: with the random-weight bundle PLORG_LPIPS_TEST_DIR (written at
 * build time) the CLI's numbers are checked against the shim's LPIPS of the same images. */
#include <glib.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include "pl_image.h"
#include "plorg_lpips.h"

static const char *plorg = NULL;
static char *tmp = NULL;

typedef struct {
  int status;
  char *out, *err;
} Result;

/* The argument vector of `plorg ARGS` (ARGS in shell syntax). */
static char **plorg_argv(const char *args) {
  char *cmd = g_strdup_printf("'%s' %s", plorg, args);
  char **argv = NULL;
  GError *e = NULL;
  g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &e));
  g_free(cmd);
  return argv;
}

static Result run_plorg(const char *args) {
  Result r = {0};
  GError *e = NULL;
  int wait_status = 0;
  char **argv = plorg_argv(args);
  g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                             &wait_status, &e));
  g_assert_no_error(e);
  g_assert_true(WIFEXITED(wait_status));
  r.status = WEXITSTATUS(wait_status);
  g_test_message("$ plorg %s -> %d\n%s%s", args, r.status, r.out, r.err);
  g_strfreev(argv);
  return r;
}

/* The metrics line ("PSNR ... residual ...") of a run's output. */
static char *metrics_line(const char *out) {
  const char *p = strstr(out, "PSNR");
  g_assert_nonnull(p);
  const char *end = strchr(p, '\n');
  return g_strndup(p, end ? (gsize)(end - p) : strlen(p));
}

static void result_clear(Result *r) {
  g_free(r->out);
  g_free(r->err);
}

static int cmp_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The i-th PNG of the data folder by name, as `plorg sweep` orders them. */
static char *image(int i) {
  const char *data = g_getenv("PLORG_DATA_DIR");
  char *dir = g_build_filename(data, "images", NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  const char *n;
  while ((n = g_dir_read_name(d)))
    if (g_str_has_suffix(n, ".png"))
      g_ptr_array_add(names, g_strdup(n));
  g_dir_close(d);
  g_ptr_array_sort(names, cmp_names);
  char *path = g_build_filename(dir, *(char **)&g_ptr_array_index(names, i), NULL);
  g_ptr_array_unref(names);
  g_free(dir);
  return path;
}

static char *read_file(const char *dir, const char *name) {
  char *path = g_build_filename(dir, name, NULL), *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_free(path);
  return text;
}

/* The comma-separated fields of a CSV line (no quoting in the sweep's tables). */
static int csv_column(const char *header, const char *name) {
  char **cols = g_strsplit(header, ",", -1);
  int at = -1;
  for (int k = 0; cols[k]; k++)
    if (!strcmp(cols[k], name))
      at = k;
  g_strfreev(cols);
  g_assert_cmpint(at, >=, 0);
  return at;
}

/* Every row's field `name` of a CSV file: empty (want_empty) or a number. */
static void check_csv_column(const char *dir, const char *file, const char *name,
                             gboolean want_empty) {
  char *text = read_file(dir, file);
  char **lines = g_strsplit(g_strstrip(text), "\n", -1);
  int at = csv_column(lines[0], name);
  g_assert_nonnull(lines[1]);
  for (int k = 1; lines[k]; k++) {
    char **f = g_strsplit(lines[k], ",", -1);
    g_assert_cmpint((int)g_strv_length(f), >, at);
    if (want_empty) {
      g_assert_cmpstr(f[at], ==, "");
    } else {
      char *end = NULL;
      double v = g_ascii_strtod(f[at], &end);
      g_assert_true(end != f[at] && *end == '\0' && isfinite(v));
    }
    g_strfreev(f);
  }
  g_strfreev(lines);
  g_free(text);
}

static int count_substr(const char *s, const char *sub) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
    n++;
  return n;
}

static void test_help_and_usage(void) {
  Result r = run_plorg("--help");
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "sweep"));
  result_clear(&r);
  r = run_plorg("run --help");
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "--omega"));
  result_clear(&r);
  r = run_plorg("sweep --help");
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "--shard"));
  result_clear(&r);
  r = run_plorg("");
  g_assert_cmpint(r.status, ==, 2);
  result_clear(&r);
  r = run_plorg("frobnicate");
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "unknown command"));
  result_clear(&r);
  r = run_plorg("run --bogus");
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "--bogus"));
  result_clear(&r);
  r = run_plorg("run --steps 3");
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "--image"));
  result_clear(&r);
  char *img = image(0);
  char *args = g_strdup_printf("run --image '%s' --task nonsense", img);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "nonsense"));
  result_clear(&r);
  g_free(args);
  args = g_strdup_printf("run --image '%s' --steps 99999 --out '%s/x'", img, tmp);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "steps"));
  result_clear(&r);
  g_free(args);
  args = g_strdup_printf("run --image '%s' --solver resample --plorg --plorg-resample-svd before "
                         "--out '%s/x'", img, tmp);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "paper or diffstategrad"));
  result_clear(&r);
  g_free(args);
  char *images = g_build_filename(g_getenv("PLORG_DATA_DIR"), "images", NULL);
  args = g_strdup_printf("sweep --images '%s' --limit 1 --solvers resample --plorg on "
                         "--plorg-resample-svd before --out '%s/sw'", images, tmp);
  g_free(images);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "paper or diffstategrad"));
  result_clear(&r);
  g_free(args);
  r = run_plorg("sweep --shard 3/2");
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "shard"));
  result_clear(&r);
  /* fidelity options: a bad value is a usage error naming the allowed ones, never a default */
  const char *bad[][2] = {{"--glue-transpose exact", "official or adjoint"},
                          {"--meas-noise none", "noised or clean"},
                          {"--timesteps kc", "ldm or zero"},
                          {"--noise-units pixels", "model or unit"}};
  for (guint k = 0; k < G_N_ELEMENTS(bad); k++) {
    args = g_strdup_printf("run --image '%s' --steps 2 %s --out '%s/x'", img, bad[k][0], tmp);
    r = run_plorg(args);
    g_assert_cmpint(r.status, ==, 2);
    g_assert_nonnull(strstr(r.err, bad[k][1]));
    result_clear(&r);
    g_free(args);
    char *images = g_build_filename(g_getenv("PLORG_DATA_DIR"), "images", NULL);
    args = g_strdup_printf("sweep --images '%s' --limit 1 --tasks box --steps 2 %s --out '%s/s'",
                           images, bad[k][0], tmp);
    g_free(images);
    r = run_plorg(args);
    g_assert_cmpint(r.status, ==, 2);
    g_assert_nonnull(strstr(r.err, bad[k][1]));
    result_clear(&r);
    g_free(args);
  }
  g_free(img);
}

static void test_missing_model(void) {
  char *img = image(0);
  char *args = g_strdup_printf("run --model /nonexistent/model --image '%s' --steps 3", img);
  Result r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "/nonexistent/model"));
  result_clear(&r);
  r = run_plorg("info /nonexistent/model");
  g_assert_cmpint(r.status, ==, 1);
  result_clear(&r);
  g_free(args);
  g_free(img);
}

static void test_info(void) {
  Result r = run_plorg("info");
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "parameters"));
  g_assert_nonnull(strstr(r.out, "latent"));
  result_clear(&r);
}

static void test_run(void) {
  char *img = image(1);
  char *out = g_build_filename(tmp, "run", NULL);
  char *args = g_strdup_printf("run --image '%s' --task box --solver psld --plorg --tau 0.99 "
                               "--omega 0.1 --steps 5 --seed 0 --out '%s'", img, out);
  Result r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "PSNR"));
  g_assert_cmpstr(r.err, ==, ""); /* not a terminal: no progress bar */
  /* no LPIPS network: a sentence saying so and how to load one, never a number */
  g_assert_nonnull(strstr(r.out, "LPIPS not computed: no LPIPS network is loaded"));
  g_assert_nonnull(strstr(r.out, "--lpips DIR"));
  g_assert_null(strstr(r.out, "LPIPS 0"));
  const char *files[] = {"reconstruction.png", "reconstruction.f32", "measurement.png",
                         "measurement.f32", "clean.png", "run.json"};
  for (guint k = 0; k < G_N_ELEMENTS(files); k++) {
    char *p = g_build_filename(out, files[k], NULL);
    g_assert_true(g_file_test(p, G_FILE_TEST_EXISTS));
    g_free(p);
  }
  char *png = g_build_filename(out, "reconstruction.png", NULL);
  GError *e = NULL;
  GHashTable *text = pl_image_read_png_text(png, &e);
  g_assert_no_error(e);
  g_assert_nonnull(strstr(g_hash_table_lookup(text, "plorg-params"), "\"psld\""));
  g_hash_table_unref(text);
  g_free(png);
  char *record = read_file(out, "run.json");
  g_assert_nonnull(strstr(record, "\"lpips\" : null"));
  /* the fidelity choices are recorded, and box inpainting reports the pasted metrics */
  g_assert_nonnull(strstr(record, "\"glue_transpose\" : \"official\""));
  g_assert_nonnull(strstr(record, "\"timesteps\" : \"ldm\""));
  g_assert_nonnull(strstr(record, "\"psnr_pasted\" : ["));
  g_assert_nonnull(strstr(r.out, "pasted (known pixels"));
  g_assert_nonnull(strstr(r.out, "glue-transpose official"));
  g_free(record);
  result_clear(&r);
  /* the record re-runs to the same metrics line */
  char *rec = g_build_filename(out, "run.json", NULL);
  char *out2 = g_build_filename(tmp, "rerun", NULL);
  char *args2 = g_strdup_printf("run --record '%s' --out '%s'", rec, out2);
  Result r2 = run_plorg(args2);
  g_assert_cmpint(r2.status, ==, 0);
  r = run_plorg(args);
  char *m1 = metrics_line(r.out), *m2 = metrics_line(r2.out);
  g_assert_cmpstr(m1, ==, m2);
  g_free(m1);
  g_free(m2);
  result_clear(&r);
  result_clear(&r2);
  g_free(args2);
  g_free(out2);
  g_free(rec);
  g_free(args);
  /* absurd step size: diverged, exit 3, outputs still written */
  char *out3 = g_build_filename(tmp, "diverged", NULL);
  args = g_strdup_printf("run --image '%s' --solver psld --omega 1e9 --gamma 1e9 --steps 10 --out '%s'", img, out3);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_nonnull(strstr(r.err, "diverged"));
  char *rj = g_build_filename(out3, "run.json", NULL);
  g_assert_true(g_file_test(rj, G_FILE_TEST_EXISTS));
  g_free(rj);
  result_clear(&r);
  g_free(args);
  g_free(out3);
  g_free(out);
  g_free(img);
}

static int count_files(const char *dir, const char *suffix) {
  GDir *d = g_dir_open(dir, 0, NULL);
  if (!d)
    return 0;
  int n = 0;
  const char *name;
  while ((name = g_dir_read_name(d)))
    n += g_str_has_suffix(name, suffix);
  g_dir_close(d);
  return n;
}

static void test_sweep(void) {
  const char *data = g_getenv("PLORG_DATA_DIR");
  char *images = g_build_filename(data, "images", NULL);
  char *out = g_build_filename(tmp, "sweep", NULL);
  char *cells = g_build_filename(out, "cells", NULL);
  char *base = g_strdup_printf("sweep --images '%s' --limit 2 --tasks box --solvers psld "
                               "--plorg both --omegas 0.1,1 --steps 3 --out '%s'", images, out);
  char *shard0 = g_strdup_printf("%s --shard 0/2", base);
  Result r = run_plorg(shard0);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpint(count_files(cells, ".json"), ==, 4);  /* half of 2 x 2 x 2 */
  result_clear(&r);
  r = run_plorg(base);                                  /* the rest; shard 0's cells skipped */
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "skipped 4"));
  g_assert_cmpint(count_substr(r.out, "LPIPS not computed"), ==, 1);
  g_assert_cmpint(count_files(cells, ".json"), ==, 8);
  result_clear(&r);
  r = run_plorg(base);                                  /* everything done */
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "skipped 8"));
  result_clear(&r);
  const char *files[] = {"table.csv", "table.json", "summary.csv", "robustness.png",
                         "robustness.svg", "psnr_hist.png", "psnr_hist.svg"};
  for (guint k = 0; k < G_N_ELEMENTS(files); k++) {
    char *p = g_build_filename(out, files[k], NULL);
    g_assert_true(g_file_test(p, G_FILE_TEST_EXISTS));
    g_free(p);
  }
  char *csv = g_build_filename(out, "table.csv", NULL), *text = NULL;
  g_assert_true(g_file_get_contents(csv, &text, NULL, NULL));
  char **lines = g_strsplit(g_strstrip(text), "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 9); /* header + 8 cells */
  g_assert_nonnull(strstr(text, "PLoRG-PSLD"));
  g_strfreev(lines);
  g_free(text);
  g_free(csv);
  /* no LPIPS network: the lpips columns are there and empty (not 0) */
  check_csv_column(out, "table.csv", "lpips", TRUE);
  check_csv_column(out, "summary.csv", "lpips_mean", TRUE);
  check_csv_column(out, "summary.csv", "lpips_std", TRUE);
  text = read_file(out, "table.json");
  g_assert_cmpint(count_substr(text, "\"lpips\" : null"), ==, 8);
  g_free(text);
  g_free(shard0);
  g_free(base);
  g_free(cells);
  g_free(out);
  g_free(images);
}

/* ---- LPIPS ---- */

static const char *lpips_bundle(void) {
  const char *dir = g_getenv("PLORG_LPIPS_TEST_DIR");
  char *manifest = dir ? g_build_filename(dir, "lpips.json", NULL) : NULL;
  gboolean ok = manifest && g_file_test(manifest, G_FILE_TEST_IS_REGULAR);
  g_free(manifest);
  if (!ok)
    g_test_skip("no LPIPS test bundle (tests/cli/make_lpips_bundle.py needs /usr/bin/python3 with torch)");
  return ok ? dir : NULL;
}

/* The shim's LPIPS of two [0,1] images, as the API documents it (inputs in [-1,1]). */
static double shim_lpips(PlLpips *net, const PlImage *a, const PlImage *b) {
  PlImage *x = pl_image_copy(a), *y = pl_image_copy(b);
  pl_image_to_model_range(x);
  pl_image_to_model_range(y);
  double d = NAN;
  g_assert_cmpint(pllpips_distance(net, x->data, y->data, 1, x->h, x->w, &d), ==, PLSHIM_OK);
  pl_image_free(x);
  pl_image_free(y);
  return d;
}

static PlLpips *load_shim_lpips(const char *dir) {
  PlShimLoadParams lp;
  plshim_load_params_init(&lp);
  lp.device = PLSHIM_DEVICE_CPU;   /* the CLI runs with --device cpu below */
  lp.deterministic = 1;
  PlLpips *net = NULL;
  g_assert_cmpint(pllpips_load(dir, &lp, &net), ==, PLSHIM_OK);
  plshim_set_num_threads(1);       /* as the CLI's run (one torch thread on CPU) */
  return net;
}

static PlImage *load_fitted(const char *path, int n) {
  GError *e = NULL;
  PlImage *img = pl_image_load(path, &e);
  g_assert_no_error(e);
  PlImage *fit = pl_image_fit_square(img, n, PL_FIT_CENTER_CROP);
  pl_image_free(img);
  return fit;
}

/* The same float32 network on the same float32 inputs: the CLI's value and the test's may
 * differ only by summation order, i.e. a few float32 roundings of a sum of O(1) terms. */
static void assert_same_lpips(double cli, double shim) {
  g_assert_cmpfloat(fabs(cli - shim), <=, 1e-6 * MAX(1.0, fabs(shim)));
}

static double json_number_after(const char *text, const char *key) {
  const char *p = strstr(text, key);
  g_assert_nonnull(p);
  p += strlen(key);
  while (*p == ' ' || *p == ':' || *p == '[' || *p == '\n')
    p++;
  char *end = NULL;
  double v = g_ascii_strtod(p, &end);
  g_assert_true(end != p);
  return v;
}

static void test_lpips_run(void) {
  const char *dir = lpips_bundle();
  if (!dir)
    return;
  char *img = image(1);
  char *out = g_build_filename(tmp, "lpips-run", NULL);
  char *args = g_strdup_printf("run --image '%s' --task box --solver psld --steps 3 --seed 0 "
                               "--device cpu --lpips '%s' --out '%s'", img, dir, out);
  Result r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_null(strstr(r.out, "LPIPS not computed"));
  char *line = metrics_line(r.out);
  const char *at = strstr(line, "LPIPS ");
  g_assert_nonnull(at);                        /* next to PSNR and SSIM */
  g_assert_nonnull(strstr(line, "SSIM"));
  g_assert_nonnull(strstr(line, "(alex)"));
  double printed = g_ascii_strtod(at + strlen("LPIPS "), NULL);
  char *record = read_file(out, "run.json");
  double recorded = json_number_after(record, "\"lpips\"");
  g_assert_nonnull(strstr(record, "\"lpips_net\" : \"alex\""));

  /* the shim on the same two images: the lossless reconstruction and the fitted clean image */
  PlLpips *net = load_shim_lpips(dir);
  PlImage *clean = load_fitted(img, 64);
  char *raw = NULL;
  gsize len = 0;
  char *f32 = g_build_filename(out, "reconstruction.f32", NULL);
  g_assert_true(g_file_get_contents(f32, &raw, &len, NULL));
  g_assert_cmpuint(len, ==, sizeof(float) * 3 * clean->h * clean->w);
  PlImage *rec = pl_image_copy(clean);
  memcpy(rec->data, raw, len);
  double d = shim_lpips(net, rec, clean);
  /* first principles: a distance (0 on identical images, symmetric, > 0 otherwise) */
  g_assert_cmpfloat(shim_lpips(net, clean, clean), ==, 0.0);
  g_assert_cmpfloat(shim_lpips(net, clean, rec), ==, d);
  g_assert_cmpfloat(d, >, 0.0);
  assert_same_lpips(recorded, d);
  g_assert_cmpfloat(fabs(printed - d), <=, 0.5e-4 + 1e-9);   /* printed with 4 decimals */
  pl_image_free(rec);
  pl_image_free(clean);
  pllpips_free(net);
  g_free(f32);
  g_free(raw);
  g_free(record);
  g_free(line);
  result_clear(&r);
  g_free(args);
  g_free(out);
  g_free(img);
}

/* A bad --lpips is reported before any work: exit 1 (a runtime failure, as a bad --model),
 * a message naming the folder, and no outputs. */
static void check_bad_lpips(const char *bundle, const char *why) {
  char *img = image(0);
  char *out = g_build_filename(tmp, "bad-lpips-out", NULL);
  char *args = g_strdup_printf("run --image '%s' --steps 3 --lpips '%s' --out '%s'", img, bundle, out);
  Result r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "cannot load the LPIPS network"));
  g_assert_nonnull(strstr(r.err, bundle));
  g_assert_nonnull(strstr(r.err, why));
  g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
  result_clear(&r);
  g_free(args);
  const char *data = g_getenv("PLORG_DATA_DIR");
  char *images = g_build_filename(data, "images", NULL);
  args = g_strdup_printf("sweep --images '%s' --limit 1 --plorg off --steps 3 --lpips '%s' "
                         "--out '%s'", images, bundle, out);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_nonnull(strstr(r.err, "cannot load the LPIPS network"));
  g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
  result_clear(&r);
  g_free(images);
  g_free(args);
  g_free(out);
  g_free(img);
}

static void test_lpips_bad_bundle(void) {
  char *missing = g_build_filename(tmp, "no-such-lpips", NULL);
  check_bad_lpips(missing, "missing-file");
  g_free(missing);
  char *bad = g_build_filename(tmp, "bad-lpips", NULL);
  g_assert_cmpint(g_mkdir_with_parents(bad, 0755), ==, 0);
  char *json = g_build_filename(bad, "lpips.json", NULL), *pt = g_build_filename(bad, "lpips.pt", NULL);
  g_assert_true(g_file_set_contents(json, "{ not json", -1, NULL));
  g_assert_true(g_file_set_contents(pt, "not a TorchScript archive", -1, NULL));
  check_bad_lpips(bad, "manifest");
  const char *good = g_getenv("PLORG_LPIPS_TEST_DIR");
  char *good_json = good ? g_build_filename(good, "lpips.json", NULL) : NULL, *text = NULL;
  if (good_json && g_file_get_contents(good_json, &text, NULL, NULL)) {
    /* a valid manifest with a corrupt network file */
    g_assert_true(g_file_set_contents(json, text, -1, NULL));
    check_bad_lpips(bad, "torchscript");
  }
  g_free(text);
  g_free(good_json);
  g_free(json);
  g_free(pt);
  g_free(bad);
}

/* The shim's LPIPS of a sweep cell's saved reconstruction against its clean image. */
static double cell_png_lpips(PlLpips *net, const char *out, const char *key, const char *img) {
  char *png = g_strdup_printf("%s/images/%s.png", out, key);
  PlImage *rec = load_fitted(png, 64), *clean = load_fitted(img, 64);
  double d = shim_lpips(net, rec, clean);
  pl_image_free(rec);
  pl_image_free(clean);
  g_free(png);
  return d;
}

static void test_lpips_sweep(void) {
  const char *dir = lpips_bundle();
  if (!dir)
    return;
  const char *data = g_getenv("PLORG_DATA_DIR");
  char *images = g_build_filename(data, "images", NULL);
  char *out = g_build_filename(tmp, "lpips-sweep", NULL);
  char *base = g_strdup_printf("sweep --images '%s' --limit 1 --tasks box --solvers psld "
                               "--omegas 0.5 --steps 3 --device cpu --no-plots --out '%s'",
                               images, out);
  /* a cell finished without LPIPS ... */
  char *args = g_strdup_printf("%s --plorg off", base);
  Result r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 0);
  check_csv_column(out, "table.csv", "lpips", TRUE);
  result_clear(&r);
  g_free(args);
  /* ... gets it from its saved reconstruction when --lpips is given; a new cell from its
   * float result */
  args = g_strdup_printf("%s --plorg both --lpips '%s'", base, dir);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "added LPIPS to 1 finished cell"));
  g_assert_null(strstr(r.out, "LPIPS not computed"));
  check_csv_column(out, "table.csv", "lpips", FALSE);
  check_csv_column(out, "summary.csv", "lpips_mean", FALSE);
  check_csv_column(out, "summary.csv", "lpips_std", FALSE);
  char *table = read_file(out, "table.json");
  g_assert_cmpint(count_substr(table, "\"lpips_source\" : \"png\""), ==, 1);
  g_assert_cmpint(count_substr(table, "\"lpips_source\" : \"result\""), ==, 1);
  g_free(table);
  char *img = image(0), *stem = g_path_get_basename(img); /* keys keep the extension */
  char *key = g_strdup_printf("%s__box__psld__base__w0.5", stem);
  char *cell_name = g_strdup_printf("cells/%s.json", key);
  char *cell = read_file(out, cell_name);
  PlLpips *net = load_shim_lpips(dir);
  double d = cell_png_lpips(net, out, key, img);
  g_assert_cmpfloat(d, >, 0.0);
  assert_same_lpips(json_number_after(cell, "\"lpips\""), d);
  g_free(cell);
  result_clear(&r);
  g_free(args);
  /* without saved images a cell lacking LPIPS is run again */
  char *out2 = g_build_filename(tmp, "lpips-sweep-noimg", NULL);
  char *base2 = g_strdup_printf("sweep --images '%s' --limit 1 --tasks box --solvers psld "
                                "--plorg off --steps 3 --device cpu --no-plots --no-images "
                                "--quiet --out '%s'", images, out2);
  r = run_plorg(base2);
  g_assert_cmpint(r.status, ==, 0);
  result_clear(&r);
  args = g_strdup_printf("%s --lpips '%s'", base2, dir);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 0);
  check_csv_column(out2, "table.csv", "lpips", FALSE);
  result_clear(&r);
  pllpips_free(net);
  g_free(args);
  g_free(base2);
  g_free(out2);
  g_free(cell_name);
  g_free(key);
  g_free(stem);
  g_free(img);
  g_free(base);
  g_free(out);
  g_free(images);
}

static void rm_rf(const char *path) {
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
      char *p = g_build_filename(path, name, NULL);
      rm_rf(p);
      g_free(p);
    }
    if (d)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

/* Out-of-range values are usage errors naming the option and range (issue 12, item 8):
 * NaN and -1 used to mean "not set" and ran with the defaults; INT_MAX overflowed. */
static void test_hostile_options(void) {
  char *img = image(0);
  static const struct { const char *args, *expect; } cases[] = {
      {"--omega nan", "--omega must be a number >= 0, not \"nan\""},
      {"--omega -1", "--omega must be a number >= 0"},
      {"--steps -1", "--steps must be a whole number in [1, 1000000], not \"-1\""},
      {"--steps 4294967298", "--steps must be a whole number in [1, 1000000]"},
      {"--time-travel 2147483647", "--time-travel must be a whole number in [1, 1000000]"},
      {"--threads 100000", "--threads must be a whole number in [0, "},
      {"--tau nan", "--tau must be a number (0, 1]"},
      {"--latent-lr inf", "--latent-lr must be a number > 0, not \"inf\""},
      {"--divergence-limit -1", "--divergence-limit must be a number > 0"},
      {"--keep-every -1", "--keep-every must be a whole number in [1, "},
      {"--noise-sigma -1", "--noise-sigma must be a number >= 0"},
      {"--batch 0", "--batch must be in [1, 64], not 0"},
  };
  for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
    char *args = g_strdup_printf("run --image '%s' --steps 2 --device cpu --quiet --out '%s/h' %s",
                                 img, tmp, cases[k].args);
    Result r = run_plorg(args);
    g_assert_cmpint(r.status, ==, 2);
    if (!strstr(r.err, cases[k].expect))
      g_error("%s: expected \"%s\" in: %s", cases[k].args, cases[k].expect, r.err);
    result_clear(&r);
    g_free(args);
  }
  /* --image on a FIFO used to block forever */
  char *fifo = g_build_filename(tmp, "fifo.png", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  char *args = g_strdup_printf("run --image '%s' --steps 2 --device cpu --quiet --out '%s/h'",
                               fifo, tmp);
  Result r = run_plorg(args);
  g_assert_cmpint(r.status, !=, 0);
  g_assert_nonnull(strstr(r.err, "FIFO"));
  result_clear(&r);
  g_free(args);
  g_unlink(fifo);
  g_free(fifo);
  g_free(img);
}

/* Sweep keys are exact and unique (item 5): face.png + face.jpg with omegas 0.1234567 and
 * 0.1234568 gave 4 runs and 1 cell file; duplicate inputs are a usage error. */
static void test_sweep_keys(void) {
  char *src = image(0);
  char *dir = g_build_filename(tmp, "keys-images", NULL);
  g_mkdir_with_parents(dir, 0755);
  char *png = g_build_filename(dir, "face.png", NULL), *jpg = g_build_filename(dir, "face.jpg", NULL);
  char *jsrc = g_build_filename(g_getenv("PLORG_SOURCE_DIR"), "tests", "fuzz", "corpus", "image",
                                "small.jpg", NULL);
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(src, &data, &len, NULL));
  g_assert_true(g_file_set_contents(png, data, (gssize)len, NULL));
  g_free(data);
  g_assert_true(g_file_get_contents(jsrc, &data, &len, NULL));
  g_assert_true(g_file_set_contents(jpg, data, (gssize)len, NULL));
  g_free(data);
  char *out = g_build_filename(tmp, "keys-sweep", NULL);
  char *args = g_strdup_printf("sweep --images '%s' --tasks sr4 --solvers dps --plorg off "
                               "--omegas 0.1234567,0.1234568,1e20 --steps 2 --device cpu "
                               "--no-plots --no-images --quiet --out '%s'", dir, out);
  Result r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 0);
  result_clear(&r);
  char *cells = g_build_filename(out, "cells", NULL);
  GDir *d = g_dir_open(cells, 0, NULL);
  int n = 0;
  while (g_dir_read_name(d)) n++;
  g_dir_close(d);
  g_assert_cmpint(n, ==, 6);
  char *table = read_file(out, "table.csv");
  g_assert_cmpint(count_substr(table, "\n"), ==, 7); /* header + 6 rows */
  g_assert_cmpint(count_substr(table, ",0.1234567,"), ==, 2);
  g_assert_cmpint(count_substr(table, ",0.1234568,"), ==, 2);
  g_assert_cmpint(count_substr(table, ",1e+20,"), ==, 2); /* was skipped on read */
  g_free(table);
  r = run_plorg(args); /* resume: every cell read back, none re-run */
  g_assert_cmpint(r.status, ==, 0);
  result_clear(&r);
  g_free(args);
  args = g_strdup_printf("sweep --images '%s' --tasks sr4 --solvers dps --plorg off "
                         "--omegas 0.1,0.10 --steps 2 --device cpu --quiet --out '%s'", dir, out);
  r = run_plorg(args);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "two cells would share the result file"));
  result_clear(&r);
  g_free(args);
  g_free(cells);
  g_free(out);
  g_free(jsrc);
  g_free(png);
  g_free(jpg);
  g_free(dir);
  g_free(src);
}

/* `plorg ARGS` in the background; its output is not read. */
static GPid spawn_plorg(const char *args) {
  char **argv = plorg_argv(args);
  GError *e = NULL;
  GPid pid = 0;
  g_assert_true(g_spawn_async(NULL, argv, NULL,
                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                  G_SPAWN_STDERR_TO_DEV_NULL,
                              NULL, NULL, &pid, &e));
  g_assert_no_error(e);
  g_strfreev(argv);
  return pid;
}

/* The child's wait status once it ends; fails (and kills it) after limit_s. */
static int wait_for_exit(GPid pid, double limit_s) {
  gint64 end = g_get_monotonic_time() + (gint64)(limit_s * 1e6);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (g_get_monotonic_time() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      g_error("plorg did not end within %.0f s of the signal", limit_s);
    }
    g_usleep(20000);
  }
  return status;
}

/* Waits until the child catches SIGTERM (its handler is installed: libtorch loads first,
 * slowly under ASan), reading SigCgt in /proc/PID/status. */
static void wait_for_handler(GPid pid) {
  char *path = g_strdup_printf("/proc/%d/status", (int)pid);
  for (int k = 0; k < 3000; k++) {
    char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
      const char *c = strstr(text, "SigCgt:");
      guint64 mask = c ? g_ascii_strtoull(c + 7, NULL, 16) : 0;
      g_free(text);
      if (mask & (G_GUINT64_CONSTANT(1) << (SIGTERM - 1))) {
        g_free(path);
        return;
      }
    }
    g_usleep(20000);
  }
  g_error("plorg never installed its SIGTERM handler");
}

/* SIGTERM cancels the run, whose outputs and record are then saved; a second signal exits
 * at once (issue 12, item 7: the flag was read only at a step's end, and twice did nothing
 * more). Inside a step, the engine's cancel points (engine-control) make it prompt. */
static void test_signals(void) {
  char *img = image(0);
  for (int twice = 0; twice <= 1; twice++) {
    char *out = g_strdup_printf("%s/signal-%d", tmp, twice);
    char *args = g_strdup_printf("run --image '%s' --solver resample --steps 200 "
                                 "--time-travel 1000000 --device cpu --out '%s'", img, out);
    GPid pid = spawn_plorg(args);
    wait_for_handler(pid); /* after that, a signal before the run starts cancels it at start */
    /* twice: SIGINT and SIGTERM, as two pending SIGTERMs would merge into one */
    if (twice)
      kill(pid, SIGINT);
    kill(pid, SIGTERM);
    int status = wait_for_exit(pid, 30.0);
    g_assert_true(WIFEXITED(status));
    if (twice) {
      int code = WEXITSTATUS(status);
      g_assert_true(code == 128 + SIGTERM || code == 128 + SIGINT);
    } else {
      g_assert_cmpint(WEXITSTATUS(status), ==, 1);
      char *rec = read_file(out, "run.json");
      g_assert_nonnull(strstr(rec, "\"cancelled\""));
      g_free(rec);
    }
    g_spawn_close_pid(pid);
    g_free(args);
    g_free(out);
  }
  g_free(img);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_assert_cmpint(argc, >=, 2);
  plorg = argv[argc - 1];
  tmp = g_dir_make_tmp("plorg-cli-XXXXXX", NULL);
  g_unsetenv("PLORG_LPIPS_DIR");   /* "without --lpips" must mean without a network */
  g_test_add_func("/cli/help-and-usage", test_help_and_usage);
  g_test_add_func("/cli/missing-model", test_missing_model);
  g_test_add_func("/cli/info", test_info);
  g_test_add_func("/cli/run", test_run);
  g_test_add_func("/cli/sweep", test_sweep);
  g_test_add_func("/cli/lpips-run", test_lpips_run);
  g_test_add_func("/cli/lpips-bad-bundle", test_lpips_bad_bundle);
  g_test_add_func("/cli/lpips-sweep", test_lpips_sweep);
  g_test_add_func("/cli/hostile-options", test_hostile_options);
  g_test_add_func("/cli/sweep-keys", test_sweep_keys);
  g_test_add_func("/cli/signals", test_signals);
  int rc = g_test_run();
  rm_rf(tmp);
  g_free(tmp);
  return rc;
}
