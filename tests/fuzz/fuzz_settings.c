/* Fuzz target: the settings JSON of a PNG's "plorg-params" text chunk (what the app
 * reads when a PNG is opened: pl_run_params_from_json). */
#include "fuzz.h"
#include "fuzz_params_check.h"

const char *const fuzz_kind = "settings";
void fuzz_init(void) {}

int fuzz_one(const uint8_t *data, size_t len) {
  char *text = g_strndup((const char *)data, len); /* a text chunk ends at its first NUL */
  PlRunParams p;
  PlOperatorParams op;
  GError *e = NULL;
  gboolean ok = pl_run_params_from_json(text, &p, &op, &e);
  g_free(text);
  if (!ok) {
    fuzz_check_error(e, "pl_run_params_from_json");
    g_error_free(e);
    return 0;
  }
  if (op.task != PL_TASK_INPAINT_MASK)
    fuzz_check_params_round_trip(&p, &op);
  return 1;
}
