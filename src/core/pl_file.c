/* Regular-file-only reading with size limits (see pl_file.h). */
#include "pl_file.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(pl-file-error-quark, pl_file_error)

const char *pl_file_kind_name(unsigned st_mode) {
  if (S_ISREG(st_mode)) return NULL;
  if (S_ISDIR(st_mode)) return "a folder";
  if (S_ISFIFO(st_mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(st_mode)) return "a socket";
  if (S_ISCHR(st_mode) || S_ISBLK(st_mode)) return "a device";
  return "not a regular file";
}

FILE *pl_file_open_regular(const char *path, gint64 *size_out, GError **error) {
  if (!path) {
    g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_OPEN, "no file name given");
    return NULL;
  }
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
  int fd = g_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_OPEN, "cannot open %s: %s", path,
                g_strerror(e));
    return NULL;
  }
  struct stat st;
  const char *kind = NULL;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_OPEN, "cannot open %s: %s", path,
                g_strerror(e));
    close(fd);
    return NULL;
  }
  if ((kind = pl_file_kind_name(st.st_mode)) != NULL) {
    g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_NOT_REGULAR, "%s is %s, not a regular file",
                path, kind);
    close(fd);
    return NULL;
  }
  /* back to blocking reads: a regular file never blocks, and stdio expects it */
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  FILE *fp = fdopen(fd, "rb");
  if (!fp) {
    int e = errno;
    g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_OPEN, "cannot open %s: %s", path,
                g_strerror(e));
    close(fd);
    return NULL;
  }
  if (size_out)
    *size_out = (gint64)st.st_size;
  return fp;
}

char *pl_file_read_regular(const char *path, gsize max_bytes, gsize *len_out, GError **error) {
  gint64 size = 0;
  FILE *fp = pl_file_open_regular(path, &size, error);
  if (!fp)
    return NULL;
  if (size < 0 || (guint64)size > max_bytes) {
    g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_TOO_LARGE,
                "%s is %" G_GINT64_FORMAT " bytes; at most %" G_GSIZE_FORMAT " are read", path,
                size, max_bytes);
    fclose(fp);
    return NULL;
  }
  /* read at most the limit + 1 even if the file grew since fstat */
  gsize cap = (gsize)size, len = 0;
  char *buf = g_malloc(cap + 1);
  for (;;) {
    if (len == cap) {
      if (cap >= max_bytes) {
        int c = fgetc(fp);
        if (c == EOF)
          break;
        g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_TOO_LARGE,
                    "%s grew beyond %" G_GSIZE_FORMAT " bytes while read", path, max_bytes);
        g_free(buf);
        fclose(fp);
        return NULL;
      }
      cap = MIN(max_bytes, MAX(cap * 2, (gsize)4096));
      buf = g_realloc(buf, cap + 1);
    }
    size_t got = fread(buf + len, 1, cap - len, fp);
    len += got;
    if (got == 0)
      break;
  }
  if (ferror(fp)) {
    int e = errno;
    g_set_error(error, PL_FILE_ERROR, PL_FILE_ERROR_READ, "cannot read %s: %s", path,
                g_strerror(e));
    g_free(buf);
    fclose(fp);
    return NULL;
  }
  fclose(fp);
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  return buf;
}
