/* The `plorg` command line, run as a program: exit codes and messages, outputs of
 * `plorg run`, and a tiny `plorg sweep` that resumes and shards. The binary's path is
 * the last argument. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include "pl_image.h"

static const char *plorg = NULL;
static char *tmp = NULL;

typedef struct {
  int status;
  char *out, *err;
} Result;

static Result run_plorg(const char *args) {
  char *cmd = g_strdup_printf("'%s' %s", plorg, args);
  Result r = {0};
  GError *e = NULL;
  int wait_status = 0;
  char **argv = NULL;
  g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &e));
  g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                             &wait_status, &e));
  g_assert_no_error(e);
  g_assert_true(WIFEXITED(wait_status));
  r.status = WEXITSTATUS(wait_status);
  g_test_message("$ plorg %s -> %d\n%s%s", args, r.status, r.out, r.err);
  g_strfreev(argv);
  g_free(cmd);
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
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
  char *path = g_build_filename(dir, *(char **)&g_ptr_array_index(names, i), NULL);
  g_ptr_array_unref(names);
  g_free(dir);
  return path;
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
  r = run_plorg("sweep --shard 3/2");
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "shard"));
  result_clear(&r);
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
  const char *files[] = {"reconstruction.png", "measurement.png", "measurement.f32", "clean.png", "run.json"};
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
  g_free(shard0);
  g_free(base);
  g_free(cells);
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

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_assert_cmpint(argc, >=, 2);
  plorg = argv[argc - 1];
  tmp = g_dir_make_tmp("plorg-cli-XXXXXX", NULL);
  g_test_add_func("/cli/help-and-usage", test_help_and_usage);
  g_test_add_func("/cli/missing-model", test_missing_model);
  g_test_add_func("/cli/info", test_info);
  g_test_add_func("/cli/run", test_run);
  g_test_add_func("/cli/sweep", test_sweep);
  int rc = g_test_run();
  rm_rf(tmp);
  g_free(tmp);
  return rc;
}
