/* A loaded model bundle as the engine sees it: the shim handle, its manifest and the
 * noise schedule. Loading validates everything (see plorg_shim.h for the checks). */
#pragma once
#include <glib.h>
#include "plorg_shim.h"
#include "pl_schedule.h"

G_BEGIN_DECLS

#define PL_ENGINE_ERROR (pl_engine_error_quark())
GQuark pl_engine_error_quark(void);
typedef enum {
  PL_ENGINE_ERROR_MODEL,       /* bundle failed to load or a model call failed (message says which) */
  PL_ENGINE_ERROR_INVALID,     /* parameters out of range, shapes that do not match the model */
  PL_ENGINE_ERROR_UNSUPPORTED, /* e.g. PSLD's gluing with phase retrieval (nonlinear A) */
  PL_ENGINE_ERROR_DIVERGED,    /* NaN/Inf or exploding latent: run stopped, last good step kept */
  PL_ENGINE_ERROR_CANCELLED,
  PL_ENGINE_ERROR_IO,          /* run record / output files */
} PlEngineError;

typedef struct PlModel PlModel;

typedef struct {
  PlShimDevice device;   /* auto / cpu / cuda */
  int threads;           /* torch threads for the worker (0 = 1 on CPU) */
  gboolean deterministic;
  gboolean compute_double; /* the shim computes in float64 (buffers stay float32): parity tests */
} PlModelParams;

void pl_model_params_init(PlModelParams *p);
PlModel *pl_model_load(const char *bundle_dir, const PlModelParams *params, GError **error);
PlModel *pl_model_ref(PlModel *m);
void pl_model_unref(PlModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlModel, pl_model_unref)

const char *pl_model_dir(const PlModel *m);
const PlShimManifest *pl_model_manifest(const PlModel *m);
PlShimModel *pl_model_shim(PlModel *m);          /* use only while holding pl_model_lock() */
const PlSchedule *pl_model_schedule(const PlModel *m);
int pl_model_image_size(const PlModel *m);
void pl_model_latent_shape(const PlModel *m, int *c, int *h, int *w);
const char *pl_model_device(const PlModel *m);
/* Torch intra-op threads a run sets on its worker (params.threads, or 1 when 0). */
int pl_model_threads(const PlModel *m);
/* The shim handle is single-threaded: runs sharing a model take this lock per call. */
void pl_model_lock(PlModel *m);
void pl_model_unlock(PlModel *m);

/* Default bundle folder: $PLORG_MODEL_DIR, else the installed/bundled models/emoji64. */
const char *pl_model_default_dir(void);

/* PLoRG Studio version string (the meson project version), for run records and PNGs. */
const char *pl_engine_version(void);

G_END_DECLS
