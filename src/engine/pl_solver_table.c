/* The table of solvers: the only place that maps a PlSolver to its names and code. */
#include "pl_solver.h"

static const PlSolverOps solvers[PL_SOLVER_COUNT] = {
    [PL_SOLVER_DDIM] = {"ddim", "DDIM", NULL, pl_solver_uncond_step},
    [PL_SOLVER_DDPM] = {"ddpm", "DDPM", NULL, pl_solver_uncond_step},
    [PL_SOLVER_DPS] = {"dps", "Latent-DPS", NULL, pl_solver_dps_step},
    [PL_SOLVER_PSLD] = {"psld", "PSLD", NULL, pl_solver_psld_step},
    [PL_SOLVER_RESAMPLE] = {"resample", "ReSample", pl_solver_resample_plan,
                            pl_solver_resample_step},
};

const PlSolverOps *pl_solver_ops(PlSolver solver) {
  g_return_val_if_fail((unsigned)solver < PL_SOLVER_COUNT, &solvers[PL_SOLVER_DDIM]);
  return &solvers[solver];
}

const char *pl_solver_name(PlSolver s) {
  return (unsigned)s < PL_SOLVER_COUNT ? solvers[s].name : "unknown";
}

const char *pl_solver_label(PlSolver s) {
  return (unsigned)s < PL_SOLVER_COUNT ? solvers[s].label : "unknown";
}

gboolean pl_solver_from_name(const char *name, PlSolver *out) {
  if (!name)
    return FALSE;
  for (int i = 0; i < PL_SOLVER_COUNT; i++) {
    if (g_ascii_strcasecmp(name, solvers[i].name) == 0 ||
        g_ascii_strcasecmp(name, solvers[i].label) == 0) {
      *out = (PlSolver)i;
      return TRUE;
    }
  }
  return FALSE;
}
