/* json-glib helpers: nullable doubles, defaults for missing members, float blobs. */
#include "pl_json_util.h"
#include <math.h>
#include <stdarg.h>
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
  if (t == G_TYPE_DOUBLE) {
    /* saturate: casting a double outside gint64 is undefined behaviour */
    double d = json_node_get_double(n);
    if (!(d == d))
      return def;
    if (d >= 9.2233720368547758e18)
      return G_MAXINT64;
    if (d <= -9.2233720368547758e18)
      return G_MININT64;
    return (gint64)d;
  }
  return def;
}

static void jr_fail(PlJsonReader *jr, const char *name, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void jr_fail(PlJsonReader *jr, const char *name, const char *fmt, ...) {
  if (jr->error)
    return;
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  jr->error = g_error_new(PL_ENGINE_ERROR, PL_ENGINE_ERROR_INVALID, "%s%s%s: %s",
                          jr->where ? jr->where : "", jr->where && *jr->where ? "." : "", name,
                          msg);
  g_free(msg);
}

static const char *node_kind(JsonNode *n) {
  if (JSON_NODE_HOLDS_OBJECT(n)) return "an object";
  if (JSON_NODE_HOLDS_ARRAY(n)) return "an array";
  if (JSON_NODE_HOLDS_NULL(n)) return "null";
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_STRING) return "a string";
  if (t == G_TYPE_BOOLEAN) return "a boolean";
  return "a number";
}

/* A number node as a double; FALSE for other kinds. */
static gboolean node_number(JsonNode *n, double *d, gboolean *is_int, gint64 *i) {
  if (!JSON_NODE_HOLDS_VALUE(n))
    return FALSE;
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64) {
    *i = json_node_get_int(n);
    *d = (double)*i;
    *is_int = TRUE;
    return TRUE;
  }
  if (t == G_TYPE_DOUBLE) {
    *d = json_node_get_double(n);
    *is_int = FALSE;
    return TRUE;
  }
  return FALSE;
}

void pl_jr_int(PlJsonReader *jr, JsonObject *o, const char *name, int *v, int min, int max) {
  JsonNode *n = member(o, name);
  if (!n || jr->error)
    return;
  double d = 0;
  gint64 i = 0;
  gboolean is_int = FALSE;
  if (!node_number(n, &d, &is_int, &i)) {
    jr_fail(jr, name, "must be a whole number in [%d, %d], not %s", min, max, node_kind(n));
    return;
  }
  if (!is_int) {
    /* 250.0 is fine (other writers); 2.5 and 1e300 are not */
    if (!(d >= (double)min && d <= (double)max) || d != floor(d)) {
      jr_fail(jr, name, "must be a whole number in [%d, %d], not %.17g", min, max, d);
      return;
    }
    i = (gint64)d;
  }
  if (i < min || i > max) {
    jr_fail(jr, name, "must be in [%d, %d], not %" G_GINT64_FORMAT, min, max, i);
    return;
  }
  *v = (int)i;
}

void pl_jr_double(PlJsonReader *jr, JsonObject *o, const char *name, double *v) {
  JsonNode *n = member(o, name);
  if (!n || jr->error)
    return;
  if (JSON_NODE_HOLDS_NULL(n)) {
    *v = NAN;
    return;
  }
  double d = 0;
  gint64 i = 0;
  gboolean is_int = FALSE;
  if (!node_number(n, &d, &is_int, &i)) {
    jr_fail(jr, name, "must be a number, not %s", node_kind(n));
    return;
  }
  *v = d;
}

void pl_jr_bool(PlJsonReader *jr, JsonObject *o, const char *name, gboolean *v) {
  JsonNode *n = member(o, name);
  if (!n || jr->error)
    return;
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
    jr_fail(jr, name, "must be true or false, not %s", node_kind(n));
    return;
  }
  *v = json_node_get_boolean(n);
}

void pl_jr_u64(PlJsonReader *jr, JsonObject *o, const char *name, guint64 *v) {
  JsonNode *n = member(o, name);
  if (!n || jr->error)
    return;
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
    const char *s = json_node_get_string(n);
    guint64 u = 0;
    if (!g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &u, NULL)) {
      jr_fail(jr, name, "must be an integer in [0, %" G_GUINT64_FORMAT "], not \"%.40s\"",
              G_MAXUINT64, s);
      return;
    }
    *v = u;
    return;
  }
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
      json_node_get_int(n) < 0) {
    jr_fail(jr, name, "must be an integer in [0, %" G_GUINT64_FORMAT "]", G_MAXUINT64);
    return;
  }
  *v = (guint64)json_node_get_int(n);
}

JsonArray *pl_jr_array(PlJsonReader *jr, JsonObject *o, const char *name, guint max, guint *len) {
  *len = 0;
  JsonNode *n = member(o, name);
  if (!n || jr->error)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY(n)) {
    jr_fail(jr, name, "must be an array, not %s", node_kind(n));
    return NULL;
  }
  JsonArray *a = json_node_get_array(n);
  guint l = json_array_get_length(a);
  if (l > max) {
    jr_fail(jr, name, "has %u entries; at most %u are possible here", l, max);
    return NULL;
  }
  *len = l;
  return a;
}

double pl_jr_double_at(PlJsonReader *jr, JsonArray *a, const char *name, guint k) {
  JsonNode *n = json_array_get_element(a, k);
  if (JSON_NODE_HOLDS_NULL(n))
    return NAN;
  double d = NAN;
  gint64 i = 0;
  gboolean is_int = FALSE;
  if (!node_number(n, &d, &is_int, &i)) {
    char *at = g_strdup_printf("%s[%u]", name, k);
    jr_fail(jr, at, "must be a number or null, not %s", node_kind(n));
    g_free(at);
    return NAN;
  }
  return d;
}

JsonObject *pl_jr_object_at(PlJsonReader *jr, JsonArray *a, const char *name, guint k) {
  JsonNode *n = json_array_get_element(a, k);
  if (!JSON_NODE_HOLDS_OBJECT(n)) {
    char *at = g_strdup_printf("%s[%u]", name, k);
    jr_fail(jr, at, "must be an object, not %s", node_kind(n));
    g_free(at);
    return NULL;
  }
  return json_node_get_object(n);
}

gboolean pl_jr_finish(PlJsonReader *jr, const char *prefix, GError **error) {
  if (!jr->error)
    return TRUE;
  if (prefix)
    g_prefix_error(&jr->error, "%s", prefix);
  g_propagate_error(error, jr->error);
  jr->error = NULL;
  return FALSE;
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
