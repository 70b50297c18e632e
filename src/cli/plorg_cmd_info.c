/* `plorg info [MODEL]`: the bundle's manifest, parameter counts, devices and versions. */
#include "plorg_cli.h"
#include <stdio.h>

static void print_count(const char *name, gint64 n) {
  printf("  %-8s %12" G_GINT64_FORMAT " parameters (%.2f M)\n", name, n, (double)n / 1e6);
}

int plorg_cmd_info(int argc, char **argv) {
  char *device = NULL;
  GOptionEntry entries[] = {
      {"device", 0, 0, G_OPTION_ARG_STRING, &device, "auto, cpu or cuda (default auto)", "DEV"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("[MODEL] - show a model bundle's manifest and devices");
  g_option_context_set_description(ctx, "MODEL defaults to $PLORG_MODEL_DIR or the bundled models/emoji64.\n");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *e = NULL;
  int rc = PLORG_EXIT_OK;
  if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
    rc = plorg_usage_error("info", "%s", e->message);
    g_clear_error(&e);
  } else if (argc > 2) {
    rc = plorg_usage_error("info", "give at most one model folder, not %d arguments", argc - 1);
  }
  PlorgSolverOpts so;
  plorg_solver_opts_init(&so);
  so.device = device;
  PlModelParams mp;
  if (rc == PLORG_EXIT_OK && !plorg_solver_opts_model_params(&so, &mp, &e)) {
    rc = plorg_usage_error("info", "%s", e->message);
    g_clear_error(&e);
  }
  PlModel *model = NULL;
  const char *dir = argc > 1 ? argv[1] : pl_model_default_dir();
  if (rc == PLORG_EXIT_OK && !(model = pl_model_load(dir, &mp, &e))) {
    rc = plorg_failure("info", "%s", e->message);
    g_clear_error(&e);
  }
  if (model) {
    const PlShimManifest *mf = pl_model_manifest(model);
    PlShimRuntimeInfo ri;
    plshim_runtime_info(&ri);
    printf("model       %s\n", pl_model_dir(model));
    printf("name        %s\n", mf->name ? mf->name : "");
    if (mf->description && *mf->description)
      printf("description %s\n", mf->description);
    printf("licence     %s\n", mf->license ? mf->license : "(not given)");
    printf("image       3 x %d x %d, values in [-1,1]\n", mf->image_size, mf->image_size);
    printf("latent      %d x %d x %d (first stage %s, scale factor %g)\n", mf->latent_channels,
           mf->latent_h, mf->latent_w, mf->first_stage ? mf->first_stage : "?", mf->scale_factor);
    printf("schedule    T = %d, %s betas %g .. %g, parameterisation %s\n", mf->num_timesteps,
           mf->beta_schedule ? mf->beta_schedule : "?", mf->beta_start, mf->beta_end,
           mf->parameterization ? mf->parameterization : "?");
    printf("parameters\n");
    PlShimModel *shim = pl_model_shim(model);
    const char *mods[] = {"unet", "encoder", "decoder"};
    gint64 total = 0;
    for (int k = 0; k < 3; k++) {
      gint64 n = plshim_model_param_count(shim, mods[k]);
      print_count(mods[k], n);
      total += n;
    }
    print_count("total", total);
    printf("device      %s (torch threads per run: %d)\n", pl_model_device(model),
           pl_model_threads(model));
    printf("libtorch    %s, CUDA %s", ri.torch_version, ri.cuda_available ? "available" : "not available");
    if (ri.cuda_available)
      printf(" (%d device%s: %s)", ri.cuda_device_count, ri.cuda_device_count == 1 ? "" : "s",
             ri.cuda_device_name);
    printf("\nPLoRG       %s\n", pl_engine_version());
    pl_model_unref(model);
  }
  g_option_context_free(ctx);
  g_free(device);
  return rc;
}
