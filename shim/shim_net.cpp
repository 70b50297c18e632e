// The three networks with the shim's conventions: latents in diffusion units (the manifest's
// scale_factor is applied here, not in the TorchScript files), Tweedie's z0 for guidance.
#include "shim_torch.hpp"

#include <cmath>

namespace plshim {

torch::Tensor net_eps(PlShimModel &m, const torch::Tensor &z, const torch::Tensor &t) {
  return m.unet.forward({z, t}).toTensor();
}

torch::Tensor net_encode(PlShimModel &m, const torch::Tensor &x) {
  return m.encoder.forward({x}).toTensor() * m.man.scale_factor;
}

torch::Tensor net_decode(PlShimModel &m, const torch::Tensor &z) {
  return m.decoder.forward({z / m.man.scale_factor}).toTensor();
}

GuidedGraph net_guided_forward(PlShimModel &m, const torch::Tensor &z_leaf, const torch::Tensor &t,
                               const double *abar, int batch) {
  if (!abar) throw Error(PLSHIM_ERR_INVALID_ARGUMENT, "abar is NULL");
  // sqrt(1 - abar) and sqrt(abar) in double on the host: 1 - abar loses digits in float32
  // when abar is close to 1 (small t).
  std::vector<double> s1(static_cast<size_t>(batch)), sa(static_cast<size_t>(batch));
  for (int i = 0; i < batch; i++) {
    const double a = abar[i];
    if (!(a > 0.0 && a <= 1.0))
      throw Error(PLSHIM_ERR_INVALID_ARGUMENT,
                  "abar[" + std::to_string(i) + "] = " + std::to_string(a) + " is not in (0, 1]");
    s1[static_cast<size_t>(i)] = std::sqrt(1.0 - a);
    sa[static_cast<size_t>(i)] = std::sqrt(a);
  }
  auto col = [&](std::vector<double> &v) {
    return torch::from_blob(v.data(), {batch, 1, 1, 1}, torch::kFloat64).to(m.device, m.dtype, false, true);
  };
  torch::AutoGradMode grad_on(true);  // whatever mode the calling thread is in
  GuidedGraph g;
  g.z_t = z_leaf;
  g.eps = net_eps(m, z_leaf, t);
  g.z0 = (z_leaf - col(s1) * g.eps) / col(sa);
  g.x0 = net_decode(m, g.z0);
  return g;
}

torch::Tensor net_guided_vjp(const GuidedGraph &g, const torch::Tensor &g_x, const torch::Tensor &g_z0) {
  torch::autograd::variable_list outs{g.x0}, grads{g_x};
  if (g_z0.defined()) {  // z0 is an intermediate of x0: one backward pass serves both terms
    outs.push_back(g.z0);
    grads.push_back(g_z0);
  }
  // retain_graph=false: the graph is freed as it is traversed (the VJP consumes it).
  return torch::autograd::grad(outs, {g.z_t}, grads, /*retain_graph=*/false,
                               /*create_graph=*/false)[0];
}

}  // namespace plshim
