/* json-glib helpers: nullable doubles, defaults for missing members, float blobs. */
#include "pl_json_util.h"
#include <math.h>
#include <string.h>

void pl_json_add_double_value(JsonBuilder *b, double v) {
  if (isfinite(v))
    json_builder_add_double_value(b, v);
  else
    json_builder_add_null_value(b);
}

void pl_json_add_double(JsonBuilder *b, const char *name, double v) {
  json_builder_set_member_name(b, name);
  pl_json_add_double_value(b, v);
}

static JsonNode *member(JsonObject *o, const char *name) {
  return (o && json_object_has_member(o, name)) ? json_object_get_member(o, name) : NULL;
}

double pl_json_double(JsonObject *o, const char *name, double def) {
  JsonNode *n = member(o, name);
  if (!n)
    return def;
  if (JSON_NODE_HOLDS_NULL(n))
    return NAN;
  if (JSON_NODE_HOLDS_VALUE(n)) {
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_DOUBLE || t == G_TYPE_INT64 || t == G_TYPE_BOOLEAN)
      return json_node_get_double(n);
  }
  return def;
}

gint64 pl_json_int(JsonObject *o, const char *name, gint64 def) {
  JsonNode *n = member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return def;
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64 || t == G_TYPE_BOOLEAN)
    return json_node_get_int(n);
  if (t == G_TYPE_DOUBLE)
    return (gint64)json_node_get_double(n);
  return def;
}

gboolean pl_json_bool(JsonObject *o, const char *name, gboolean def) {
  JsonNode *n = member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return def;
  return json_node_get_boolean(n);
}

const char *pl_json_string(JsonObject *o, const char *name) {
  JsonNode *n = member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

JsonObject *pl_json_object(JsonObject *o, const char *name) {
  JsonNode *n = member(o, name);
  return (n && JSON_NODE_HOLDS_OBJECT(n)) ? json_node_get_object(n) : NULL;
}

JsonArray *pl_json_array(JsonObject *o, const char *name) {
  JsonNode *n = member(o, name);
  return (n && JSON_NODE_HOLDS_ARRAY(n)) ? json_node_get_array(n) : NULL;
}

void pl_json_add_u64(JsonBuilder *b, const char *name, guint64 v) {
  json_builder_set_member_name(b, name);
  if (v <= (guint64)G_MAXINT64) {
    json_builder_add_int_value(b, (gint64)v);
  } else {
    char buf[32];
    g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
    json_builder_add_string_value(b, buf);
  }
}

guint64 pl_json_u64(JsonObject *o, const char *name, guint64 def) {
  const char *s = pl_json_string(o, name);
  if (s)
    return g_ascii_strtoull(s, NULL, 10);
  JsonNode *n = member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return def;
  return (guint64)json_node_get_int(n);
}

char *pl_floats_to_b64(const float *v, size_t n) {
  guint32 *le = g_new(guint32, n ? n : 1);
  for (size_t k = 0; k < n; k++) {
    guint32 u;
    memcpy(&u, &v[k], 4);
    le[k] = GUINT32_TO_LE(u);
  }
  char *s = g_base64_encode((const guchar *)le, n * 4);
  g_free(le);
  return s;
}

float *pl_floats_from_b64(const char *s, size_t *n) {
  gsize len = 0;
  guchar *raw = g_base64_decode(s, &len);
  if (!raw || len % 4 != 0) {
    g_free(raw);
    *n = 0;
    return NULL;
  }
  *n = len / 4;
  float *v = g_new(float, *n ? *n : 1);
  for (size_t k = 0; k < *n; k++) {
    guint32 u;
    memcpy(&u, raw + 4 * k, 4);
    u = GUINT32_FROM_LE(u);
    memcpy(&v[k], &u, 4);
  }
  g_free(raw);
  return v;
}
