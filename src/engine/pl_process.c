/* OMP_WAIT_POLICY=PASSIVE via a one-time re-exec (see pl_process.h for why). */
#include "pl_process.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#define REEXEC_GUARD "PLORG_OMP_REEXEC"

void pl_process_ensure_omp_passive(int argc, char **argv) {
  const char *policy = getenv("OMP_WAIT_POLICY");
  if (policy && *policy)
    return;
  if (getenv(REEXEC_GUARD))
    return; /* we already re-executed once; do not loop */
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0 || setenv(REEXEC_GUARD, "1", 1) != 0)
    return;
  if (argc < 1 || !argv)
    return;
  execv("/proc/self/exe", argv);
  /* exec failed (no /proc?): the environment is set, so at least children inherit it */
  fprintf(stderr, "plorg: warning: could not re-exec with OMP_WAIT_POLICY=PASSIVE: %s\n",
          strerror(errno));
}
