/* Sweep cells (one configuration on one image), their result files and the tables
 * and plots rebuilt from them. */
#pragma once
#include <glib.h>
#include "pl_run.h"
#include "pl_lpips.h"

G_BEGIN_DECLS

typedef struct {
  /* configuration */
  char *image_path;
  char *image;             /* file name without folder and extension */
  PlTask task;
  PlSolver solver;
  gboolean plorg;
  double omega;
  char *resample_svd;      /* PLoRG-ReSample's SVD placement ("paper"/"diffstategrad"); NULL otherwise */
  char *config_hash;       /* of all parameters + image: a finished cell is reused only if equal */
  /* fidelity choices (docs/FIDELITY.md): names as in the run parameters */
  PlTimestepRule timesteps;
  PlGlueTranspose glue_transpose;
  PlMeasNoise meas_noise;
  PlNoiseUnits noise_units;
  /* result */
  gboolean done;
  char *state;
  double psnr, ssim, residual, psnr_oracle, elapsed_s;
  int steps;
  int batch;
  /* LPIPS needs a network: NaN (null in the files, empty in the tables) without one */
  double lpips;
  char *lpips_net;         /* "alex"/"vgg" */
  char *lpips_source;      /* "result": float result at run time; "png": its saved 8-bit PNG */
  /* inpainting: of the result with the known pixels pasted (official PSLD); NaN otherwise */
  double psnr_pasted, ssim_pasted, lpips_pasted;
  char *file;              /* the cell file it was read from (tables), else NULL */
} PlorgCell;

/* A cell with all fields empty and no LPIPS (NaN, not 0). */
void plorg_cell_init(PlorgCell *c);

void plorg_cell_clear(PlorgCell *c);
/* File-name-safe and injective over (image file name, task, solver, plorg, omega, fidelity
 * choices): see plorg_sweep_cells.c. Fidelity choices other than the defaults are appended
 * ("__ts-zero__glue-adjoint__meas-clean__noise-unit"). plorg_cmd_sweep still checks a grid
 * for keys that match case-insensitively (two inputs, one file on such file systems). */
char *plorg_cell_key(const PlorgCell *c);
/* "ldm/official/noised/model": the fidelity choices in one table column */
char *plorg_cell_fidelity(const PlorgCell *c);
/* omega as the key and the tables write it: the shortest decimal that reads back exactly */
char *plorg_cell_omega_text(double omega);
char *plorg_cell_method(const PlorgCell *c);   /* "PSLD", "PLoRG-PSLD", ... */
gboolean plorg_cell_write(const PlorgCell *c, const char *path, GError **error);
gboolean plorg_cell_read(PlorgCell *c, const char *path, GError **error);

/* LPIPS for a finished cell that lacks it (run before a network was given, or with
 * another net): true when net is given and the cell has no LPIPS of that net. */
gboolean plorg_cell_needs_lpips(const PlorgCell *c, PlLpips *net);
/* Its LPIPS from the reconstruction the sweep saved (png) against its clean image, both
 * fitted to size as the run did; sets lpips_source "png". FALSE with error (the caller
 * re-runs the cell when the PNG does not exist). */
gboolean plorg_cell_lpips_from_png(PlorgCell *c, PlLpips *net, const char *png, int size,
                                   GError **error);

/* Read every cell file (cells/NAME.json) under out (all shards), write table.csv, table.json,
 * summary.csv, print the summary as markdown, and draw the plots (PNG + SVG). */
gboolean plorg_sweep_tables(const char *out, gboolean plots, gboolean quiet, GError **error);

G_END_DECLS
