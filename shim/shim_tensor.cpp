// Host buffers <-> tensors: the only place where C float pointers become torch tensors.
#include "shim_torch.hpp"

#include <cstring>

namespace plshim {

// Far above any real batch; keeps batch * C * H * W well inside int64 and size_t.
constexpr int kMaxBatch = 1 << 16;

void check_batch(int batch) {
  if (batch < 1 || batch > kMaxBatch)
    throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "batch " + std::to_string(batch) + " is not in 1.." +
                                                 std::to_string(kMaxBatch));
}

std::vector<int64_t> latent_shape(const PlShimModel &m, int batch) {
  return {batch, m.man.latent_channels, m.man.latent_h, m.man.latent_w};
}

std::vector<int64_t> image_shape(const PlShimModel &m, int batch) {
  return {batch, 3, m.man.image_size, m.man.image_size};
}

torch::Tensor from_host(const PlShimModel &m, const float *p, const std::vector<int64_t> &shape,
                        const char *what) {
  if (!p) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL");
  // from_blob only borrows the caller's buffer; copy=true gives the shim its own tensor even
  // when device and dtype already match (graphs kept for VJPs must not alias C memory).
  auto view = torch::from_blob(const_cast<float *>(p), shape, torch::kFloat32);
  return view.to(m.device, m.dtype, /*non_blocking=*/false, /*copy=*/true);
}

torch::Tensor timesteps(const PlShimModel &m, const int *t, int batch) {
  if (!t) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "t is NULL");
  std::vector<double> v(static_cast<size_t>(batch));
  for (int i = 0; i < batch; i++) {
    if (t[i] < 0 || t[i] >= m.man.num_timesteps)
      throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "timestep t[" + std::to_string(i) + "] = " +
                                                   std::to_string(t[i]) + " is not in 0.." +
                                                   std::to_string(m.man.num_timesteps - 1));
    v[static_cast<size_t>(i)] = t[i];
  }
  return torch::from_blob(v.data(), {batch}, torch::kFloat64).to(m.device, m.dtype, false, true);
}

void to_host(const torch::Tensor &t, float *out) {
  auto host = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::memcpy(out, host.data_ptr<float>(), static_cast<size_t>(host.numel()) * sizeof(float));
}

bool all_finite(const torch::Tensor &t) { return torch::isfinite(t).all().item<bool>(); }

}  // namespace plshim
