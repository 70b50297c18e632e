/* The paper's robustness claim, printed (not asserted): PSLD and PLoRG-PSLD at the
 * default step size and at 10x it, on a few held-out images. The evidence issue studies
 * it properly; this test shows the numbers on every run of the suite.
 * The default omega is tuned for the default step count; with fewer steps each step
 * must carry more of the guidance, so "default" here is omega * default_steps / steps.
 * `--full` (suite 'slow') uses more images, steps and tasks. */
#include "engine_test_util.h"
#include <math.h>
#include <string.h>

static gboolean full = FALSE;

static void robustness(void) {
  int n_img = full ? 8 : 3, steps = full ? 100 : 50;
  const PlTask tasks_full[] = {PL_TASK_INPAINT_BOX, PL_TASK_SUPER_RESOLUTION};
  int n_tasks = full ? 2 : 1;
  GPtrArray *imgs = etu_images(n_img);
  PlRunParams def;
  pl_run_params_init(&def, PL_SOLVER_PSLD);
  double scaled = def.omega * def.steps / steps;
  const double omegas[2] = {scaled, 10.0 * scaled};
  for (int t = 0; t < n_tasks; t++) {
    PlTask task = tasks_full[t];
    for (int w = 0; w < 2; w++)
      for (int on = 0; on < 2; on++) {
        double sum = 0, sum2 = 0;
        int diverged = 0;
        GString *each = g_string_new("");
        for (guint i = 0; i < imgs->len; i++) {
          PlRunParams p;
          etu_quick_params(&p, PL_SOLVER_PSLD, steps);
          p.omega = omegas[w];
          p.plorg.enabled = on;
          PlRun *run = etu_new_run(g_ptr_array_index(imgs, i), task, &p, 3);
          PlRunState st = etu_execute(run);
          double psnr = pl_run_psnr(run, 0);
          diverged += st == PL_RUN_DIVERGED;
          sum += psnr;
          sum2 += psnr * psnr;
          g_string_append_printf(each, " %.2f%s", psnr, st == PL_RUN_DIVERGED ? "(div)" : "");
          pl_run_unref(run);
        }
        double m = sum / imgs->len;
        double sd = imgs->len > 1 ? sqrt(fmax(0, (sum2 - imgs->len * m * m) / (imgs->len - 1))) : 0;
        g_test_message("ROBUSTNESS %s %s omega %g (%s): PSNR mean %.2f +- %.2f dB over %u images, "
                       "%d diverged; each:%s", pl_task_name(task), on ? "PLoRG-PSLD" : "PSLD",
                       omegas[w], w ? "10x default" : "default", m, sd, imgs->len, diverged,
                       each->str);
        g_string_free(each, TRUE);
      }
  }
  g_ptr_array_unref(imgs);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (int k = 1; k < argc; k++)
    full = full || !strcmp(argv[k], "--full");
  g_test_add_func("/engine/robustness/psld-vs-plorg-psld", robustness);
  int rc = g_test_run();
  pl_model_unref(etu_model());
  return rc;
}
