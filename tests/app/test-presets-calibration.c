/* The large-step compare presets show what they promise: on the sample each one opens,
 * PLoRG-PSLD ends at least 3 dB above PSLD (same noise, same measurement), with the
 * presets' own parameters. Slow suite: two 250-step runs per preset on the bundled model.
 * The numbers behind the presets: docs/PRESETS.md (scripts/presets/calibrate.sh). */
#include "pl_presets.h"
#include "../engine/engine_test_util.h"
#include <math.h>

#define REQUIRED_LEAD_DB 3.0

static double preset_psnr(const PlPreset *p, gboolean plorg) {
  g_autofree char *path = g_build_filename(g_getenv("PLORG_DATA_DIR"), "images", p->sample, NULL);
  GError *e = NULL;
  PlImage *img = pl_image_load(path, &e);
  g_assert_no_error(e);
  PlRunParams rp = p->run;
  rp.plorg.enabled = plorg;
  PlRunInputs in = {0};
  in.op = p->op;
  in.clean = img;
  PlRun *run = pl_run_new(etu_model(), &in, &rp, &e);
  g_assert_no_error(e);
  PlRunState st = etu_execute(run);
  double psnr = st == PL_RUN_FINISHED ? pl_run_psnr(run, 0) : -INFINITY;
  g_test_message("%s, PLoRG %s: %s, PSNR %.2f dB", p->id, plorg ? "on" : "off",
                 pl_run_state_name(st), psnr);
  pl_run_unref(run);
  pl_image_free(img);
  return psnr;
}

static void test_large_step(gconstpointer data) {
  g_autofree char *file = g_build_filename(g_get_tmp_dir(), "plorg-no-presets.json", NULL);
  g_autoptr(PlPresets) presets = pl_presets_new(file);
  pl_presets_set_image_size(presets, pl_model_image_size(etu_model()));
  const PlPreset *p = pl_presets_lookup(presets, data);
  g_assert_nonnull(p);
  g_assert_true(p->compare);
  g_assert_nonnull(p->sample);
  double off = preset_psnr(p, FALSE), on = preset_psnr(p, TRUE);
  g_assert_cmpfloat(on - off, >=, REQUIRED_LEAD_DB);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
  g_test_add_data_func("/presets/large-step/box", PL_PRESET_COMPARE_LARGE_STEP, test_large_step);
  g_test_add_data_func("/presets/large-step/sr4", PL_PRESET_COMPARE_LARGE_STEP_SR, test_large_step);
  return g_test_run();
}
