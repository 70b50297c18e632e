/* plorg_lpips: the LPIPS perceptual distance (Zhang et al. 2018, v0.1) from an LPIPS bundle
 * folder written by models/export_lpips.py: lpips.json (manifest) + lpips.pt (TorchScript).
 *
 * Part of the shim: same status codes, same per-thread message (plshim_last_error()), same
 * load parameters, no C++ exception crosses this API. LPIPS needs a network; without a
 * loaded bundle there is no LPIPS number (callers say so instead of printing one).
 *
 * Images are contiguous float32, NCHW, 3 channels, values in [-1,1] (the engine's convention).
 * A handle may be used from one thread at a time.
 */
#ifndef PLORG_LPIPS_H
#define PLORG_LPIPS_H

#include "plorg_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlLpips PlLpips;

/* Load bundle_dir/lpips.json and bundle_dir/lpips.pt. params may be NULL (defaults of
 * plshim_load_params_init; device, num_threads, deterministic, validate_weights, warmup and
 * compute_double are honoured). The load runs the network once on a probe pair and checks
 * that it returns one finite distance per sample and 0 for identical images.
 * Errors: MISSING_FILE (folder or file absent), MANIFEST (lpips.json invalid or of a newer
 * format), TORCHSCRIPT (lpips.pt not loadable), SHAPE (wrong output), NONFINITE, DEVICE. */
PlShimStatus pllpips_load(const char *bundle_dir, const PlShimLoadParams *params, PlLpips **out);
void pllpips_free(PlLpips *l);

/* "alex" or "vgg" (the backbone), from the manifest. */
const char *pllpips_net(const PlLpips *l);
/* Device used: "cpu" or "cuda:0 (...)". */
const char *pllpips_device(const PlLpips *l);
/* Smallest image side the backbone accepts (AlexNet 31, VGG 16). */
int pllpips_min_image_size(const PlLpips *l);

/* LPIPS distance of each pair (x[i], y[i]), i < batch, written to out[i]. x, y: batch x 3 x
 * height x width. Distances are >= 0, 0 for identical images, symmetric in x and y; typical
 * values lie in [0, 1]. Errors: INVALID_ARGUMENT (NULL buffers, batch < 1, a side below
 * pllpips_min_image_size), NONFINITE (NaN/Inf input or output), RUNTIME. */
PlShimStatus pllpips_distance(PlLpips *l, const float *x, const float *y, int batch, int height,
                              int width, double *out);

#ifdef __cplusplus
}
#endif
#endif
