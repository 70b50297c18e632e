/* Opening files that other people send: regular files only, and sizes checked before
 * anything is allocated. A FIFO, a device or a folder is refused at once instead of
 * blocking or failing later with a misleading message. */
#pragma once
#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

#define PL_FILE_ERROR (pl_file_error_quark())
GQuark pl_file_error_quark(void);
typedef enum {
  PL_FILE_ERROR_OPEN,        /* cannot open (errno message) */
  PL_FILE_ERROR_NOT_REGULAR, /* a folder, FIFO, socket or device */
  PL_FILE_ERROR_TOO_LARGE,   /* larger than the caller's limit */
  PL_FILE_ERROR_READ,
} PlFileError;

/* "a folder", "a FIFO", ... for the file type in st_mode, NULL for a regular file. */
const char *pl_file_kind_name(unsigned st_mode);

/* Open a regular file for reading (never blocks on a FIFO); NULL with error naming the
 * path and what it is. *size_out (may be NULL) gets its size in bytes. */
FILE *pl_file_open_regular(const char *path, gint64 *size_out, GError **error);

/* Whole contents of a regular file of at most max_bytes, NUL-terminated; NULL with error
 * (PL_FILE_ERROR_TOO_LARGE names the size and the limit). */
char *pl_file_read_regular(const char *path, gsize max_bytes, gsize *len_out, GError **error);

G_END_DECLS
