// The numerical entry points: eps / encode / decode and the vector-Jacobian products.
// Outputs are always written once computed; NaN/Inf in any output then gives
// PLSHIM_ERR_NONFINITE so the engine can stop a diverging run.
#include "shim_torch.hpp"

namespace plshim {
namespace {

void need_model(const PlShimModel *m) {
  if (!m) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "model is NULL");
}

void need_out(const void *p, const char *what) {
  if (!p) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL");
}

// Collects the names of non-finite outputs while writing them.
class Outputs {
 public:
  void put(const torch::Tensor &t, float *out, const char *what) {
    if (!out) return;
    to_host(t, out);
    if (!all_finite(t)) bad_ += (bad_.empty() ? "" : ", ") + std::string(what);
  }
  PlShimStatus status() const {
    if (!bad_.empty()) throw Error(PLSHIM_ERR_NONFINITE, "NaN/Inf in " + bad_ + " (outputs were written)");
    return PLSHIM_OK;
  }

 private:
  std::string bad_;
};

}  // namespace
}  // namespace plshim

using namespace plshim;

extern "C" {

PlShimStatus plshim_eps(PlShimModel *m, const float *z, const int *t, int batch, float *eps) {
  return guarded("plshim_eps", [&] {
    need_model(m);
    check_batch(batch);
    need_out(eps, "eps");
    c10::InferenceMode no_grad;
    CallScope scope;
    Outputs o;
    o.put(net_eps(*m, from_host(*m, z, latent_shape(*m, batch), "z"), timesteps(*m, t, batch)), eps, "eps");
    return o.status();
  });
}

PlShimStatus plshim_encode(PlShimModel *m, const float *x, int batch, float *z) {
  return guarded("plshim_encode", [&] {
    need_model(m);
    check_batch(batch);
    need_out(z, "z");
    c10::InferenceMode no_grad;
    CallScope scope;
    Outputs o;
    o.put(net_encode(*m, from_host(*m, x, image_shape(*m, batch), "x")), z, "z");
    return o.status();
  });
}

PlShimStatus plshim_decode(PlShimModel *m, const float *z, int batch, float *x) {
  return guarded("plshim_decode", [&] {
    need_model(m);
    check_batch(batch);
    need_out(x, "x");
    c10::InferenceMode no_grad;
    CallScope scope;
    Outputs o;
    o.put(net_decode(*m, from_host(*m, z, latent_shape(*m, batch), "z")), x, "x");
    return o.status();
  });
}

PlShimStatus plshim_guided_forward(PlShimModel *m, const float *z_t, const int *t, const double *abar,
                                   int batch, float *eps, float *z0, float *x0) {
  return guarded("plshim_guided_forward", [&] {
    need_model(m);
    m->guided = {};  // replaced even when this call fails: no stale graph survives
    check_batch(batch);
    CallScope scope;
    auto leaf = from_host(*m, z_t, latent_shape(*m, batch), "z_t").requires_grad_(true);
    GuidedGraph g = net_guided_forward(*m, leaf, timesteps(*m, t, batch), abar, batch);
    Outputs o;
    o.put(g.eps, eps, "eps");
    o.put(g.z0, z0, "z0");
    o.put(g.x0, x0, "x0");
    m->guided.z_t = g.z_t;
    m->guided.z0 = g.z0;
    m->guided.x0 = g.x0;
    m->guided.batch = batch;
    return o.status();
  });
}

PlShimStatus plshim_guided_vjp(PlShimModel *m, const float *g_x, const float *g_z0, int batch, float *g_z) {
  return guarded("plshim_guided_vjp", [&] {
    need_model(m);
    if (!m->guided.z_t.defined())
      throw Error(PLSHIM_ERR_INVALID_ARGUMENT,
                  "no pending graph: each plshim_guided_forward serves one plshim_guided_vjp");
    if (batch != m->guided.batch)
      throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "batch " + std::to_string(batch) +
                                                   " differs from the guided forward's " +
                                                   std::to_string(m->guided.batch));
    need_out(g_z, "g_z");
    CallScope scope;
    torch::Tensor gx = from_host(*m, g_x, image_shape(*m, batch), "g_x");
    torch::Tensor gz0 = g_z0 ? from_host(*m, g_z0, latent_shape(*m, batch), "g_z0") : torch::Tensor();
    // Arguments are good: take the graph out, so that even a failed backward cannot leave a
    // half-freed graph behind for the next call.
    GuidedGraph g{m->guided.z_t, {}, m->guided.z0, m->guided.x0};
    m->guided = {};
    Outputs o;
    o.put(net_guided_vjp(g, gx, gz0), g_z, "g_z");
    return o.status();
  });
}

PlShimStatus plshim_encode_with_grad(PlShimModel *m, const float *x, int batch, float *z) {
  return guarded("plshim_encode_with_grad", [&] {
    need_model(m);
    m->encoded = {};
    check_batch(batch);
    CallScope scope;
    torch::AutoGradMode grad_on(true);
    auto leaf = from_host(*m, x, image_shape(*m, batch), "x").requires_grad_(true);
    auto e = net_encode(*m, leaf);
    Outputs o;
    o.put(e, z, "z");
    m->encoded.x = leaf;
    m->encoded.e = e;
    m->encoded.batch = batch;
    return o.status();
  });
}

PlShimStatus plshim_encoder_vjp(PlShimModel *m, const float *g_z, int batch, float *g_x) {
  return guarded("plshim_encoder_vjp", [&] {
    need_model(m);
    if (!m->encoded.x.defined())
      throw Error(PLSHIM_ERR_INVALID_ARGUMENT,
                  "no pending graph: each plshim_encode_with_grad serves one plshim_encoder_vjp");
    if (batch != m->encoded.batch)
      throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "batch " + std::to_string(batch) +
                                                   " differs from encode_with_grad's " +
                                                   std::to_string(m->encoded.batch));
    need_out(g_x, "g_x");
    CallScope scope;
    auto ge = from_host(*m, g_z, latent_shape(*m, batch), "g_z");
    auto x = m->encoded.x, e = m->encoded.e;
    m->encoded = {};
    Outputs o;
    o.put(torch::autograd::grad({e}, {x}, {ge}, /*retain_graph=*/false, /*create_graph=*/false)[0], g_x, "g_x");
    return o.status();
  });
}

PlShimStatus plshim_decode_vjp(PlShimModel *m, const float *z, const float *g_x, int batch, float *x,
                               float *g_z) {
  return guarded("plshim_decode_vjp", [&] {
    need_model(m);
    check_batch(batch);
    need_out(g_z, "g_z");
    CallScope scope;
    torch::AutoGradMode grad_on(true);
    auto leaf = from_host(*m, z, latent_shape(*m, batch), "z").requires_grad_(true);
    auto gx = from_host(*m, g_x, image_shape(*m, batch), "g_x");
    auto d = net_decode(*m, leaf);
    Outputs o;
    o.put(d, x, "x");
    o.put(torch::autograd::grad({d}, {leaf}, {gx}, /*retain_graph=*/false, /*create_graph=*/false)[0], g_z, "g_z");
    return o.status();
  });
}

}  // extern "C"
