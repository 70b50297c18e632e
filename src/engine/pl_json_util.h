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
/* Checked reading (hostile files): the first problem is kept in jr->error, naming
 * "where.name", what was found and the allowed range; later calls do nothing. A missing
 * member keeps *v. Integers must be whole numbers in [min,max] (a double such as 1e300
 * is never cast to an int); doubles may be null (NaN, what we write for non-finite). */
typedef struct {
  const char *where;   /* "params", "params.resample", "steps[3]", ... */
  GError *error;       /* first problem, or NULL */
} PlJsonReader;
void pl_jr_int(PlJsonReader *jr, JsonObject *o, const char *name, int *v, int min, int max);
void pl_jr_double(PlJsonReader *jr, JsonObject *o, const char *name, double *v);
void pl_jr_bool(PlJsonReader *jr, JsonObject *o, const char *name, gboolean *v);
void pl_jr_u64(PlJsonReader *jr, JsonObject *o, const char *name, guint64 *v);
/* An array member of the given length limit (0 .. max); NULL and *len 0 when missing or
 * when it is not an array (then jr->error says so). */
JsonArray *pl_jr_array(PlJsonReader *jr, JsonObject *o, const char *name, guint max, guint *len);
/* Element k of an array as a double (null: NaN) / object; errors name where[k]. */
double pl_jr_double_at(PlJsonReader *jr, JsonArray *a, const char *name, guint k);
JsonObject *pl_jr_object_at(PlJsonReader *jr, JsonArray *a, const char *name, guint k);
/* Move the first problem into error (prefixed by prefix): FALSE when there was one. */
gboolean pl_jr_finish(PlJsonReader *jr, const char *prefix, GError **error);

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
