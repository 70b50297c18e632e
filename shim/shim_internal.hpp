// Internal declarations shared by the shim's translation units (never seen by C code).
#pragma once

#include "plorg_shim.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace plshim {

// An error with the status the C API reports; thrown inside the shim, caught at the boundary.
class Error : public std::runtime_error {
 public:
  Error(PlShimStatus status, const std::string &msg) : std::runtime_error(msg), status_(status) {}
  PlShimStatus status() const { return status_; }

 private:
  PlShimStatus status_;
};

// Per-thread last-error message (shim_runtime.cpp).
void set_error(const std::string &msg);
// A torch error message without its TorchScript traceback: the interpreter prefixes the
// real error (last line) with dozens of lines of serialized-code context.
std::string brief(const std::string &what);

// Manifest (model.json) with owned strings; shim_manifest.cpp parses it without torch.
struct Manifest {
  std::string name, description, license, first_stage, parameterization, beta_schedule;
  int image_size = 0;
  int latent_channels = 0, latent_h = 0, latent_w = 0;
  double scale_factor = 0.0;
  int num_timesteps = 0;
  double beta_start = 0.0, beta_end = 0.0;
  // -1 when model.json does not say.
  int64_t unet_params = -1, encoder_params = -1, decoder_params = -1;
};

// Reads and validates path (a model.json); throws Error(MISSING_FILE or MANIFEST).
Manifest parse_manifest(const std::string &path);
// "PATH: no such file", or what PATH is when it is not a regular file (a folder, a FIFO).
std::string not_a_file(const std::string &path);

// Name of the CUDA device with this index via the driver API (no CUDA headers needed), or "".
std::string cuda_device_name(int index);

// Torch's intra-op threads and, where torch's BLAS is OpenBLAS, OpenBLAS's own pool: its
// threads ignore at::set_num_threads and busy-wait (sched_yield) between calls, so two
// one-thread processes on two cores would each keep a second thread spinning. n <= 0: no change.
void set_threads(int n);

}  // namespace plshim
