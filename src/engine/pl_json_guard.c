/* Size and depth limits for JSON input, checked before json-glib parses (pl_json_guard.h).
 *
 * Limits (why these numbers):
 * - depth 64 everywhere: the deepest thing we write is a run record's singular values,
 *   7 levels (record / steps / step / samples / sample / singular_values / row).
 * - run record 512 MiB: the default run writes ~0.4 MB; the largest the engine can make
 *   on the bundled model (1000 steps x batch 64, 3 x 16 singular values per sample) is
 *   ~100 MB of text, and a 64 x 64-latent model at batch 8 about as much.
 * - settings 16 MiB: ~2 KB of parameters plus a drawn mask as base64 (0.35 MB at 256 px,
 *   5.6 MB at 1024 px); the same cap as the PNG text reader's.
 * - sweep cell 1 MiB: one cell is ~1 KB (its image path is the only free-length text).
 * - manifest 1 MiB: model.json is ~1 KB. */
#include "pl_json_guard.h"
#include "pl_model.h"
#include "pl_file.h"

const PlJsonLimits pl_json_limits_record = {"run record", 512u << 20, 64};
const PlJsonLimits pl_json_limits_settings = {"settings", 16u << 20, 64};
const PlJsonLimits pl_json_limits_cell = {"sweep cell", 1u << 20, 64};
const PlJsonLimits pl_json_limits_manifest = {"model manifest", 1u << 20, 64};

gboolean pl_json_check_limits(const char *text, gsize len, const PlJsonLimits *lim,
                              GError **error) {
  if (len > lim->max_bytes) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                "%s: %" G_GSIZE_FORMAT " bytes is more than the %" G_GSIZE_FORMAT
                " bytes accepted", lim->what, len, lim->max_bytes);
    return FALSE;
  }
  guint depth = 0;
  gboolean in_string = FALSE, escaped = FALSE;
  for (gsize k = 0; k < len; k++) {
    char c = text[k];
    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = FALSE;
      continue;
    }
    switch (c) {
    case '"':
      in_string = TRUE;
      break;
    case '[':
    case '{':
      if (++depth > lim->max_depth) {
        g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID,
                    "%s: nested deeper than %u levels (at byte %" G_GSIZE_FORMAT ")", lim->what,
                    lim->max_depth, k);
        return FALSE;
      }
      break;
    case ']':
    case '}':
      if (depth > 0) /* unbalanced input is the parser's to report */
        depth--;
      break;
    default:
      break;
    }
  }
  return TRUE;
}

JsonParser *pl_json_parse_data(const char *text, gsize len, const PlJsonLimits *lim,
                               GError **error) {
  if (!pl_json_check_limits(text, len, lim, error))
    return NULL;
  JsonParser *parser = json_parser_new_immutable();
  GError *e = NULL;
  if (!json_parser_load_from_data(parser, text, (gssize)len, &e)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "%s: %s", lim->what,
                e->message);
    g_error_free(e);
    g_object_unref(parser);
    return NULL;
  }
  if (!json_parser_get_root(parser)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "%s: empty", lim->what);
    g_object_unref(parser);
    return NULL;
  }
  return parser;
}

JsonParser *pl_json_parse_file(const char *path, const PlJsonLimits *lim, GError **error) {
  gsize len = 0;
  GError *e = NULL;
  char *text = pl_file_read_regular(path, lim->max_bytes, &len, &e);
  if (!text) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_IO, "%s: %s", lim->what, e->message);
    g_error_free(e);
    return NULL;
  }
  JsonParser *parser = pl_json_parse_data(text, len, lim, &e);
  g_free(text);
  if (!parser) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "%s: %s", path, e->message);
    g_error_free(e);
  }
  return parser;
}
