/* Parsing JSON that other people send, safely: json-glib's parser is recursive (about
 * 75,000 nested brackets overflow the stack) and keeps the whole tree in memory, so every
 * JSON input the engine, the app and the CLI read goes through here. A small
 * non-recursive scanner checks the nesting depth and the size is checked before parsing.
 * Legitimate files are far inside the limits (numbers in pl_json_guard.c). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *what;     /* "run record", "settings", "sweep cell": used in messages */
  gsize max_bytes;
  guint max_depth;      /* brackets open at once */
} PlJsonLimits;

extern const PlJsonLimits pl_json_limits_record;    /* run.json */
extern const PlJsonLimits pl_json_limits_settings;  /* "plorg-params" PNG chunk, presets */
extern const PlJsonLimits pl_json_limits_cell;      /* sweep cells/NAME.json */
extern const PlJsonLimits pl_json_limits_manifest;  /* model.json (checked before the shim) */

/* TRUE when text (len bytes) is within the limits; else FALSE with an error (domain
 * PL_ENGINE_ERROR, code INVALID) that names the limit and the byte offset. Linear time,
 * constant stack. It does not validate the JSON grammar (the parser does). */
gboolean pl_json_check_limits(const char *text, gsize len, const PlJsonLimits *lim,
                              GError **error);

/* Check, then parse. The parser (g_object_unref it) has a root node; NULL with error.
 * Files must be regular files (a FIFO is refused, not waited on) within max_bytes. */
JsonParser *pl_json_parse_data(const char *text, gsize len, const PlJsonLimits *lim,
                               GError **error);
JsonParser *pl_json_parse_file(const char *path, const PlJsonLimits *lim, GError **error);

G_END_DECLS
