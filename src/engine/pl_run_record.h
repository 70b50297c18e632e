/* Run records: JSON with every parameter, versions, device, seed, per-step statistics,
 * parameter changes, timings and metrics. Written atomically. A record read back gives
 * the parameters and inputs to re-run the same configuration. */
#pragma once
#include <glib.h>
#include "pl_run.h"

G_BEGIN_DECLS

gboolean pl_run_record_write(PlRun *run, const char *path, GError **error);
/* Serialise only the parameters (embedded in PNG text chunks as "plorg-params"), the
 * degradation nested as "operator" (a drawn mask as base64 float32). op may be NULL. */
char *pl_run_params_to_json(const PlRunParams *p, const PlOperatorParams *op);
/* Missing members keep the solver's / task's defaults. op may be NULL; op->mask is set
 * to NULL (a drawn mask is read back by pl_run_record_load only). */
gboolean pl_run_params_from_json(const char *json, PlRunParams *p, PlOperatorParams *op,
                                 GError **error);

typedef struct {
  PlRunParams params;
  PlOperatorParams op;
  char *model_dir;
  char *image_path;          /* ground truth file if the run had one */
  char *state;
  GArray *changes;           /* PlParamChange */
  double psnr, ssim, residual;   /* sample 0 */
  GPtrArray *steps;          /* PlStepReport* without images */
  /* additions: what a re-run needs beyond the parameters, and the per-sample metrics */
  float *mask;               /* drawn inpainting mask (op.mask points here) or NULL */
  float *y;                  /* the measurement as the run used it */
  size_t y_len;
  float *z_start;            /* latent the run started from when it was given (branches), else NULL */
  size_t z_start_len;
  int branch_parent_step;    /* -1 unless the run was a branch */
  char *version, *device, *torch_version, *error_message;
  int n_samples;
  double *sample_psnr, *sample_ssim, *sample_residual;  /* n_samples each (NaN = none) */
  int best_residual, best_psnr_oracle;                   /* sample index or -1 */
  double *sample_lpips, lpips;  /* n_samples (at least 1) and sample 0; NaN = not computed */
  char *lpips_net;              /* "alex"/"vgg", NULL when LPIPS was not computed */
  /* inpainting: metrics of the result with the known pixels pasted (n_samples, at least 1;
   * NaN for other tasks, or LPIPS not computed) and of sample 0 */
  double *sample_psnr_pasted, *sample_ssim_pasted, *sample_lpips_pasted;
  double psnr_pasted, ssim_pasted, lpips_pasted;
} PlRunRecord;

PlRunRecord *pl_run_record_load(const char *path, GError **error);
/* A new run with the record's parameters and inputs: its y (and start latent); the
 * ground truth is read from image_path when that file exists (metrics), else none. */
PlRun *pl_run_new_from_record(PlModel *model, const PlRunRecord *record, GError **error);

/* Save a [0,1] image as PNG with the run's parameters as text chunks ("plorg-params",
 * "Software", "Title"), atomically. */
gboolean pl_run_save_png(PlRun *run, const PlImage *img, const char *path, const char *title,
                         GError **error);
void pl_run_record_free(PlRunRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlRunRecord, pl_run_record_free)

G_END_DECLS
