/* Hostile files and values (issue 12), no model needed: the JSON guard, exact numbers,
 * checked ranges and bounded sizes in run records and settings, regular files only. Each
 * case here crashed, hung, allocated gigabytes or silently changed a value before. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include "pl_engine_private.h"
#include "pl_json_guard.h"
#include "pl_json_write.h"
#include "pl_run_record.h"

static char *tmp_dir = NULL;

static char *tmp_file(const char *name, const char *text, gssize len) {
  char *path = g_build_filename(tmp_dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, len, NULL));
  return path;
}

static char *seed_record(void) {
  char *path = g_build_filename(g_getenv("PLORG_SOURCE_DIR"), "tests", "fuzz", "corpus", "record",
                                "psld-sr4.json", NULL);
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_free(path);
  return text;
}

/* The seed record with the first occurrence of `from` replaced by `to`. */
static char *record_with(const char *from, const char *to) {
  char *text = seed_record();
  GString *s = g_string_new(text);
  g_free(text);
  const char *hit = strstr(s->str, from);
  g_assert_nonnull(hit);
  gssize at = hit - s->str;
  g_string_erase(s, at, (gssize)strlen(from));
  g_string_insert(s, at, to);
  return g_string_free(s, FALSE);
}

/* Load a record text; returns the error message (caller frees) or NULL when it loaded. */
static char *load_error(const char *text) {
  char *path = tmp_file("rec.json", text, -1);
  GError *e = NULL;
  PlRunRecord *r = pl_run_record_load(path, &e);
  g_free(path);
  if (r) {
    pl_run_record_free(r);
    return NULL;
  }
  g_assert_nonnull(e);
  char *msg = g_strdup(e->message);
  g_error_free(e);
  return msg;
}

static void assert_contains(const char *msg, const char *part) {
  if (!msg || !strstr(msg, part))
    g_error("expected an error containing \"%s\", got: %s", part, msg ? msg : "(loaded)");
}

static void test_nesting(void) {
  /* 75k levels overflowed json-glib's recursive parser: 150 KB of brackets */
  const gsize depth = 100000;
  GString *s = g_string_new("{\"format\":\"plorg-run-record\",\"x\":");
  for (gsize k = 0; k < depth; k++) g_string_append_c(s, '[');
  for (gsize k = 0; k < depth; k++) g_string_append_c(s, ']');
  g_string_append_c(s, '}');
  char *msg = load_error(s->str);
  assert_contains(msg, "nested deeper than 64 levels");
  g_free(msg);
  GError *e = NULL;
  PlRunParams p;
  g_assert_false(pl_run_params_from_json(s->str, &p, NULL, &e)); /* the PNG settings chunk */
  assert_contains(e->message, "nested deeper than 64 levels");
  g_clear_error(&e);
  /* brackets inside strings do not count; 64 levels do */
  g_assert_true(pl_json_check_limits("[\"[[[[[[[[[[\\\"[[[[\"]", 20, &pl_json_limits_cell, NULL));
  GString *ok = g_string_new(NULL);
  for (int k = 0; k < 64; k++) g_string_append_c(ok, '[');
  for (int k = 0; k < 64; k++) g_string_append_c(ok, ']');
  g_assert_true(pl_json_check_limits(ok->str, ok->len, &pl_json_limits_cell, NULL));
  g_string_prepend_c(ok, '[');
  g_assert_false(pl_json_check_limits(ok->str, ok->len, &pl_json_limits_cell, &e));
  g_clear_error(&e);
  g_string_free(ok, TRUE);
  g_string_free(s, TRUE);
}

static void test_size_limit(void) {
  /* a 2 MB cell is refused before it is read or parsed */
  gsize n = 2u << 20;
  char *big = g_malloc(n + 1);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  big[n] = '\0';
  char *path = tmp_file("big.json", big, (gssize)n);
  GError *e = NULL;
  JsonParser *parser = pl_json_parse_file(path, &pl_json_limits_cell, &e);
  g_assert_null(parser);
  assert_contains(e->message, "at most 1048576 are read");
  g_clear_error(&e);
  g_free(path);
  g_free(big);
}

static void test_huge_arrays(void) {
  /* one 30k-long row in a 30k-row singular_values array asked for 7.2 GB */
  GString *sv = g_string_new("\"singular_values\": [[");
  for (int k = 0; k < 30000; k++) g_string_append(sv, k ? ",0" : "0");
  g_string_append(sv, "]");
  for (int k = 1; k < 30000; k++) g_string_append(sv, ",[]");
  g_string_append(sv, "], \"unused\": [");
  char *text = record_with("\"singular_values\": [", sv->str);
  char *msg = load_error(text);
  assert_contains(msg, "singular_values");
  assert_contains(msg, "at most 1024 are possible");
  g_free(msg);
  g_free(text);
  g_string_free(sv, TRUE);
  /* rows of different lengths: the report is rectangular */
  text = record_with("\"singular_values\": [", "\"singular_values\": [[1,2,3],");
  char *text2 = text;
  GString *fixed = g_string_new(text2);
  char *r = strstr(fixed->str, "\"ranks\": [");
  g_assert_nonnull(r);
  g_string_insert(fixed, r - fixed->str + (gssize)strlen("\"ranks\": ["), "0,"); /* 4 ranks too */
  text = g_string_free(fixed, FALSE);
  g_free(text2);
  msg = load_error(text);
  assert_contains(msg, "steps[0].samples[0].singular_values");
  g_free(msg);
  g_free(text);
  /* more samples than the batch */
  text = record_with("\"samples\": [", "\"samples\": [{}, ");
  msg = load_error(text);
  assert_contains(msg, "steps[0].samples: has 2 entries; at most 1");
  g_free(msg);
  g_free(text);
}

static void test_integer_ranges(void) {
  static const struct { const char *from, *to, *expect; } cases[] = {
      /* (int) truncation made 4294967298 steps run 2 */
      {"\"steps\": 3", "\"steps\": 4294967298", "params.steps: must be in [1, 1000000], not 4294967298"},
      {"\"steps\": 3", "\"steps\": 1e300", "params.steps: must be a whole number in [1, 1000000]"},
      {"\"steps\": 3", "\"steps\": 2.5", "params.steps: must be a whole number"},
      {"\"steps\": 3", "\"steps\": \"3\"", "params.steps: must be a whole number in [1, 1000000], not a string"},
      {"\"box_y\": -1", "\"box_y\": 2147483647", "params.operator.box_y: must be in [-1, 8192]"},
      {"\"loss_window\": 200", "\"loss_window\": 2000000000", "params.resample.loss_window: must be in [1, 1000000]"},
      {"\"time_travel\": 5", "\"time_travel\": 2147483647", "params.resample.time_travel: must be in [1, 1000000]"},
      {"\"batch\": 1", "\"batch\": 0", "params.batch: must be in [1, 64]"},
      {"\"omega\": 0.5", "\"omega\": -1", "omega) must be a finite number >= 0"},
      {"\"seed\": 0", "\"seed\": -5", "params.seed: must be an integer in [0, 18446744073709551615]"},
      {"\"index\": 0", "\"index\": 1e300", "steps[0].index: must be a whole number"},
      {"\"enabled\": true", "\"enabled\": 7", "params.plorg.enabled: must be true or false"},
  };
  for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
    char *text = record_with(cases[k].from, cases[k].to);
    char *msg = load_error(text);
    assert_contains(msg, cases[k].expect);
    g_free(msg);
    g_free(text);
  }
  /* 250.0 from another writer is a whole number */
  char *text = record_with("\"steps\": 3", "\"steps\": 3.0");
  g_assert_null(load_error(text));
  g_free(text);
  /* a box placed at INT_MAX overflowed box_y + box_h in the operator */
  PlOperatorParams op;
  pl_operator_params_init(&op, PL_TASK_INPAINT_BOX, 64);
  op.box_y = G_MAXINT;
  op.box_x = 0;
  GError *e = NULL;
  g_assert_null(pl_operator_new(&op, &e));
  assert_contains(e->message, "box lies outside the image");
  g_clear_error(&e);
}

static void test_validation_ranges(void) {
  PlRunParams p;
  pl_run_params_init(&p, PL_SOLVER_RESAMPLE);
  GError *e = NULL;
  p.resample.latent_lr = INFINITY; /* infinite learning rates were accepted */
  g_assert_false(pl_run_params_validate(&p, 1000, &e));
  assert_contains(e->message, "latent learning rate must be a finite number > 0, not inf");
  g_clear_error(&e);
  pl_run_params_init(&p, PL_SOLVER_RESAMPLE);
  p.resample.time_travel = G_MAXINT;
  g_assert_false(pl_run_params_validate(&p, 1000, &e));
  assert_contains(e->message, "time travel must be between 1 and 1000000");
  g_clear_error(&e);
  pl_run_params_init(&p, PL_SOLVER_PSLD);
  p.divergence_limit = NAN;
  g_assert_false(pl_run_params_validate(&p, 1000, &e));
  g_clear_error(&e);
}

static const double extremes[] = {
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072009e-308, 2.2250738585072014e-308, 1e-7, 1e-6,
    0.1, 1.0 / 3.0, 0.1234567, 0.1234568, 1.0, 3.0, 1e15, 1e16, 1e17, 9007199254740993.0,
    1e20, 1e22, 1e30, 1e300, 1.7976931348623157e308, -1e30, 123456789012345678.0,
};

static void test_number_format(void) {
  /* json-glib 1.6 wrote 1e30 as "1e+30.0"; every text here must be JSON and exact */
  GString *arr = g_string_new("[");
  for (gsize k = 0; k < G_N_ELEMENTS(extremes); k++) {
    char buf[PL_JSON_DOUBLE_BUF];
    pl_json_format_double(extremes[k], buf);
    double back = g_ascii_strtod(buf, NULL);
    if (memcmp(&back, &extremes[k], sizeof back) != 0)
      g_error("%s does not read back as %.17g", buf, extremes[k]);
    g_assert_nonnull(strpbrk(buf, ".e")); /* stays a double */
    g_string_append_printf(arr, "%s%s", k ? "," : "", buf);
  }
  g_string_append_c(arr, ']');
  char buf[PL_JSON_DOUBLE_BUF];
  g_assert_cmpstr(pl_json_format_double(1e30, buf), ==, "1e+30");
  g_assert_cmpstr(pl_json_format_double(0.1, buf), ==, "0.1");
  g_assert_cmpstr(pl_json_format_double(-0.0, buf), ==, "-0.0");
  g_assert_cmpstr(pl_json_format_double(NAN, buf), ==, "null");
  /* a second parser: Python's json must read the array and give the same doubles */
  char *path = tmp_file("numbers.json", arr->str, -1);
  char *cmd = g_strdup_printf("/usr/bin/python3 -c \"import json,sys; print(' '.join(float.hex(x) "
                              "for x in json.load(open(sys.argv[1]))))\" %s", path);
  char *out = NULL;
  int status = 0;
  g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL));
  g_assert_cmpint(status, ==, 0);
  char **hex = g_strsplit(g_strstrip(out), " ", -1);
  g_assert_cmpuint(g_strv_length(hex), ==, G_N_ELEMENTS(extremes));
  for (gsize k = 0; k < G_N_ELEMENTS(extremes); k++) {
    double v = g_ascii_strtod(hex[k], NULL); /* C99 hex floats */
    if (memcmp(&v, &extremes[k], sizeof v) != 0)
      g_error("Python read %s for %.17g", hex[k], extremes[k]);
  }
  g_strfreev(hex);
  g_free(out);
  g_free(cmd);
  g_free(path);
  g_string_free(arr, TRUE);
}

static void test_params_round_trip(void) {
  /* each extreme value through the settings JSON, read back bit for bit */
  for (gsize k = 0; k < G_N_ELEMENTS(extremes); k++) {
    double v = fabs(extremes[k]);
    if (signbit(extremes[k]) && extremes[k] != 0.0)
      continue;
    PlRunParams p, q;
    PlOperatorParams op, op2;
    pl_run_params_init(&p, PL_SOLVER_RESAMPLE);
    pl_operator_params_init(&op, PL_TASK_GAUSSIAN_BLUR, 64);
    p.omega = extremes[k]; /* -0.0 included */
    p.gamma = v;
    p.divergence_limit = v > 0 ? v : 1.0;
    p.resample.pixel_lr = v > 0 ? v : 1.0;
    p.seed = G_MAXUINT64; /* written as a string: it does not fit a JSON int64 */
    op.seed = (guint64)G_MAXINT64 + 1;
    op.blur_sigma = v > 0 ? v : 1.0;
    op.noise_sigma = v;
    char *json = pl_run_params_to_json(&p, &op);
    GError *e = NULL;
    if (!pl_run_params_from_json(json, &q, &op2, &e))
      g_error("%s: %s", json, e->message);
    g_assert_true(memcmp(&q.omega, &p.omega, sizeof(double)) == 0);
    g_assert_true(memcmp(&q.gamma, &p.gamma, sizeof(double)) == 0);
    g_assert_true(q.divergence_limit == p.divergence_limit);
    g_assert_true(q.resample.pixel_lr == p.resample.pixel_lr);
    g_assert_true(op2.blur_sigma == op.blur_sigma && op2.noise_sigma == op.noise_sigma);
    g_assert_true(q.seed == G_MAXUINT64 && op2.seed == (guint64)G_MAXINT64 + 1);
    g_free(json);
  }
}

static void test_not_regular_files(void) {
  /* a FIFO is refused at once (it blocked forever), a folder is named as one */
  char *fifo = g_build_filename(tmp_dir, "fifo", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  GError *e = NULL;
  g_assert_null(pl_run_record_load(fifo, &e));
  assert_contains(e->message, "is a FIFO (named pipe), not a regular file");
  g_clear_error(&e);
  g_assert_null(pl_image_load(fifo, &e));
  assert_contains(e->message, "FIFO");
  g_clear_error(&e);
  g_assert_null(pl_image_read_png_text(fifo, &e));
  g_clear_error(&e);
  g_assert_null(pl_run_record_load(tmp_dir, &e));
  assert_contains(e->message, "is a folder, not a regular file");
  g_clear_error(&e);
  g_remove(fifo);
  g_free(fifo);
}

static void test_png_text_length(void) {
  /* a tEXt chunk claiming 0x7fffffff bytes made libpng and our reader allocate 2 GiB */
  char *src = g_build_filename(g_getenv("PLORG_SOURCE_DIR"), "tests", "fuzz", "corpus", "image",
                               "emoji.png", NULL);
  guint8 *png = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(src, (char **)&png, &len, NULL));
  const gsize ihdr_end = 8 + 8 + 13 + 4;
  static const guint8 chunk[] = {0x7f, 0xff, 0xff, 0xff, 't', 'E', 'X', 't', 'k', 0, 'v'};
  GByteArray *b = g_byte_array_new();
  g_byte_array_append(b, png, ihdr_end);
  g_byte_array_append(b, chunk, sizeof chunk);
  g_byte_array_append(b, png + ihdr_end, len - ihdr_end);
  char *path = tmp_file("long-text.png", (const char *)b->data, b->len);
  gint64 t0 = g_get_monotonic_time();
  GError *e = NULL;
  g_assert_null(pl_image_read_png_text(path, &e));
  assert_contains(e->message, "runs past the end of the file");
  g_clear_error(&e);
  PlImage *img = pl_image_load(path, &e);
  g_assert_null(img);
  g_clear_error(&e);
  g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC); /* was a minute */
  g_byte_array_unref(b);
  g_free(path);
  g_free(png);
  g_free(src);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp("plorg-hostile-XXXXXX", NULL);
  g_test_add_func("/engine/hostile/nesting", test_nesting);
  g_test_add_func("/engine/hostile/size-limit", test_size_limit);
  g_test_add_func("/engine/hostile/huge-arrays", test_huge_arrays);
  g_test_add_func("/engine/hostile/integer-ranges", test_integer_ranges);
  g_test_add_func("/engine/hostile/validation-ranges", test_validation_ranges);
  g_test_add_func("/engine/hostile/number-format", test_number_format);
  g_test_add_func("/engine/hostile/params-round-trip", test_params_round_trip);
  g_test_add_func("/engine/hostile/not-regular-files", test_not_regular_files);
  g_test_add_func("/engine/hostile/png-text-length", test_png_text_length);
  int rc = g_test_run();
  char *cmd = g_strdup_printf("rm -rf '%s'", tmp_dir);
  (void)!system(cmd);
  g_free(cmd);
  g_free(tmp_dir);
  return rc;
}
