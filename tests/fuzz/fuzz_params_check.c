/* See fuzz_params_check.h. */
#include "fuzz_params_check.h"
#include "fuzz.h"
#include <string.h>

void fuzz_check_params_round_trip(const PlRunParams *p, const PlOperatorParams *op) {
  char *a = pl_run_params_to_json(p, op);
  PlRunParams p2;
  PlOperatorParams op2;
  GError *e = NULL;
  if (!pl_run_params_from_json(a, &p2, op ? &op2 : NULL, &e))
    g_error("accepted parameters do not read back: %s\n%s", e->message, a);
  if (op && op->task == PL_TASK_INPAINT_MASK)
    op2.mask = op->mask; /* the mask is read back by pl_run_record_load only */
  char *b = pl_run_params_to_json(&p2, op ? &op2 : NULL);
  if (strcmp(a, b) != 0)
    g_error("parameters changed in a round trip:\n%s\n%s", a, b);
  g_free(a);
  g_free(b);
}
