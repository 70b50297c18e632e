/* Model bundle loading: the shim handle, its manifest, the noise schedule and the lock
 * that serialises calls into the (single-threaded) shim handle. */
#include "pl_model.h"
#include "pl_shim_error.h"
#include <string.h>

struct PlModel {
  gatomicrefcount ref;
  char *dir;
  PlShimModel *shim;
  PlSchedule *schedule;
  PlModelParams params;
  GMutex lock;
};

G_DEFINE_QUARK(pl-engine-error-quark, pl_engine_error)

void pl_model_params_init(PlModelParams *p) {
  memset(p, 0, sizeof *p);
  p->device = PLSHIM_DEVICE_AUTO;
  p->threads = 0;
  p->deterministic = TRUE;
}

static gboolean check_manifest(const PlShimManifest *mf, const char *dir, GError **error) {
  if (!mf->beta_schedule || strcmp(mf->beta_schedule, "linear") != 0) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_MODEL,
                "model %s: beta schedule \"%s\" is not supported (only \"linear\")", dir,
                mf->beta_schedule ? mf->beta_schedule : "(none)");
    return FALSE;
  }
  if (mf->parameterization && strcmp(mf->parameterization, "eps") != 0) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_MODEL,
                "model %s: parameterisation \"%s\" is not supported (only \"eps\")", dir,
                mf->parameterization);
    return FALSE;
  }
  if (mf->num_timesteps < 2 || mf->image_size < 4 || mf->latent_channels < 1 ||
      mf->latent_h < 1 || mf->latent_w < 1) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_MODEL,
                "model %s: manifest has invalid sizes (T %d, image %d, latent %dx%dx%d)", dir,
                mf->num_timesteps, mf->image_size, mf->latent_channels, mf->latent_h,
                mf->latent_w);
    return FALSE;
  }
  return TRUE;
}

PlModel *pl_model_load(const char *bundle_dir, const PlModelParams *params, GError **error) {
  g_return_val_if_fail(bundle_dir != NULL, NULL);
  PlModelParams defaults;
  if (!params) {
    pl_model_params_init(&defaults);
    params = &defaults;
  }
  if (!g_file_test(bundle_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, PL_ENGINE_ERROR, PL_ENGINE_ERROR_MODEL,
                "model folder %s does not exist (give --model DIR or set PLORG_MODEL_DIR)",
                bundle_dir);
    return NULL;
  }
  PlShimLoadParams lp;
  plshim_load_params_init(&lp);
  lp.device = params->device;
  lp.deterministic = params->deterministic ? 1 : 0;
  lp.compute_double = params->compute_double ? 1 : 0;
  PlShimModel *shim = NULL;
  PlShimStatus st = plshim_model_load(bundle_dir, &lp, &shim);
  if (!pl_shim_check_load(st, error, "", "cannot load model %s", bundle_dir))
    return NULL;
  const PlShimManifest *mf = plshim_model_manifest(shim);
  if (!check_manifest(mf, bundle_dir, error)) {
    plshim_model_free(shim);
    return NULL;
  }
  PlModel *m = g_new0(PlModel, 1);
  g_atomic_ref_count_init(&m->ref);
  m->dir = g_strdup(bundle_dir);
  m->shim = shim;
  m->params = *params;
  m->schedule = pl_schedule_new_linear(mf->num_timesteps, mf->beta_start, mf->beta_end);
  g_mutex_init(&m->lock);
  return m;
}

PlModel *pl_model_ref(PlModel *m) {
  g_return_val_if_fail(m != NULL, NULL);
  g_atomic_ref_count_inc(&m->ref);
  return m;
}

void pl_model_unref(PlModel *m) {
  if (!m || !g_atomic_ref_count_dec(&m->ref))
    return;
  plshim_model_free(m->shim);
  pl_schedule_free(m->schedule);
  g_mutex_clear(&m->lock);
  g_free(m->dir);
  g_free(m);
}

const char *pl_model_dir(const PlModel *m) { return m->dir; }
const PlShimManifest *pl_model_manifest(const PlModel *m) { return plshim_model_manifest(m->shim); }
PlShimModel *pl_model_shim(PlModel *m) { return m->shim; }
const PlSchedule *pl_model_schedule(const PlModel *m) { return m->schedule; }
int pl_model_image_size(const PlModel *m) { return pl_model_manifest(m)->image_size; }

void pl_model_latent_shape(const PlModel *m, int *c, int *h, int *w) {
  const PlShimManifest *mf = pl_model_manifest(m);
  if (c) *c = mf->latent_channels;
  if (h) *h = mf->latent_h;
  if (w) *w = mf->latent_w;
}

const char *pl_model_device(const PlModel *m) { return plshim_model_device(m->shim); }

int pl_model_threads(const PlModel *m) {
  /* One thread on CPU by default: measured faster than 2 threads on 2 busy cores. */
  return m->params.threads > 0 ? m->params.threads : 1;
}

void pl_model_lock(PlModel *m) { g_mutex_lock(&m->lock); }
void pl_model_unlock(PlModel *m) { g_mutex_unlock(&m->lock); }

const char *pl_model_default_dir(void) {
  const char *env = g_getenv("PLORG_MODEL_DIR");
  if (env && *env)
    return env;
  if (g_file_test(PLORG_BUNDLED_MODEL_DIR, G_FILE_TEST_IS_DIR))
    return PLORG_BUNDLED_MODEL_DIR;
  return PLORG_INSTALLED_MODEL_DIR;
}

const char *pl_engine_version(void) { return PLORG_VERSION; }
