/* Process set-up that must happen before any library starts threads. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* libgomp reads OMP_WAIT_POLICY once, when it loads; without PASSIVE its idle threads
 * spin and steal the cores the next step needs. If the variable is unset, set it to
 * PASSIVE and re-exec /proc/self/exe with the same argv (once: guarded by
 * PLORG_OMP_REEXEC). Call first thing in main(). Returns only when no re-exec happened
 * (or the exec failed; then the process goes on with the policy unset). */
void pl_process_ensure_omp_passive(int argc, char **argv);

G_END_DECLS
