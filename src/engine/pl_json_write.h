/* Writing JSON that every parser reads back exactly. json-glib 1.6 writes doubles with
 * "%.17g" and appends ".0" when there is no '.', so 1e30 becomes "1e+30.0" (invalid JSON:
 * the file cannot be read back). Every JSON file and string the project writes is made
 * here instead, numbers by pl_json_format_double. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PL_JSON_DOUBLE_BUF 32
/* The shortest decimal that reads back as exactly v (at most 17 significant digits),
 * with a '.' or an exponent so it reads back as a double ("1.0", "-0.0", "1e+30",
 * "4.9406564584124654e-324"); "null" for NaN and infinities (JSON has none). */
const char *pl_json_format_double(double v, char buf[PL_JSON_DOUBLE_BUF]);

/* The tree as text (pretty: one member per line, indented by one space per level).
 * Strings that are not valid UTF-8 are written with U+FFFD for the bad bytes. */
char *pl_json_to_string(JsonNode *root, gboolean pretty, gsize *len_out);
/* ... and into a file, atomically (temporary file + rename). */
gboolean pl_json_write_file(JsonNode *root, const char *path, GError **error);

G_END_DECLS
