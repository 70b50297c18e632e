/* Sweep cells (one configuration on one image), their result files and the tables
 * and plots rebuilt from them. */
#pragma once
#include <glib.h>
#include "pl_run.h"

G_BEGIN_DECLS

typedef struct {
  /* configuration */
  char *image_path;
  char *image;             /* file name without folder and extension */
  PlTask task;
  PlSolver solver;
  gboolean plorg;
  double omega;
  char *config_hash;       /* of all parameters + image: a finished cell is reused only if equal */
  /* result */
  gboolean done;
  char *state;
  double psnr, ssim, residual, psnr_oracle, elapsed_s;
  int steps;
  int batch;
} PlorgCell;

void plorg_cell_clear(PlorgCell *c);
char *plorg_cell_key(const PlorgCell *c);      /* file-name-safe, unique per configuration */
char *plorg_cell_method(const PlorgCell *c);   /* "PSLD", "PLoRG-PSLD", ... */
gboolean plorg_cell_write(const PlorgCell *c, const char *path, GError **error);
gboolean plorg_cell_read(PlorgCell *c, const char *path, GError **error);

/* Read every cell file (cells/NAME.json) under out (all shards), write table.csv, table.json,
 * summary.csv, print the summary as markdown, and draw the plots (PNG + SVG). */
gboolean plorg_sweep_tables(const char *out, gboolean plots, gboolean quiet, GError **error);

G_END_DECLS
