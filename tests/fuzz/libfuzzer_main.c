/* libFuzzer entry (meson -Dfuzzers=true with clang): the same targets as the test suite's
 * mutation driver, coverage-guided. Run e.g.
 *   build-fuzz/tests/fuzz/libfuzz-record -max_total_time=600 tests/fuzz/corpus/record */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static gboolean ready = FALSE;
  if (!ready) {
    fuzz_init();
    ready = TRUE;
  }
  fuzz_one(data, size);
  return 0;
}
