/* DDPM ancestral sampling over all T steps (suite 'slow': T UNet calls). */
#include "engine_test_util.h"
#include <math.h>

static void test_ddpm_full(void) {
  GPtrArray *imgs = etu_images(1);
  PlRunParams p;
  pl_run_params_init(&p, PL_SOLVER_DDPM);
  p.steps = pl_model_schedule(etu_model())->T;
  p.keep_every = 100;
  PlRun *run = etu_new_run(g_ptr_array_index(imgs, 0), PL_TASK_INPAINT_BOX, &p, 0);
  g_assert_cmpint(etu_execute(run), ==, PL_RUN_FINISHED);
  g_assert_cmpint(pl_run_history_count(run), ==, p.steps / 100);
  const float *z = pl_run_final_latent(run);
  for (size_t k = 0; k < etu_latent_len(); k++)
    g_assert_true(isfinite(z[k]));
  g_test_message("DDPM %d steps: PSNR vs the (unrelated) image %.2f dB, %.1f s", p.steps,
                 pl_run_psnr(run, 0), pl_run_elapsed(run));
  pl_run_unref(run);
  g_ptr_array_unref(imgs);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/ddpm/full-T", test_ddpm_full);
  int rc = g_test_run();
  pl_model_unref(etu_model());
  return rc;
}
