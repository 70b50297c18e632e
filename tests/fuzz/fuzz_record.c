/* Fuzz target: run records (pl_run_record_load). Accepted records must respect the
 * sizes their own parameters allow and round-trip their parameters exactly. */
#include "fuzz.h"
#include "fuzz_params_check.h"
#include "pl_run_record.h"
#include "pl_engine_private.h" /* pl_run_params_validate */

const char *const fuzz_kind = "record";
void fuzz_init(void) {}

int fuzz_one(const uint8_t *data, size_t len) {
  char *path = fuzz_write_tmp("run.json", data, len);
  GError *e = NULL;
  PlRunRecord *r = pl_run_record_load(path, &e);
  g_free(path);
  if (!r) {
    fuzz_check_error(e, "pl_run_record_load");
    g_error_free(e);
    return 0;
  }
  if (!pl_run_params_validate(&r->params, PL_RUN_MAX_STEPS, NULL))
    g_error("an accepted record has invalid parameters");
  if (r->steps->len > (guint)r->params.steps)
    g_error("%u step reports for %d steps", r->steps->len, r->params.steps);
  for (guint k = 0; k < r->steps->len; k++) {
    const PlStepReport *s = g_ptr_array_index(r->steps, k);
    if (s->batch > r->params.batch || s->kmax > r->op.size)
      g_error("step %u: batch %d kmax %d beyond the record's %d / %d", k, s->batch, s->kmax,
              r->params.batch, r->op.size);
  }
  if (r->n_samples > r->params.batch || !r->changes || !r->y)
    g_error("inconsistent record (samples %d, batch %d)", r->n_samples, r->params.batch);
  fuzz_check_params_round_trip(&r->params, &r->op);
  pl_run_record_free(r);
  return 1;
}
