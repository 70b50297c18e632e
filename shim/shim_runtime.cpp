// Process/thread-level shim functions: errors, status names, defaults, threads, seeding,
// runtime facts.
#include "shim_torch.hpp"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdio>
#include <cstring>

namespace plshim {
namespace {
// The message of the last failed call on this thread (plshim_last_error).
thread_local std::string last_error;
}  // namespace

void set_error(const std::string &msg) {
  try {
    last_error = msg;
  } catch (...) {  // out of memory while reporting: keep whatever was there
  }
}

std::string brief(const std::string &what) {
  if (what.find("The following operation failed in the TorchScript interpreter") == std::string::npos)
    return what;
  size_t end = what.find_last_not_of(" \n");
  if (end == std::string::npos) return what;
  size_t start = what.rfind('\n', end);
  return what.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

PlShimStatus fail(PlShimStatus status, const char *where, const char *msg) noexcept {
  try {
    set_error(std::string(where) + ": " + (msg ? msg : ""));
  } catch (...) {
  }
  return status;
}

// Through the driver API, looked up at run time: a CUDA build of libtorch has already loaded
// libcuda.so.1, and this needs no CUDA headers (Debian's CPU libtorch has none).
std::string cuda_device_name(int index) {
  void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (!h) h = dlopen("libcuda.so.1", RTLD_LAZY);
  if (!h) return "";
  using init_fn = int (*)(unsigned);
  using get_fn = int (*)(int *, int);
  using name_fn = int (*)(char *, int, int);
  auto cu_init = reinterpret_cast<init_fn>(dlsym(h, "cuInit"));
  auto cu_get = reinterpret_cast<get_fn>(dlsym(h, "cuDeviceGet"));
  auto cu_name = reinterpret_cast<name_fn>(dlsym(h, "cuDeviceGetName"));
  std::string out;
  int dev = 0;
  char buf[256] = {0};
  if (cu_init && cu_get && cu_name && cu_init(0) == 0 && cu_get(&dev, index) == 0 &&
      cu_name(buf, sizeof buf - 1, dev) == 0)
    out = buf;
  dlclose(h);
  return out;
}

void set_threads(int n) {
  if (n <= 0) return;
  at::set_num_threads(n);
  using set_fn = void (*)(int);
  static const auto openblas_set =
      reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (openblas_set) openblas_set(n);
}

}  // namespace plshim

using plshim::guarded;

extern "C" {

const char *plshim_status_name(PlShimStatus status) {
  switch (status) {
    case PLSHIM_OK: return "ok";
    case PLSHIM_ERR_INVALID_ARGUMENT: return "invalid-argument";
    case PLSHIM_ERR_MISSING_FILE: return "missing-file";
    case PLSHIM_ERR_MANIFEST: return "manifest";
    case PLSHIM_ERR_TORCHSCRIPT: return "torchscript";
    case PLSHIM_ERR_SHAPE: return "shape";
    case PLSHIM_ERR_NONFINITE: return "nonfinite";
    case PLSHIM_ERR_DEVICE: return "device";
    case PLSHIM_ERR_RUNTIME: return "runtime";
  }
  return "unknown-status";
}

const char *plshim_last_error(void) { return plshim::last_error.c_str(); }

void plshim_load_params_init(PlShimLoadParams *p) {
  if (!p) return;
  std::memset(p, 0, sizeof *p);
  p->device = PLSHIM_DEVICE_AUTO;
  p->num_threads = 0;
  p->deterministic = 0;
  p->validate_weights = 1;
  p->warmup = 1;
  p->compute_double = 0;
}

void plshim_runtime_info(PlShimRuntimeInfo *info) {
  if (!info) return;
  std::memset(info, 0, sizeof *info);
  std::snprintf(info->torch_version, sizeof info->torch_version, "%s", TORCH_VERSION);
  guarded("plshim_runtime_info", [&] {
    info->cuda_available = torch::cuda::is_available() ? 1 : 0;
    info->cuda_device_count = static_cast<int>(torch::cuda::device_count());
    if (info->cuda_available)
      std::snprintf(info->cuda_device_name, sizeof info->cuda_device_name, "%s",
                    plshim::cuda_device_name(0).c_str());
    return PLSHIM_OK;
  });
}

void plshim_set_num_threads(int n) {
  guarded("plshim_set_num_threads", [&] {
    plshim::set_threads(n);
    return PLSHIM_OK;
  });
}

void plshim_manual_seed(uint64_t seed) {
  guarded("plshim_manual_seed", [&] {
    torch::manual_seed(seed);  // CPU generator and, when present, every CUDA one
    return PLSHIM_OK;
  });
}

}  // extern "C"
