/* Deterministic mutation fuzzing for the test suite: every seed file of the corpus, then
 * --cases mutants (default 2000), mutant k made from seed k % n by a generator seeded
 * with (--seed, k), so a failure is reproduced by its number alone (--only K prints and
 * runs that one). TAP output. Also checks that memory stayed bounded: peak RSS under
 * --max-rss-mb (normal builds; ASan builds cap single allocations through
 * ASAN_OPTIONS=max_allocation_size_mb instead, see tests/fuzz/meson.build). */
#include "fuzz.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct { guint8 *data; gsize len; } Buf;

/* Tokens that broke parsers and converters before (issue 12) or sit at type edges. */
static const char *const tokens[] = {
    "1e300", "-1e300", "1e+30", "1e20", "4294967298", "2147483647", "-2147483648",
    "9223372036854775807", "18446744073709551616", "-1", "0", "-0", "-0.0", "nan", "NaN",
    "Infinity", "null", "true", "\"\"", "[]", "{}", "2e9", "5e-324", "1.5", "0.1234567",
    "\"\\u0000\"", "\"\xff\xfe\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
};

static guint32 rnd(GRand *r, guint32 n) { return n ? g_rand_int_range(r, 0, (gint32)n) : 0; }

static void mutate_once(GRand *r, GString *s) {
  gsize len = s->len;
  switch (rnd(r, 9)) {
  case 0: /* flip a bit */
    if (len) s->str[rnd(r, len)] ^= (char)(1u << rnd(r, 8));
    break;
  case 1: { /* set a byte to an interesting one */
    static const char bytes[] = "{}[]\",:0-9e.\\\x00\xff\x7f";
    if (len) s->str[rnd(r, len)] = bytes[rnd(r, sizeof bytes - 1)];
    break;
  }
  case 2: /* delete a range */
    if (len) {
      gsize at = rnd(r, len), want = 1 + rnd(r, 64), n = MIN(len - at, want); /* MIN evaluates twice */
      g_string_erase(s, (gssize)at, (gssize)n);
    }
    break;
  case 3: { /* duplicate a range */
    if (!len) break;
    gsize at = rnd(r, len), want = 1 + rnd(r, 256), n = MIN(len - at, want);
    char *copy = g_strndup(s->str + at, n);
    g_string_insert_len(s, (gssize)rnd(r, len), copy, (gssize)n);
    g_free(copy);
    break;
  }
  case 4: { /* replace a number with an edge token */
    if (!len) break;
    gsize at = rnd(r, len);
    while (at < len && !g_ascii_isdigit(s->str[at])) at++;
    if (at == len) break;
    gsize end = at;
    while (end < len && (g_ascii_isdigit(s->str[end]) || strchr(".eE+-", s->str[end]))) end++;
    if (at > 0 && s->str[at - 1] == '-') at--;
    g_string_erase(s, (gssize)at, (gssize)(end - at));
    g_string_insert(s, (gssize)at, tokens[rnd(r, G_N_ELEMENTS(tokens))]);
    break;
  }
  case 5: /* insert an edge token anywhere */
    g_string_insert(s, (gssize)rnd(r, len + 1), tokens[rnd(r, G_N_ELEMENTS(tokens))]);
    break;
  case 6: /* truncate */
    if (len) g_string_truncate(s, rnd(r, len));
    break;
  case 7: { /* deep nesting: the stack overflow of issue 12 item 1 */
    gsize depth = 1 + rnd(r, 100000);
    GString *deep = g_string_sized_new(depth * 2);
    for (gsize k = 0; k < depth; k++) g_string_append_c(deep, '[');
    for (gsize k = 0; k < depth; k++) g_string_append_c(deep, ']');
    g_string_insert_len(s, (gssize)rnd(r, len + 1), deep->str, (gssize)deep->len);
    g_string_free(deep, TRUE);
    break;
  }
  default: { /* a 32-bit field set to an edge value (binary formats: lengths, sizes) */
    if (len < 4) break;
    static const guint32 edge[] = {0x7fffffffu, 0xffffffffu, 0x80000000u, 0, 1, 0x10000u, 0x2000u, 0x2001u};
    guint32 v = GUINT32_TO_BE(edge[rnd(r, G_N_ELEMENTS(edge))]);
    memcpy(s->str + rnd(r, len - 3), &v, 4);
    break;
  }
  }
}

static GPtrArray *load_corpus(const char *dir) {
  GPtrArray *seeds = g_ptr_array_new();
  GDir *d = g_dir_open(dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    g_ptr_array_add(names, g_strdup(name));
  if (d) g_dir_close(d);
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0); /* sorted: the same mutants everywhere */
  for (guint k = 0; k < names->len; k++) {
    char *path = g_build_filename(dir, g_ptr_array_index(names, k), NULL);
    Buf *b = g_new0(Buf, 1);
    if (g_file_get_contents(path, (char **)&b->data, &b->len, NULL))
      g_ptr_array_add(seeds, b);
    else
      g_free(b);
    g_free(path);
  }
  g_ptr_array_unref(names);
  return seeds;
}

int main(int argc, char **argv) {
  int cases = 2000, only = -1, max_rss_mb = 1024;
  gint64 seed = 12;
  const char *corpus = NULL;
  GOptionEntry entries[] = {
      {"cases", 0, 0, G_OPTION_ARG_INT, &cases, "Mutants to run (default 2000)", "N"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Generator seed (default 12)", "S"},
      {"only", 0, 0, G_OPTION_ARG_INT, &only, "Run only mutant K (and save it as fuzz-K.bin)", "K"},
      {"corpus", 0, 0, G_OPTION_ARG_FILENAME, &corpus, "Seed folder (default: the repo's)", "DIR"},
      {"max-rss-mb", 0, 0, G_OPTION_ARG_INT, &max_rss_mb, "Peak RSS allowed (default 1024)", "MB"},
      {"tap", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &(gboolean){0}, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("- mutation fuzzing of one input kind");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *e = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    fprintf(stderr, "%s\n", e->message);
    return 2;
  }
  g_option_context_free(ctx);
  const char *src = g_getenv("PLORG_SOURCE_DIR");
  char *dir = corpus ? g_strdup(corpus)
                     : g_build_filename(src ? src : ".", "tests", "fuzz", "corpus", fuzz_kind, NULL);
  GPtrArray *seeds = load_corpus(dir);
  printf("1..2\n");
  if (seeds->len == 0) {
    printf("not ok 1 - no seed files in %s\n", dir);
    return 1;
  }
  fuzz_init();
  gint64 t0 = g_get_monotonic_time();
  int accepted = 0, seeds_ok = 0;
  if (only < 0)
    for (guint k = 0; k < seeds->len; k++) {
      Buf *b = g_ptr_array_index(seeds, k);
      seeds_ok += fuzz_one(b->data, b->len);
    }
  for (int k = only >= 0 ? only : 0; k < (only >= 0 ? only + 1 : cases); k++) {
    GRand *r = g_rand_new_with_seed_array((const guint32[]){(guint32)seed, (guint32)k}, 2);
    Buf *b = g_ptr_array_index(seeds, (guint)k % seeds->len);
    GString *s = g_string_new_len((const char *)b->data, (gssize)b->len);
    int n = 1 + (int)rnd(r, 4);
    for (int m = 0; m < n; m++)
      mutate_once(r, s);
    if (only >= 0) {
      char *name = g_strdup_printf("fuzz-%d.bin", k);
      g_file_set_contents(name, s->str, (gssize)s->len, NULL);
      fprintf(stderr, "mutant %d saved as %s (%zu bytes)\n", k, name, s->len);
      g_free(name);
    }
    accepted += fuzz_one((const uint8_t *)s->str, s->len);
    g_string_free(s, TRUE);
    g_rand_free(r);
  }
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  int ran = only >= 0 ? 1 : cases;
  printf("ok 1 - %s: %u seeds (%d accepted), %d mutants: %d accepted, %d rejected with an "
         "error, none crashed (%.2f s)\n", fuzz_kind, seeds->len, seeds_ok, ran, accepted,
         ran - accepted, secs);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  long rss_mb = ru.ru_maxrss / 1024;
#if defined(__SANITIZE_ADDRESS__)
  printf("ok 2 - peak RSS %ld MB (not checked under ASan: max_allocation_size_mb caps each allocation)\n", rss_mb);
#else
  if (rss_mb > max_rss_mb) {
    printf("not ok 2 - peak RSS %ld MB > %d MB\n", rss_mb, max_rss_mb);
    return 1;
  }
  printf("ok 2 - peak RSS %ld MB <= %d MB\n", rss_mb, max_rss_mb);
#endif
  if (seeds_ok != (int)seeds->len && only < 0) {
    printf("# warning: %u of %u seeds rejected\n", seeds->len - seeds_ok, seeds->len);
  }
  g_free(dir);
  return 0;
}
