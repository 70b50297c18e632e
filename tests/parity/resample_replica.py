#!/usr/bin/python3
"""A replica of the official ReSample sampling loop (soominkwon/resample,
ldm/models/diffusion/ddim.py: resample_sampling, pixel_optimization, latent_optimization,
stochastic_resample; ldm_inverse/condition_methods.py: PosteriorSampling) with PLoRG
(DiffStateGrad's diffstategrad_utils.py / diffstategrad_ddim.py, and the paper's
Algorithm 5), written from reading that code, in PyTorch on the model bundle's own
TorchScript files in float64. tests/parity/test_parity_resample.c runs it next to the C
engine on the same z_T, measurement and noise draws and compares the trajectories.

  resample_replica.py CASE_DIR BUNDLE_DIR

CASE_DIR holds case.json (the settings), z_T.f32, y.f32, op.f32 (the inpainting mask or the
blur kernel), noise.f32 (the engine's draws, in order, listed in case.json). Writes
CASE_DIR/replica_traj.f64 (the latent after every step, float64) and replica.json (event
kind and optimiser iterations per step).

Where the engine deliberately differs from the official code (docs/FIDELITY.md), this
replica follows the engine, each place marked "ENGINE:":
- the official p_sample_ddim's pseudo_x0 subtracts (1 - abar) eps; the engine uses
  Tweedie's sqrt(1 - abar) eps (its pred_x0);
- the official time travel pairs the UNet's timestep ts[k+1] with alphas[index of k]; the
  engine uses the abar of the timestep it evaluates;
- the official loop hard-codes the event interval (10), the time-travel length (5) and the
  latent early-stop window (200); they are settings here, to keep the test short.
"""
import json
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


def load_f32(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype="<f4").astype(np.float64)).reshape(shape)


def f32(t):
    """A float32 buffer crossing the shim's C API (the shim computes in float64 inside)."""
    return t.float().double()


class Model:
    """The shim's conventions (plorg_shim.h): diffusion latents = scale * autoencoder latents."""

    def __init__(self, bundle):
        with open(os.path.join(bundle, "model.json")) as f:
            man = json.load(f)
        self.scale = float(man["scale_factor"])
        sch = man.get("schedule") or man.get("noise_schedule") or man
        T = int(sch.get("num_timesteps", sch.get("timesteps", 1000)))
        b0, b1 = float(sch["beta_start"]), float(sch["beta_end"])
        betas = np.linspace(b0 ** 0.5, b1 ** 0.5, T, dtype=np.float64) ** 2
        self.abar = np.cumprod(1.0 - betas)
        self.unet, self.enc, self.dec = (
            torch.jit.load(os.path.join(bundle, f"{k}.pt")).eval().double()
            for k in ("unet", "encoder", "decoder"))

    def eps(self, z, t):
        return f32(self.unet(f32(z), torch.full((z.shape[0],), float(t))))

    def eps_graph(self, z, t):  # inside autograd (the shim's guided forward)
        return self.unet(z, torch.full((z.shape[0],), float(t)))

    def decode(self, z):
        return self.dec(z / self.scale)

    def encode(self, x):
        return f32(self.enc(f32(x)) * self.scale)


class Operator:
    def __init__(self, case, op):
        self.task = case["task"]
        self.op = op

    def __call__(self, x):
        if self.task in ("box", "random", "mask"):
            return x * self.op  # the official inpainting operator: the mask
        if self.task in ("gblur", "mblur"):
            # correlation with reflect padding (the reference's Blurkernel)
            k = self.op
            r = k.shape[-1] // 2
            xp = torch.nn.functional.pad(x, (r, r, r, r), mode="reflect")
            return torch.nn.functional.conv2d(xp, k.expand(3, 1, *k.shape), groups=3)
        raise SystemExit(f"replica: task {self.task} not replicated")


class Plorg:
    """DiffStateGrad's compute_svd_and_adaptive_rank + apply_diffstategrad, per channel,
    with the paper's per-channel rank rule or the code's pooled one."""

    def __init__(self, case):
        self.on = case["plorg"]
        self.tau = case["tau"]
        self.rule = case["rank_rule"]
        self.period = case["every"]

    def subspace(self, state):
        U, s, Vh = torch.linalg.svd(f32(state[0]), full_matrices=False)
        lam = s ** 2
        if self.rule == "pooled":  # cumsum over the channels' values concatenated
            flat = lam.reshape(-1)
            cum = torch.cumsum(flat, 0) / flat.sum()
            idx = int(np.searchsorted(cum.numpy(), self.tau)) + 1
            ranks = [max(1, min(idx // lam.shape[0], lam.shape[1]))] * lam.shape[0]
        else:
            ranks = []
            for c in range(lam.shape[0]):
                cum = torch.cumsum(lam[c], 0) / lam[c].sum()
                ranks.append(int((cum < self.tau).sum()) + 1)
        return U, Vh, [min(r, lam.shape[1]) for r in ranks]

    def project(self, g, itr, sub):
        if sub is None or itr % self.period != 0:
            return g
        U, Vh, ranks = sub
        out = torch.empty_like(g)
        for c, r in enumerate(ranks):
            A, B = U[c, :, :r], Vh[c, :r, :]
            out[0, c] = A @ (A.T @ g[0, c] @ B.T) @ B
        return out


def main():
    case_dir, bundle = sys.argv[1], sys.argv[2]
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    m = Model(bundle)
    zshape = tuple(case["latent_shape"])
    n = case["image_size"]
    z = load_f32(os.path.join(case_dir, "z_T.f32"), (1,) + zshape)
    y = load_f32(os.path.join(case_dir, "y.f32"), (1, 3, n, n))
    if case["task"] in ("gblur", "mblur"):
        k = case["kernel_side"]
        op = load_f32(os.path.join(case_dir, "op.f32"), (k, k))
    else:
        op = load_f32(os.path.join(case_dir, "op.f32"), (1, 1, n, n))
    A = Operator(case, op)
    noise_all = np.fromfile(os.path.join(case_dir, "noise.f32"), dtype="<f4").astype(np.float64)
    noise_keys = [tuple(e) for e in case["noise"]]
    zlen = int(np.prod(zshape))
    draws = {key: torch.from_numpy(noise_all[i * zlen:(i + 1) * zlen]).reshape((1,) + zshape)
             for i, key in enumerate(noise_keys)}
    P = Plorg(case)
    ts = case["timesteps"]
    total_steps = len(ts)
    abar = lambda i: float(m.abar[ts[i]])
    abar_prev = lambda i: float(m.abar[ts[i + 1]]) if i + 1 < total_steps else float(m.abar[0])
    mse = torch.nn.MSELoss()

    def pixel_optimization(x_prime, x_prev):
        opt_var = f32(x_prime).detach().clone().requires_grad_()
        optimizer = torch.optim.AdamW([opt_var], lr=case["pixel_lr"], weight_decay=case["weight_decay"])
        sub = P.subspace(x_prev) if x_prev is not None else None
        itr = 0
        for itr in range(case["pixel_max_iters"]):
            optimizer.zero_grad()
            loss = mse(y, A(opt_var))
            loss.backward()
            opt_var.grad = P.project(opt_var.grad, itr, sub)
            optimizer.step()
            if loss < case["stop_loss"]:
                break
        else:
            itr = case["pixel_max_iters"] - 1
        return opt_var.detach(), itr + 1

    def latent_optimization(z_init, z_prev):
        z_init = z_init.detach().clone().requires_grad_()
        optimizer = torch.optim.AdamW([z_init], lr=case["latent_lr"], weight_decay=case["weight_decay"])
        sub = P.subspace(z_prev) if P.on else None
        losses, done = [], 0
        for itr in range(case["latent_max_iters"]):
            optimizer.zero_grad()
            output = mse(y, A(m.decode(f32(z_init))))
            output.backward()
            z_init.grad = P.project(f32(z_init.grad), itr, sub)
            optimizer.step()
            done = itr + 1
            cur_loss = float(output.detach())
            losses.append(cur_loss)
            if itr >= case["loss_window"]:  # the official rule, with its 200 as a setting
                if losses[0] < cur_loss:
                    break
                losses.pop(0)
            if cur_loss < case["stop_loss"]:
                break
        return z_init.detach(), done

    def stochastic_resample(pseudo_x0, x_t, a_t, sigma, i):
        noise = draws[("resample", i, 0)]
        return (sigma * np.sqrt(a_t) * pseudo_x0 + (1 - a_t) * x_t) / (sigma + 1 - a_t) + \
            noise * np.sqrt(1 / (1 / sigma + 1 / (1 - a_t)))

    dsg = P.on and case["resample_svd"] == "diffstategrad"
    traj, kinds, iters = [], [], []
    img = z
    for i in range(total_steps):
        index = total_steps - i - 1
        a_t, a_prev = abar(i), abar_prev(i)
        kind, its = 0, 0
        # unconditional DDIM step (eta 0) with the graph kept for the DPS step
        x_prev = f32(img).detach().requires_grad_()
        e_t = m.eps_graph(x_prev, ts[i])
        pred_x0 = (x_prev - np.sqrt(1 - a_t) * e_t) / np.sqrt(a_t)
        out = np.sqrt(a_prev) * pred_x0 + np.sqrt(1 - a_prev) * e_t
        pseudo_x0 = pred_x0  # ENGINE: Tweedie (official: (x - (1 - a) e) / sqrt(a))
        # PosteriorSampling.conditioning: x_t -= grad ||y - A(D(x0_hat))|| * scale, scale = a_t * 0.5
        norm = torch.linalg.norm(y - A(m.decode(pseudo_x0)))
        norm_grad = torch.autograd.grad(norm, x_prev)[0]
        img = (out - f32(norm_grad) * (case["omega"] * a_t)).detach()

        index_split = total_steps // 3
        if index <= (total_steps - index_split) and index > 0:
            x_t = img.clone()
            if index % case["event_every"] == 0:
                zz = img
                for k in range(i, min(i + case["time_travel"], total_steps - 1)):
                    j = k + 1  # ENGINE: abar of the timestep ts[k+1] the UNet sees
                    e = m.eps(zz, ts[j])
                    a, ap = abar(j), abar_prev(j)
                    pred = (zz - np.sqrt(1 - a) * e) / np.sqrt(a)
                    pseudo_x0 = f32(pred)  # ENGINE: Tweedie
                    zz = f32(np.sqrt(ap) * pred + np.sqrt(1 - ap) * e)
                tt = zz  # the official code's `img` after time travel
                sigma = case["gamma"] * (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)
                if index >= index_split:
                    kind = 1
                    x_state = f32(m.decode(tt)) if dsg else None
                    opt_var, its = pixel_optimization(f32(m.decode(pseudo_x0)), x_state)
                    opt_var = m.encode(opt_var)
                    img = stochastic_resample(opt_var, x_t, a_prev, sigma, i)
                else:
                    kind = 2
                    state = tt if dsg else x_t  # paper, Algorithm 5: SVD of z'_t
                    pseudo_x0, its = latent_optimization(pseudo_x0, state)
                    img = stochastic_resample(f32(pseudo_x0), x_t, a_prev, sigma, i)
        if i == total_steps - 1 and case["final_opt"]:
            img, its = latent_optimization(f32(img), f32(img))
            kind = 3
        img = f32(img).detach()
        traj.append(img.numpy().reshape(-1).copy())
        kinds.append(kind)
        iters.append(its)
    np.asarray(traj, dtype=np.float64).tofile(os.path.join(case_dir, "replica_traj.f64"))
    with open(os.path.join(case_dir, "replica.json"), "w") as f:
        json.dump({"kinds": kinds, "iters": iters}, f)


if __name__ == "__main__":
    main()
