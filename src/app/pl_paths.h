/* Where the app finds its bundled files: build-time locations with env overrides. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* $PLORG_DATA_DIR, else the source tree's data/ (set at configure time). */
const char *pl_paths_data_dir(void);
/* Sorted list of the held-out sample images (data/images, PNG and JPEG), full paths. */
GPtrArray *pl_paths_sample_images(void);
/* $PLORG_MODEL_DIR, else the engine's default bundle folder. */
const char *pl_paths_model_dir(void);

G_END_DECLS
