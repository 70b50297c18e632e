/* Small json-glib helpers for run records (private). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include "pl_run.h"

G_BEGIN_DECLS

/* Non-finite doubles are written as null (JSON has no NaN) and read back as NaN. */
void pl_json_add_double(JsonBuilder *b, const char *name, double v);
void pl_json_add_double_value(JsonBuilder *b, double v);
double pl_json_double(JsonObject *o, const char *name, double def);
gint64 pl_json_int(JsonObject *o, const char *name, gint64 def);
gboolean pl_json_bool(JsonObject *o, const char *name, gboolean def);
const char *pl_json_string(JsonObject *o, const char *name);
JsonObject *pl_json_object(JsonObject *o, const char *name);
JsonArray *pl_json_array(JsonObject *o, const char *name);
/* guint64 as a JSON integer when it fits gint64, else as a decimal string */
void pl_json_add_u64(JsonBuilder *b, const char *name, guint64 v);
guint64 pl_json_u64(JsonObject *o, const char *name, guint64 def);

/* float32 arrays as base64 of little-endian bytes */
char *pl_floats_to_b64(const float *v, size_t n);
float *pl_floats_from_b64(const char *s, size_t *n);

/* Parameters <-> JSON ("operator" nested). mask: n*n or NULL. */
void pl_json_build_params(JsonBuilder *b, const PlRunParams *p, const PlOperatorParams *op);
gboolean pl_json_read_params(JsonObject *o, PlRunParams *p, PlOperatorParams *op,
                             float **mask_out, GError **error);

G_END_DECLS
