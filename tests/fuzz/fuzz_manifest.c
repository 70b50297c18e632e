/* Fuzz target: a bundle's model.json (the shim's manifest parser). The folder holds
 * only model.json, so a manifest that parses stops at the missing unet.pt: the parser is
 * exercised without loading TorchScript. Every input must fail with a status and a
 * message naming a file. */
#include "fuzz.h"
#include "plorg_shim.h"
#include <string.h>

const char *const fuzz_kind = "manifest";
void fuzz_init(void) {}

int fuzz_one(const uint8_t *data, size_t len) {
  char *path = fuzz_write_tmp("model.json", data, len);
  PlShimLoadParams lp;
  plshim_load_params_init(&lp);
  PlShimModel *m = NULL;
  PlShimStatus st = plshim_model_load(fuzz_tmp_dir(), &lp, &m);
  if (st == PLSHIM_OK || m)
    g_error("a bundle without networks loaded");
  const char *msg = plshim_last_error();
  if (!msg || !strstr(msg, fuzz_tmp_dir()))
    g_error("status %d without a message naming the bundle: %s", (int)st, msg ? msg : "(none)");
  g_free(path);
  /* 1: the manifest itself passed (the failure is the missing network file) */
  return st == PLSHIM_ERR_MISSING_FILE && strstr(msg, "unet.pt") ? 1 : 0;
}
