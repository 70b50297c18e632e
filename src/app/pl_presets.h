/* PlPresets: named solver + degradation settings.
 *
 * Built-in presets follow the paper's settings per task, scaled to the loaded model's
 * image size (pl_operator_params_init does the scaling of sizes); the step counts are
 * shortened for interactive use. "Compare" presets run the same settings twice, with
 * PLoRG off and on, on the same noise and measurement.
 *
 * User presets are kept in g_get_user_config_dir()/plorg-studio/presets.json, written
 * atomically (temporary file + rename) every time one is added or removed.
 */
#pragma once
#include <glib-object.h>
#include "pl_run.h"

G_BEGIN_DECLS

typedef struct {
  char *id;                /* "builtin:<name>" or "user:<name>" */
  char *label;
  char *section;           /* menu section: "Compare", "PSLD", ... , "My presets" */
  gboolean builtin;
  gboolean compare;        /* run with PLoRG off and on, side by side */
  char *sample;            /* bundled sample image to open (its calibration image), or NULL */
  PlRunParams run;
  PlOperatorParams op;     /* op.mask is always NULL */
} PlPreset;

#define PL_TYPE_PRESETS (pl_presets_get_type())
G_DECLARE_FINAL_TYPE(PlPresets, pl_presets, PL, PRESETS, GObject)

/* path NULL = the default file in the user config folder. */
PlPresets *pl_presets_new(const char *path);
const char *pl_presets_get_path(PlPresets *self);
/* Read the user presets file; a missing file is not an error. Built-ins stay on error. */
gboolean pl_presets_load(PlPresets *self, GError **error);
/* Rebuild the built-ins for models of image side n (and rescale user presets on use). */
void pl_presets_set_image_size(PlPresets *self, int n);

guint pl_presets_get_count(PlPresets *self);
const PlPreset *pl_presets_get(PlPresets *self, guint i);
const PlPreset *pl_presets_lookup(PlPresets *self, const char *id);

/* Add or replace the user preset `name` and save the file. */
gboolean pl_presets_save_user(PlPresets *self, const char *name, gboolean compare,
                              const PlRunParams *run, const PlOperatorParams *op,
                              GError **error);
gboolean pl_presets_delete_user(PlPresets *self, const char *id, GError **error);

/* Shorten or lengthen a run to `steps`, keeping ReSample's event window and spacing at
 * the same relative place (reference: events every 10 steps in 330..10 of 500). */
void pl_presets_scale_steps(PlRunParams *rp, int steps);

/* The built-ins that set up "PSLD vs PLoRG-PSLD at a large step size". */
#define PL_PRESET_COMPARE_LARGE_STEP "builtin:compare-psld-large-box"
#define PL_PRESET_COMPARE_LARGE_STEP_SR "builtin:compare-psld-large-sr4"

/* Signal "changed": the list changed (load, save, delete, new image size). */

G_END_DECLS
