/* JSON text from a json-glib tree with round-trip numbers (pl_json_write.h). */
#include "pl_json_write.h"
#include <math.h>
#include <string.h>

const char *pl_json_format_double(double v, char buf[PL_JSON_DOUBLE_BUF]) {
  if (!isfinite(v)) {
    g_strlcpy(buf, "null", PL_JSON_DOUBLE_BUF);
    return buf;
  }
  /* %g drops trailing zeros, so the first precision that round-trips gives the shortest
   * digits: any shorter exact decimal reappears at 15 digits, padded with zeros. */
  static const char *const fmt[3] = {"%.15g", "%.16g", "%.17g"};
  for (int k = 0; k < 3; k++) {
    g_ascii_formatd(buf, PL_JSON_DOUBLE_BUF, fmt[k], v);
    if (g_ascii_strtod(buf, NULL) == v && signbit(g_ascii_strtod(buf, NULL)) == signbit(v))
      break;
  }
  if (!strpbrk(buf, ".eE"))
    g_strlcat(buf, ".0", PL_JSON_DOUBLE_BUF); /* "3" would read back as an integer */
  return buf;
}

static void put_string(GString *s, const char *str) {
  char *valid = g_utf8_validate(str, -1, NULL) ? NULL : g_utf8_make_valid(str, -1);
  const char *p = valid ? valid : str;
  g_string_append_c(s, '"');
  for (; *p; p++) {
    unsigned char c = (unsigned char)*p;
    switch (c) {
    case '"': g_string_append(s, "\\\""); break;
    case '\\': g_string_append(s, "\\\\"); break;
    case '\n': g_string_append(s, "\\n"); break;
    case '\r': g_string_append(s, "\\r"); break;
    case '\t': g_string_append(s, "\\t"); break;
    case '\b': g_string_append(s, "\\b"); break;
    case '\f': g_string_append(s, "\\f"); break;
    default:
      if (c < 0x20)
        g_string_append_printf(s, "\\u%04x", c);
      else
        g_string_append_c(s, (char)c);
    }
  }
  g_string_append_c(s, '"');
  g_free(valid);
}

static void put_newline(GString *s, gboolean pretty, int level) {
  if (!pretty)
    return;
  g_string_append_c(s, '\n');
  for (int k = 0; k < level; k++)
    g_string_append_c(s, ' ');
}

static void put_value(GString *s, JsonNode *n) {
  char buf[PL_JSON_DOUBLE_BUF];
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64)
    g_string_append_printf(s, "%" G_GINT64_FORMAT, json_node_get_int(n));
  else if (t == G_TYPE_DOUBLE)
    g_string_append(s, pl_json_format_double(json_node_get_double(n), buf));
  else if (t == G_TYPE_BOOLEAN)
    g_string_append(s, json_node_get_boolean(n) ? "true" : "false");
  else if (t == G_TYPE_STRING)
    put_string(s, json_node_get_string(n));
  else
    g_string_append(s, "null");
}

/* Recursive, but only over trees we built or that passed pl_json_guard's depth limit. */
static void put_node(GString *s, JsonNode *n, gboolean pretty, int level) {
  switch (n ? json_node_get_node_type(n) : JSON_NODE_NULL) {
  case JSON_NODE_OBJECT: {
    JsonObjectIter it;
    const char *name;
    JsonNode *m;
    gboolean first = TRUE;
    g_string_append_c(s, '{');
    json_object_iter_init_ordered(&it, json_node_get_object(n));
    while (json_object_iter_next_ordered(&it, &name, &m)) {
      if (!first)
        g_string_append_c(s, ',');
      first = FALSE;
      put_newline(s, pretty, level + 1);
      put_string(s, name);
      g_string_append(s, pretty ? " : " : ":"); /* json-glib's pretty style, as before */
      put_node(s, m, pretty, level + 1);
    }
    if (!first)
      put_newline(s, pretty, level);
    g_string_append_c(s, '}');
    break;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *a = json_node_get_array(n);
    guint len = json_array_get_length(a);
    g_string_append_c(s, '[');
    for (guint k = 0; k < len; k++) {
      if (k)
        g_string_append_c(s, ',');
      put_newline(s, pretty, level + 1);
      put_node(s, json_array_get_element(a, k), pretty, level + 1);
    }
    if (len)
      put_newline(s, pretty, level);
    g_string_append_c(s, ']');
    break;
  }
  case JSON_NODE_VALUE:
    put_value(s, n);
    break;
  case JSON_NODE_NULL:
  default:
    g_string_append(s, "null");
    break;
  }
}

char *pl_json_to_string(JsonNode *root, gboolean pretty, gsize *len_out) {
  GString *s = g_string_sized_new(1024);
  put_node(s, root, pretty, 0);
  if (pretty)
    g_string_append_c(s, '\n');
  if (len_out)
    *len_out = s->len;
  return g_string_free(s, FALSE);
}

gboolean pl_json_write_file(JsonNode *root, const char *path, GError **error) {
  gsize len = 0;
  char *text = pl_json_to_string(root, TRUE, &len);
  gboolean ok = g_file_set_contents(path, text, (gssize)len, error); /* temp file + rename */
  g_free(text);
  return ok;
}
