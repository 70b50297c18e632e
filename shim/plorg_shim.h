/* plorg_shim: the model layer. A C API over libtorch (TorchScript model bundles).
 *
 * The shim owns every torch object; C sees opaque handles and float buffers only.
 * Every entry point returns a PlShimStatus and, on failure, leaves a message for the
 * calling thread, readable with plshim_last_error(). No C++ exception crosses this API.
 * A call whose outputs contain NaN/Inf still writes them and returns PLSHIM_ERR_NONFINITE.
 *
 * Buffers are contiguous float32, NCHW, batch first. Latents z are in *diffusion* units
 * (the autoencoder's latent times the manifest's scale_factor); images x are in [-1,1].
 * A handle may be used from one thread at a time (the engine's worker).
 */
#ifndef PLORG_SHIM_H
#define PLORG_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  PLSHIM_OK = 0,
  PLSHIM_ERR_INVALID_ARGUMENT,  /* NULL pointers, bad batch or shapes */
  PLSHIM_ERR_MISSING_FILE,      /* bundle folder or one of its files is absent */
  PLSHIM_ERR_MANIFEST,          /* model.json unreadable, not JSON, or a field missing/invalid */
  PLSHIM_ERR_TORCHSCRIPT,       /* a .pt file is not loadable TorchScript (corrupt, truncated) */
  PLSHIM_ERR_SHAPE,             /* a module's output shape disagrees with the manifest */
  PLSHIM_ERR_NONFINITE,         /* NaN/Inf weights in a module, or in an output */
  PLSHIM_ERR_DEVICE,            /* requested device unavailable (e.g. cuda without CUDA) */
  PLSHIM_ERR_RUNTIME,           /* any other torch error during a call */
} PlShimStatus;

const char *plshim_status_name(PlShimStatus status);
/* Message of the last failed call on this thread ("" if none). Valid until the next call. */
const char *plshim_last_error(void);

typedef enum { PLSHIM_DEVICE_AUTO, PLSHIM_DEVICE_CPU, PLSHIM_DEVICE_CUDA } PlShimDevice;

typedef struct {
  PlShimDevice device;     /* AUTO = cuda when libtorch has it, else cpu */
  int num_threads;         /* torch intra-op threads on the calling thread; 0 = leave */
  int deterministic;       /* 1: TF32 off, deterministic algorithms where available */
  int validate_weights;    /* 1: scan parameters for NaN/Inf on load (default 1) */
  int warmup;              /* 1: run each module once at batch 1 on load (default 1) */
  int compute_double;      /* 1: convert the modules to float64 and compute in float64 inside
                              (buffers stay float32); for tight finite-difference tests (default 0) */
} PlShimLoadParams;

void plshim_load_params_init(PlShimLoadParams *p);

/* Manifest fields (model.json) the engine needs. Strings are owned by the model. */
typedef struct {
  const char *name;
  const char *description;
  const char *license;          /* licence / provenance text */
  const char *first_stage;      /* "kl" or "vq" */
  const char *parameterization; /* "eps" */
  int image_size;               /* square images, image_size x image_size x 3 */
  int latent_channels, latent_h, latent_w;
  double scale_factor;          /* diffusion latent = scale_factor * autoencoder latent */
  int num_timesteps;            /* T */
  double beta_start, beta_end;  /* linear schedule (LDM: linspace in sqrt space) */
  const char *beta_schedule;    /* "linear" */
  int64_t unet_params, encoder_params, decoder_params;
} PlShimManifest;

typedef struct PlShimModel PlShimModel;

/* Load a bundle folder: model.json + unet.pt + encoder.pt + decoder.pt. Validates the
 * manifest, the files, the modules' output shapes (one forward at batch 1) and, when
 * asked, the weights. On failure *out is NULL and the status says which check failed. */
PlShimStatus plshim_model_load(const char *bundle_dir, const PlShimLoadParams *params,
                               PlShimModel **out);
void plshim_model_free(PlShimModel *m);

const PlShimManifest *plshim_model_manifest(const PlShimModel *m);
/* Device actually used: "cpu" or "cuda:0 (NVIDIA H100 ...)". */
const char *plshim_model_device(const PlShimModel *m);
int plshim_model_uses_cuda(const PlShimModel *m);

/* Runtime facts for run records: libtorch version, CUDA availability and device name. */
typedef struct {
  char torch_version[32];
  int cuda_available;
  int cuda_device_count;
  char cuda_device_name[128];
} PlShimRuntimeInfo;
void plshim_runtime_info(PlShimRuntimeInfo *info);

/* Set torch's intra-op thread count for the calling thread (call on the worker). */
void plshim_set_num_threads(int n);
/* Seed torch's generators (only used by modules that draw noise; sampling noise comes from C). */
void plshim_manual_seed(uint64_t seed);
/* Run each module once for this batch size (first forward per shape is slow). */
PlShimStatus plshim_warmup(PlShimModel *m, int batch);

/* eps = UNet(z, t). z, eps: batch x C x h x w. t: batch timestep indices. */
PlShimStatus plshim_eps(PlShimModel *m, const float *z, const int *t, int batch, float *eps);
/* z = scale_factor * E(x) (mean of the posterior for KL; pre-quantisation for VQ). */
PlShimStatus plshim_encode(PlShimModel *m, const float *x, int batch, float *z);
/* x = D(z / scale_factor). */
PlShimStatus plshim_decode(PlShimModel *m, const float *z, int batch, float *x);

/* One guided-step forward: from z_t and timestep t with alpha-bar abar (per sample),
 *   eps = UNet(z_t, t), z0 = (z_t - sqrt(1-abar) eps) / sqrt(abar), x0 = D(z0),
 * keeping the autograd graph for the VJPs below. Writes eps, z0, x0 (any may be NULL).
 * Replaces any previous pending graph of this model. */
PlShimStatus plshim_guided_forward(PlShimModel *m, const float *z_t, const int *t,
                                   const double *abar, int batch,
                                   float *eps, float *z0, float *x0);

/* VJP of the last guided_forward: given g_x (dL/dx0, batch x 3 x H x W) and optionally
 * g_z0 (an extra dL/dz0 term, latent shaped, may be NULL), writes
 *   g_z = d/dz_t [ <g_x, D(z0_hat(z_t))> + <g_z0, z0_hat(z_t)> ]
 * through the decoder and the UNet, in one backward pass. */
PlShimStatus plshim_guided_vjp(PlShimModel *m, const float *g_x, const float *g_z0, int batch,
                               float *g_z);

/* Encoder with a kept graph, for PSLD's gluing term
 *   L_glue = || z0 - E(A^T y + (I - A^T A) D(z0)) ||   (z0 = z0_hat(z_t)).
 * The engine builds x_glued = A^T y + (I - A^T A) x0 in C, calls encode_with_grad(x_glued)
 * to get e, forms the latent cotangent g_e = dL/de in C, calls encoder_vjp(g_e) to get
 * g_xg = (dE/dx)^T g_e, maps it back to x0 with (I - A^T A) in C, and finally makes ONE
 * plshim_guided_vjp() call with g_x = omega * g_meas + gamma * (I - A^T A) g_xg and
 * g_z0 = gamma * dL/dz0 (direct term). Each network is traversed backwards once.
 * encoder_vjp uses the graph of the last encode_with_grad on this model. */
PlShimStatus plshim_encode_with_grad(PlShimModel *m, const float *x, int batch, float *z);
PlShimStatus plshim_encoder_vjp(PlShimModel *m, const float *g_z, int batch, float *g_x);

/* Latent-space VJP of the decoder alone (ReSample's latent optimisation):
 * x = D(z/scale) and g_z = (dD/dz)^T g_x, in one call. x may be NULL. */
PlShimStatus plshim_decode_vjp(PlShimModel *m, const float *z, const float *g_x, int batch,
                               float *x, float *g_z);

/* Parameter counts of the loaded modules (also in the manifest when the exporter wrote them). */
int64_t plshim_model_param_count(const PlShimModel *m, const char *module /* "unet"|"encoder"|"decoder" */);

#ifdef __cplusplus
}
#endif
#endif
