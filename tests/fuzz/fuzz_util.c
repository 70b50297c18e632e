/* Shared by the fuzz targets and both drivers: scratch files, error checks. */
#include "fuzz.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

static char *tmp_dir = NULL;

static void remove_tmp(void) {
  if (!tmp_dir)
    return;
  GDir *d = g_dir_open(tmp_dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = g_build_filename(tmp_dir, name, NULL);
    g_remove(p);
    g_free(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(tmp_dir);
  g_clear_pointer(&tmp_dir, g_free);
}

const char *fuzz_tmp_dir(void) {
  if (!tmp_dir) {
    GError *e = NULL;
    tmp_dir = g_dir_make_tmp("plorg-fuzz-XXXXXX", &e);
    if (!tmp_dir)
      g_error("cannot make a scratch folder: %s", e->message);
    atexit(remove_tmp);
  }
  return tmp_dir;
}

char *fuzz_write_tmp(const char *name, const uint8_t *data, size_t len) {
  char *path = g_build_filename(fuzz_tmp_dir(), name, NULL);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
    g_error("cannot write %s", path);
  return path;
}

void fuzz_check_error(const GError *error, const char *what) {
  if (!error || !error->message || !*error->message)
    g_error("%s failed without an error message", what);
}
