// Torch-side internals: the model handle, the exception boundary, tensor helpers and the
// networks with the shim's conventions. Included by the .cpp files that need libtorch only.
#pragma once

#include "shim_internal.hpp"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <vector>

struct PlShimModel {
  plshim::Manifest man;
  PlShimManifest cman{};  // C view of man (pointers into man's strings)
  torch::jit::Module unet, encoder, decoder;
  c10::Device device{c10::kCPU};
  c10::ScalarType dtype = c10::kFloat;  // compute precision (float32, or float64 on request)
  std::string device_desc;
  int64_t n_unet = 0, n_encoder = 0, n_decoder = 0;

  // Graph kept by plshim_guided_forward for plshim_guided_vjp (consumed by it).
  struct {
    torch::Tensor z_t, z0, x0;
    int batch = 0;
  } guided;
  // Graph kept by plshim_encode_with_grad for plshim_encoder_vjp (consumed by it).
  struct {
    torch::Tensor x, e;
    int batch = 0;
  } encoded;
};

namespace plshim {

// Writes "where: msg" as this thread's error and returns status. Never throws.
PlShimStatus fail(PlShimStatus status, const char *where, const char *msg) noexcept;

// The exception boundary every entry point goes through: no C++ exception reaches C.
template <class F>
PlShimStatus guarded(const char *where, F &&body) noexcept {
  try {
    return body();
  } catch (const Error &e) {
    return fail(e.status(), where, e.what());
  } catch (const c10::Error &e) {
    return fail(PLSHIM_ERR_RUNTIME, where, brief(e.what_without_backtrace()).c_str());
  } catch (const std::exception &e) {  // incl. TorchScript interpreter errors
    return fail(PLSHIM_ERR_RUNTIME, where, brief(e.what()).c_str());
  } catch (...) {
    return fail(PLSHIM_ERR_RUNTIME, where, "unknown exception");
  }
}

// Per-call settings: the TorchScript graph executor's optimiser off (thread-local). The
// profiling executor would re-specialise per batch size and requires_grad state, which makes
// first calls slow and timings erratic, and gains nothing for these conv nets.
struct CallScope {
  torch::jit::GraphOptimizerEnabledGuard no_opt{false};
};

// --- tensors (shim_tensor.cpp) ---
std::vector<int64_t> latent_shape(const PlShimModel &m, int batch);
std::vector<int64_t> image_shape(const PlShimModel &m, int batch);
void check_batch(int batch);
// A copy of a host float32 buffer on the model's device, in its compute dtype.
torch::Tensor from_host(const PlShimModel &m, const float *p, const std::vector<int64_t> &shape,
                        const char *what);
// Timestep indices as floats [batch]; throws INVALID_ARGUMENT outside 0..T-1.
torch::Tensor timesteps(const PlShimModel &m, const int *t, int batch);
// Copies a tensor to a host float32 buffer (shape already checked by the caller).
void to_host(const torch::Tensor &t, float *out);
bool all_finite(const torch::Tensor &t);

// --- networks with the shim's conventions (shim_net.cpp) ---
torch::Tensor net_eps(PlShimModel &m, const torch::Tensor &z, const torch::Tensor &t);
torch::Tensor net_encode(PlShimModel &m, const torch::Tensor &x);  // scale * E(x)
torch::Tensor net_decode(PlShimModel &m, const torch::Tensor &z);  // D(z / scale)

struct GuidedGraph {
  torch::Tensor z_t, eps, z0, x0;  // z_t is the leaf the VJP differentiates against
};
// eps = UNet(z_t, t), z0 = (z_t - sqrt(1-abar) eps) / sqrt(abar), x0 = D(z0 / scale), with
// autograd recording; z_leaf must require grad.
GuidedGraph net_guided_forward(PlShimModel &m, const torch::Tensor &z_leaf, const torch::Tensor &t,
                               const double *abar, int batch);
// d/dz_t [<g_x, x0> + <g_z0, z0>] in one backward pass; g_z0 may be undefined.
torch::Tensor net_guided_vjp(const GuidedGraph &g, const torch::Tensor &g_x, const torch::Tensor &g_z0);

// --- model (shim_model.cpp) ---
// Runs every path (plain and with gradients) once at this batch size, without touching the
// model's pending graphs.
void warm(PlShimModel &m, int batch);

}  // namespace plshim
