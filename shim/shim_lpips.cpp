// LPIPS bundles (plorg_lpips.h): lpips.json + lpips.pt from models/export_lpips.py.
// Kept apart from the diffusion-model code: it shares only the error boundary and conventions.
#include "plorg_lpips.h"
#include "shim_torch.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <sys/stat.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

struct PlLpips {
  torch::jit::Module net;
  c10::Device device{c10::kCPU};
  c10::ScalarType dtype = c10::kFloat;
  std::string net_name, device_desc;
  int min_size = 1;
};

namespace plshim {
namespace {

using nlohmann::json;

constexpr int kLpipsFormatVersion = 1;
// Far above any real use; keeps batch * 3 * H * W inside int64 and size_t.
constexpr int kMaxSide = 1 << 14;

bool exists_as(const std::string &p, bool dir) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

[[noreturn]] void bad_manifest(const std::string &path, const std::string &what) {
  throw Error(PLSHIM_ERR_MANIFEST, path + ": " + what);
}

void read_manifest(const std::string &path, PlLpips &l) {
  if (!exists_as(path, false)) throw Error(PLSHIM_ERR_MISSING_FILE, path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception &e) {
    bad_manifest(path, std::string("not valid JSON: ") + e.what());
  }
  try {
    if (!j.is_object()) bad_manifest(path, "top level is not a JSON object");
    if (j.value("format", "") != "plorg-lpips-bundle")
      bad_manifest(path, "\"format\" is not \"plorg-lpips-bundle\"");
    const json &v = j.at("format_version");
    if (!v.is_number_integer() || v.get<int64_t>() < 1)
      bad_manifest(path, "\"format_version\" must be a positive integer");
    if (v.get<int64_t>() > kLpipsFormatVersion)
      bad_manifest(path, "format_version " + std::to_string(v.get<int64_t>()) +
                             " is newer than this shim (" + std::to_string(kLpipsFormatVersion) + ")");
    l.net_name = j.at("net").get<std::string>();
    if (l.net_name != "alex" && l.net_name != "vgg")
      bad_manifest(path, "\"net\" must be \"alex\" or \"vgg\", not \"" + l.net_name + "\"");
    const json &ms = j.at("min_image_size");
    if (!ms.is_number_integer() || ms.get<int64_t>() < 1 || ms.get<int64_t>() > kMaxSide)
      bad_manifest(path, "\"min_image_size\" must be a positive integer");
    l.min_size = static_cast<int>(ms.get<int64_t>());
    const json &vr = j.at("value_range");
    if (!vr.is_array() || vr.size() != 2 || vr[0].get<double>() != -1.0 || vr[1].get<double>() != 1.0)
      bad_manifest(path, "\"value_range\" must be [-1, 1]");
  } catch (const json::exception &e) {  // missing field or wrong type
    bad_manifest(path, e.what());
  }
}

c10::Device pick_device(PlShimDevice want, std::string &desc) {
  if (want != PLSHIM_DEVICE_CPU && want != PLSHIM_DEVICE_CUDA && want != PLSHIM_DEVICE_AUTO)
    throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "unknown device " + std::to_string(int(want)));
  const bool has_cuda = torch::cuda::is_available();
  if (want == PLSHIM_DEVICE_CUDA && !has_cuda)
    throw Error(PLSHIM_ERR_DEVICE, "CUDA was requested but this libtorch has no usable CUDA device");
  if (want == PLSHIM_DEVICE_CPU || !has_cuda) {
    desc = "cpu";
    return c10::Device(c10::kCPU);
  }
  const std::string name = cuda_device_name(0);
  desc = name.empty() ? "cuda:0" : "cuda:0 (" + name + ")";
  return c10::Device(c10::kCUDA, 0);
}

torch::Tensor image_tensor(const PlLpips &l, const float *p, int batch, int h, int w) {
  auto view = torch::from_blob(const_cast<float *>(p), {batch, 3, h, w}, torch::kFloat32);
  return view.to(l.device, l.dtype, /*non_blocking=*/false, /*copy=*/true);
}

torch::Tensor run(PlLpips &l, const torch::Tensor &x, const torch::Tensor &y) {
  c10::InferenceMode no_grad;
  CallScope scope;
  return l.net.forward({x, y}).toTensor();
}

// A smooth probe pair at the smallest square size the network takes (or 64, if larger).
void check_probe(PlLpips &l) {
  const int s = std::max(64, l.min_size);
  auto opts = torch::TensorOptions().dtype(l.dtype).device(l.device);
  auto x = (torch::arange(3 * s * s, opts) * 0.37).sin().reshape({1, 3, s, s}) * 0.5;
  auto y = (torch::arange(3 * s * s, opts) * 0.11).cos().reshape({1, 3, s, s}) * 0.5;
  torch::Tensor dxy, dxx;
  try {
    dxy = run(l, x, y);
    dxx = run(l, x, x);
  } catch (const c10::Error &e) {
    throw Error(PLSHIM_ERR_SHAPE, std::string("lpips.pt does not run on a 1 x 3 x ") +
                                      std::to_string(s) + " x " + std::to_string(s) +
                                      " image pair: " + e.what_without_backtrace());
  }
  if (dxy.sizes().vec() != std::vector<int64_t>{1})
    throw Error(PLSHIM_ERR_SHAPE, "lpips.pt returns shape " + c10::str(dxy.sizes()) +
                                      " for one image pair, expected [1]");
  if (!all_finite(dxy) || !all_finite(dxx))
    throw Error(PLSHIM_ERR_NONFINITE, "lpips.pt returns NaN/Inf on a probe pair");
  // LPIPS of an image with itself is exactly 0 (identical features, zero differences).
  if (dxx.item<double>() != 0.0 || dxy.item<double>() < 0.0)
    throw Error(PLSHIM_ERR_RUNTIME, "lpips.pt is not a distance (d(x,x) = " +
                                        std::to_string(dxx.item<double>()) + ", d(x,y) = " +
                                        std::to_string(dxy.item<double>()) + ")");
}

}  // namespace
}  // namespace plshim

using plshim::Error;
using plshim::guarded;

extern "C" {

PlShimStatus pllpips_load(const char *bundle_dir, const PlShimLoadParams *params, PlLpips **out) {
  return guarded("pllpips_load", [&] {
    if (!out) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (!bundle_dir) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "bundle_dir is NULL");
    PlShimLoadParams p;
    plshim_load_params_init(&p);
    if (params) p = *params;
    const std::string dir(bundle_dir);
    if (!plshim::exists_as(dir, true)) throw Error(PLSHIM_ERR_MISSING_FILE, dir + ": no such folder");
    auto l = std::make_unique<PlLpips>();
    plshim::read_manifest(dir + "/lpips.json", *l);
    const std::string pt = dir + "/lpips.pt";
    if (!plshim::exists_as(pt, false)) throw Error(PLSHIM_ERR_MISSING_FILE, pt + ": no such file");
    l->device = plshim::pick_device(p.device, l->device_desc);
    l->dtype = p.compute_double ? c10::kDouble : c10::kFloat;
    plshim::set_threads(p.num_threads);
    if (p.deterministic) {
      at::globalContext().setAllowTF32CuBLAS(false);
      at::globalContext().setAllowTF32CuDNN(false);
      at::globalContext().setDeterministicCuDNN(true);
    }
    try {
      l->net = torch::jit::load(pt, l->device);
    } catch (const c10::Error &e) {
      throw Error(PLSHIM_ERR_TORCHSCRIPT, pt + ": not loadable TorchScript: " + e.what_without_backtrace());
    }
    l->net.eval();
    l->net.to(l->dtype);
    if (p.validate_weights) {
      for (const auto &w : l->net.named_parameters())
        if (!plshim::all_finite(w.value))
          throw Error(PLSHIM_ERR_NONFINITE, "lpips.pt: parameter " + w.name + " has NaN/Inf values");
    }
    // Always probed (cheap): a wrong file must fail here, not on the first metric.
    plshim::check_probe(*l);
    *out = l.release();
    return PLSHIM_OK;
  });
}

void pllpips_free(PlLpips *l) {
  guarded("pllpips_free", [&] {
    delete l;
    return PLSHIM_OK;
  });
}

const char *pllpips_net(const PlLpips *l) { return l ? l->net_name.c_str() : ""; }

const char *pllpips_device(const PlLpips *l) { return l ? l->device_desc.c_str() : ""; }

int pllpips_min_image_size(const PlLpips *l) { return l ? l->min_size : 0; }

PlShimStatus pllpips_distance(PlLpips *l, const float *x, const float *y, int batch, int height,
                              int width, double *out) {
  return guarded("pllpips_distance", [&] {
    if (!l || !x || !y || !out) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "NULL argument");
    plshim::check_batch(batch);
    if (height < l->min_size || width < l->min_size || height > plshim::kMaxSide ||
        width > plshim::kMaxSide)
      throw Error(PLSHIM_ERR_INVALID_ARGUMENT,
                  "image " + std::to_string(height) + " x " + std::to_string(width) +
                      " is outside " + std::to_string(l->min_size) + ".." +
                      std::to_string(plshim::kMaxSide) + " for LPIPS-" + l->net_name);
    auto tx = plshim::image_tensor(*l, x, batch, height, width);
    auto ty = plshim::image_tensor(*l, y, batch, height, width);
    if (!plshim::all_finite(tx) || !plshim::all_finite(ty))
      throw Error(PLSHIM_ERR_NONFINITE, "input images contain NaN/Inf");
    auto d = plshim::run(*l, tx, ty);
    if (d.sizes().vec() != std::vector<int64_t>{batch})
      throw Error(PLSHIM_ERR_SHAPE, "lpips.pt returned shape " + c10::str(d.sizes()));
    if (!plshim::all_finite(d)) throw Error(PLSHIM_ERR_NONFINITE, "LPIPS distance is NaN/Inf");
    auto host = d.to(torch::kCPU, torch::kFloat64).contiguous();
    const double *v = host.data_ptr<double>();
    for (int i = 0; i < batch; i++) out[i] = v[i];
    return PLSHIM_OK;
  });
}

}  // extern "C"
