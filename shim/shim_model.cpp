// Loading a bundle: manifest, files, device, TorchScript, weights and output-shape checks,
// each failure with its own status. Also the model's accessors and warm-up.
#include "shim_torch.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <sys/stat.h>
#include <torch/cuda.h>

#include <cstring>
#include <memory>

namespace plshim {
namespace {

bool is_dir(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

c10::Device pick_device(PlShimDevice want, std::string &desc) {
  const bool has_cuda = torch::cuda::is_available();
  if (want == PLSHIM_DEVICE_CUDA && !has_cuda)
    throw Error(PLSHIM_ERR_DEVICE, "CUDA was requested but this libtorch has no usable CUDA device");
  if (want != PLSHIM_DEVICE_CPU && want != PLSHIM_DEVICE_CUDA && want != PLSHIM_DEVICE_AUTO)
    throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "unknown device " + std::to_string(int(want)));
  if (want == PLSHIM_DEVICE_CPU || !has_cuda) {
    desc = "cpu";
    return c10::Device(c10::kCPU);
  }
  const std::string name = cuda_device_name(0);
  desc = name.empty() ? "cuda:0" : "cuda:0 (" + name + ")";
  return c10::Device(c10::kCUDA, 0);
}

torch::jit::Module load_module(const std::string &path, const PlShimModel &m) {
  torch::jit::Module mod;
  try {
    mod = torch::jit::load(path, m.device);
  } catch (const c10::Error &e) {
    throw Error(PLSHIM_ERR_TORCHSCRIPT, path + ": not loadable TorchScript: " + e.what_without_backtrace());
  } catch (const std::exception &e) {
    throw Error(PLSHIM_ERR_TORCHSCRIPT, path + ": not loadable TorchScript: " + e.what());
  }
  mod.eval();
  // Bundles may store float16 weights (smaller files); the shim always computes in m.dtype.
  mod.to(m.dtype);
  return mod;
}

int64_t count_params(const torch::jit::Module &mod) {
  int64_t n = 0;
  for (const auto &p : mod.parameters()) n += p.numel();
  return n;
}

void check_count(const char *what, int64_t manifest, int64_t actual) {
  if (manifest >= 0 && manifest != actual)
    throw Error(PLSHIM_ERR_MANIFEST, std::string("model.json says ") + what + " has " +
                                         std::to_string(manifest) + " parameters, " + what +
                                         ".pt has " + std::to_string(actual));
}

void check_finite_weights(const char *what, const torch::jit::Module &mod) {
  for (const auto &p : mod.named_parameters())
    if (!all_finite(p.value))
      throw Error(PLSHIM_ERR_NONFINITE, std::string(what) + ".pt: parameter " + p.name + " has NaN/Inf values");
  for (const auto &b : mod.named_buffers())
    if (b.value.is_floating_point() && !all_finite(b.value))
      throw Error(PLSHIM_ERR_NONFINITE, std::string(what) + ".pt: buffer " + b.name + " has NaN/Inf values");
}

// A smooth deterministic input (zeros would hide sign and NaN-propagation problems).
torch::Tensor probe(const PlShimModel &m, const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  auto opts = torch::TensorOptions().dtype(m.dtype).device(m.device);
  return (torch::arange(n, opts) * 0.37).sin().reshape(shape) * 0.5;
}

// Runs one module at batch 1 on the manifest's shapes; any failure or disagreement is SHAPE.
template <class Run>
void check_output(const char *what, const std::vector<int64_t> &want, Run &&run) {
  torch::Tensor out;
  try {
    out = run();
  } catch (const c10::Error &e) {
    throw Error(PLSHIM_ERR_SHAPE, std::string(what) + ".pt does not run on the manifest's shapes: " +
                                      brief(e.what_without_backtrace()));
  } catch (const Error &) {
    throw;
  } catch (const std::exception &e) {  // the TorchScript interpreter's own error type
    throw Error(PLSHIM_ERR_SHAPE, std::string(what) + ".pt does not run on the manifest's shapes: " +
                                      brief(e.what()));
  }
  if (out.sizes().vec() != want)
    throw Error(PLSHIM_ERR_SHAPE, std::string(what) + ".pt output is " + c10::str(out.sizes()) +
                                      ", the manifest implies " + c10::str(c10::IntArrayRef(want)));
  if (!all_finite(out))
    throw Error(PLSHIM_ERR_NONFINITE, std::string(what) + ".pt output has NaN/Inf values");
}

void check_shapes(PlShimModel &m) {
  c10::InferenceMode no_grad;
  CallScope scope;
  const auto lat = latent_shape(m, 1), img = image_shape(m, 1);
  const int t_mid = m.man.num_timesteps / 2;
  check_output("unet", lat, [&] { return net_eps(m, probe(m, lat), timesteps(m, &t_mid, 1)); });
  check_output("encoder", lat, [&] { return net_encode(m, probe(m, img)); });
  check_output("decoder", img, [&] { return net_decode(m, probe(m, lat)); });
}

void fill_c_manifest(PlShimModel &m) {
  PlShimManifest &c = m.cman;
  const Manifest &s = m.man;
  c.name = s.name.c_str();
  c.description = s.description.c_str();
  c.license = s.license.c_str();
  c.first_stage = s.first_stage.c_str();
  c.parameterization = s.parameterization.c_str();
  c.image_size = s.image_size;
  c.latent_channels = s.latent_channels;
  c.latent_h = s.latent_h;
  c.latent_w = s.latent_w;
  c.scale_factor = s.scale_factor;
  c.num_timesteps = s.num_timesteps;
  c.beta_start = s.beta_start;
  c.beta_end = s.beta_end;
  c.beta_schedule = s.beta_schedule.c_str();
  c.unet_params = m.n_unet;
  c.encoder_params = m.n_encoder;
  c.decoder_params = m.n_decoder;
}

}  // namespace

void warm(PlShimModel &m, int batch) {
  CallScope scope;
  const auto lat = latent_shape(m, batch), img = image_shape(m, batch);
  std::vector<int> t(static_cast<size_t>(batch), m.man.num_timesteps / 2);
  std::vector<double> abar(static_cast<size_t>(batch), 0.5);
  const auto tt = timesteps(m, t.data(), batch);
  {
    c10::InferenceMode no_grad;
    net_eps(m, probe(m, lat), tt);
    net_encode(m, probe(m, img));
    net_decode(m, probe(m, lat));
  }
  // The first backward per shape is slow too (allocations, kernel selection).
  auto g = net_guided_forward(m, probe(m, lat).requires_grad_(true), tt, abar.data(), batch);
  net_guided_vjp(g, torch::ones_like(g.x0), torch::ones_like(g.z0));
  torch::AutoGradMode grad_on(true);
  auto x = probe(m, img).requires_grad_(true);
  auto e = net_encode(m, x);
  torch::autograd::grad({e}, {x}, {torch::ones_like(e)}, false, false);
  auto z = probe(m, lat).requires_grad_(true);
  auto d = net_decode(m, z);
  torch::autograd::grad({d}, {z}, {torch::ones_like(d)}, false, false);
}

}  // namespace plshim

using namespace plshim;

extern "C" {

PlShimStatus plshim_model_load(const char *bundle_dir, const PlShimLoadParams *params,
                               PlShimModel **out) {
  return guarded("plshim_model_load", [&] {
    if (!out) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (!bundle_dir) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "bundle_dir is NULL");
    PlShimLoadParams p;
    plshim_load_params_init(&p);
    if (params) p = *params;

    const std::string dir(bundle_dir);
    if (!is_dir(dir)) throw Error(PLSHIM_ERR_MISSING_FILE, dir + ": no such folder");
    auto m = std::make_unique<PlShimModel>();
    m->man = parse_manifest(dir + "/model.json");
    const std::string files[3] = {dir + "/unet.pt", dir + "/encoder.pt", dir + "/decoder.pt"};
    for (const auto &f : files)
      if (!is_file(f)) throw Error(PLSHIM_ERR_MISSING_FILE, not_a_file(f));

    m->device = pick_device(p.device, m->device_desc);
    m->dtype = p.compute_double ? c10::kDouble : c10::kFloat;
    set_threads(p.num_threads);
    if (p.deterministic) {
      // Process-wide: TF32 off (full float32 matmuls/convs on Ampere+), deterministic cuDNN.
      at::globalContext().setAllowTF32CuBLAS(false);
      at::globalContext().setAllowTF32CuDNN(false);
      at::globalContext().setDeterministicCuDNN(true);
    }

    m->unet = load_module(files[0], *m);
    m->encoder = load_module(files[1], *m);
    m->decoder = load_module(files[2], *m);
    m->n_unet = count_params(m->unet);
    m->n_encoder = count_params(m->encoder);
    m->n_decoder = count_params(m->decoder);
    check_count("unet", m->man.unet_params, m->n_unet);
    check_count("encoder", m->man.encoder_params, m->n_encoder);
    check_count("decoder", m->man.decoder_params, m->n_decoder);
    if (p.validate_weights) {
      check_finite_weights("unet", m->unet);
      check_finite_weights("encoder", m->encoder);
      check_finite_weights("decoder", m->decoder);
    }
    check_shapes(*m);
    if (p.warmup) warm(*m, 1);
    fill_c_manifest(*m);
    *out = m.release();
    return PLSHIM_OK;
  });
}

void plshim_model_free(PlShimModel *m) {
  guarded("plshim_model_free", [&] {
    delete m;
    return PLSHIM_OK;
  });
}

const PlShimManifest *plshim_model_manifest(const PlShimModel *m) { return m ? &m->cman : nullptr; }

const char *plshim_model_device(const PlShimModel *m) { return m ? m->device_desc.c_str() : ""; }

int plshim_model_uses_cuda(const PlShimModel *m) { return m && m->device.is_cuda() ? 1 : 0; }

int64_t plshim_model_param_count(const PlShimModel *m, const char *module) {
  if (!m || !module) return -1;  // strcmp, not std::string: nothing here may throw
  if (!std::strcmp(module, "unet")) return m->n_unet;
  if (!std::strcmp(module, "encoder")) return m->n_encoder;
  if (!std::strcmp(module, "decoder")) return m->n_decoder;
  return -1;
}

PlShimStatus plshim_warmup(PlShimModel *m, int batch) {
  return guarded("plshim_warmup", [&] {
    if (!m) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "model is NULL");
    check_batch(batch);
    warm(*m, batch);
    return PLSHIM_OK;
  });
}

}  // extern "C"
