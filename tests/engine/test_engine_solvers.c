/* Guided solvers use the measurement: on held-out images, for each task, PSLD, ReSample
 * and Latent-DPS end with a smaller measurement residual ||A(x) - y|| than unconditional
 * DDIM from the same noise. This holds for any decoder-consistent guidance, even with a
 * weak UNet, so it is asserted; the PSNRs are only printed. */
#include "engine_test_util.h"
#include <math.h>

#define STEPS 25

static double run_residual(const PlImage *clean, PlTask task, PlSolver solver, double *psnr,
                           PlRunState *state) {
  PlRunParams p;
  etu_quick_params(&p, solver, STEPS);
  if (solver == PL_SOLVER_PSLD && task == PL_TASK_PHASE_RETRIEVAL)
    p.gamma = 0.0; /* no gluing without A^T */
  PlRun *run = etu_new_run(clean, task, &p, 7);
  *state = etu_execute(run);
  double r = pl_run_residual(run, 0);
  *psnr = pl_run_psnr(run, 0);
  pl_run_unref(run);
  return r;
}

static void check_task(gconstpointer data) {
  PlTask task = (PlTask)GPOINTER_TO_INT(data);
  /* two images for box inpainting, one for the other tasks: the suite stays a few minutes */
  GPtrArray *imgs = etu_images(task == PL_TASK_INPAINT_BOX ? 2 : 1);
  const PlSolver solvers[] = {PL_SOLVER_DDIM, PL_SOLVER_PSLD, PL_SOLVER_RESAMPLE, PL_SOLVER_DPS};
  double mean[4] = {0}, mpsnr[4] = {0};
  for (guint i = 0; i < imgs->len; i++) {
    for (int s = 0; s < 4; s++) {
      double psnr;
      PlRunState st;
      double r = run_residual(g_ptr_array_index(imgs, i), task, solvers[s], &psnr, &st);
      g_test_message("%s image %u %s: state %s residual %.4f PSNR %.2f dB", pl_task_name(task), i,
                     pl_solver_label(solvers[s]), pl_run_state_name(st), r, psnr);
      g_assert_cmpint(st, ==, PL_RUN_FINISHED);
      g_assert_true(isfinite(r));
      mean[s] += r / imgs->len;
      mpsnr[s] += psnr / imgs->len;
    }
  }
  for (int s = 1; s < 4; s++) {
    g_test_message("%s: mean residual %s %.4f vs unconditional %.4f (PSNR %.2f vs %.2f dB)",
                   pl_task_name(task), pl_solver_label(solvers[s]), mean[s], mean[0], mpsnr[s],
                   mpsnr[0]);
    g_assert_cmpfloat(mean[s], <, mean[0]);
  }
  g_ptr_array_unref(imgs);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  const PlTask tasks[] = {PL_TASK_INPAINT_BOX, PL_TASK_INPAINT_RANDOM, PL_TASK_GAUSSIAN_BLUR,
                          PL_TASK_MOTION_BLUR, PL_TASK_SUPER_RESOLUTION, PL_TASK_PHASE_RETRIEVAL};
  for (guint k = 0; k < G_N_ELEMENTS(tasks); k++) {
    char *path = g_strdup_printf("/engine/solvers/residual/%s", pl_task_name(tasks[k]));
    g_test_add_data_func(path, GINT_TO_POINTER(tasks[k]), check_task);
    g_free(path);
  }
  int rc = g_test_run();
  pl_model_unref(etu_model());
  return rc;
}
