#!/usr/bin/python3
"""An independent replica of the official PSLD sampling loop (LituRout/PSLD,
stable-diffusion/ldm/models/diffusion/psld.py, DDIMSampler.ddim_sampling and
p_sample_ddim; the operators and noiser of DPS's guided_diffusion/measurements.py;
the timesteps of ldm/modules/diffusionmodules/util.py make_ddim_timesteps /
make_ddim_sampling_parameters), written from reading that code, in PyTorch float64 on a
model bundle's own TorchScript files (unet.pt, encoder.pt, decoder.pt).

What it reproduces, step by step (eta = 0, as PSLD runs):
  z_t (leaf, requires grad); e = UNet(z_t, t)
  z0 = (z_t - sqrt(1 - a_t) e) / sqrt(a_t);  z' = sqrt(a_prev) z0 + sqrt(1 - a_prev) e
  x0 = D(z0);  meas = ||noiser(A x0) - y||           (noiser: + sigma_y * a fresh N(0,1))
  glued = T(y) + (x0 - T(A x0));  glue = ||E(glued) - z0||
  z_{t-1} = z' - grad_{z_t} (gamma * glue + omega * meas)
with T the operator's `transpose` (nearest upsampling for SR x4, identity otherwise),
timesteps t_k = k c + 1 (c = T // steps), a_t = abar[t_k] and a_prev = abar[t_{k-1}]
(abar[0] for the last step). The noiser's N(0,1) draws are read from a file (the engine
made them) so that both sides use the same numbers; nothing else comes from the engine
but the bundle, z_T, y, the mask and the blur kernel. Options replace a piece by its
alternative: glue_transpose=adjoint (A^T by autograd of A), meas_noise=clean,
timesteps=zero (t_k = k c).

The forward operators are written here from their definitions: mask product;
correlation with reflect padding (DPS's Blurkernel: ReflectionPad2d + conv2d); MATLAB-
style antialiased bicubic downsampling (DPS's Resizer: cubic a = -0.5, kernel widened
by the factor, mirrored borders); phase retrieval |fftshift(FFT2_ortho(pad((x+1)/2)))|.
"""
import json
import math
import os

import numpy as np
import torch


def load_f32(path, shape=None):
    a = np.fromfile(path, dtype="<f4").astype(np.float64)
    t = torch.from_numpy(a)
    return t.reshape(shape) if shape is not None else t


class Bundle:
    def __init__(self, folder):
        with open(os.path.join(folder, "model.json")) as f:
            self.man = json.load(f)
        self.nets = {k: torch.jit.load(os.path.join(folder, f"{k}.pt"), map_location="cpu").eval().double()
                     for k in ("unet", "encoder", "decoder")}
        self.scale = float(self.man["scale_factor"])
        sch = self.man["schedule"]
        self.T = int(sch["num_timesteps"])
        # LDM's "linear" schedule: linspace in sqrt space, squared (make_beta_schedule)
        betas = np.linspace(math.sqrt(sch["beta_start"]), math.sqrt(sch["beta_end"]), self.T,
                            dtype=np.float64) ** 2
        self.abar = np.cumprod(1.0 - betas)

    def eps(self, z, t):
        return self.nets["unet"](z, torch.full((z.shape[0],), float(t), dtype=torch.float64))

    def decode(self, z):
        return self.nets["decoder"](z / self.scale)

    def encode(self, x):
        return self.nets["encoder"](x) * self.scale


def ddim_schedule(T, steps, rule):
    """make_ddim_timesteps('uniform') + make_ddim_sampling_parameters of the PSLD code."""
    c = T // steps
    ts = np.asarray(list(range(0, T, c)))
    if rule == "ldm":
        ts = ts + 1
        if ts[-1] >= T:  # steps == T: t = T does not exist; see docs/FIDELITY.md item 5
            ts = ts - 1
    assert len(ts) == steps, "the replica covers step counts that divide T"
    return ts


def cubic(x):
    ax = np.abs(x)
    return ((1.5 * ax ** 3 - 2.5 * ax ** 2 + 1) * (ax <= 1) +
            (-0.5 * ax ** 3 + 2.5 * ax ** 2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def resize_matrix(n_in, n_out):
    """MATLAB imresize's contributions for downscaling n_in -> n_out (antialiased cubic)."""
    s = n_out / n_in
    width = 4.0 / s
    R = np.zeros((n_out, n_in))
    for i in range(n_out):
        u = (i + 1) / s + 0.5 * (1 - 1 / s)           # 1-based input coordinate
        left = math.floor(u - width / 2)
        for j in range(left, left + int(math.ceil(width)) + 2):
            w = s * cubic(s * (u - j))
            # mirror 1-based index j into 1..n_in (symmetric padding)
            k = j - 1
            period = 2 * n_in
            k = k % period
            if k >= n_in:
                k = period - 1 - k
            R[i, k] += w
        R[i] /= R[i].sum()
    return torch.from_numpy(R)


class Operator:
    def __init__(self, case, folder):
        self.task = case["task"]
        n = case["size"]
        self.n = n
        if self.task in ("box", "random", "mask"):
            self.mask = load_f32(os.path.join(folder, "mask.f32"), (1, 1, n, n))
        elif self.task in ("gblur", "mblur"):
            k = case["kernel_size"]
            ker = load_f32(os.path.join(folder, "kernel.f32"), (k, k))
            self.kernel = ker.reshape(1, 1, k, k).repeat(3, 1, 1, 1)
            self.r = k // 2
        elif self.task == "sr4":
            self.f = case["sr_factor"]
            self.R = resize_matrix(n, n // self.f)
        elif self.task == "phase":
            self.pad = case["pr_pad"]

    def forward(self, x):
        if self.task in ("box", "random", "mask"):
            return x * self.mask
        if self.task in ("gblur", "mblur"):
            xp = torch.nn.functional.pad(x, (self.r,) * 4, mode="reflect")
            return torch.nn.functional.conv2d(xp, self.kernel, groups=3)
        if self.task == "sr4":
            return self.R @ x @ self.R.T
        p = torch.nn.functional.pad((x + 1) / 2, (self.pad,) * 4)
        F = torch.fft.fft2(p, norm="ortho")
        return torch.fft.fftshift(F, dim=(-2, -1)).abs()

    def transpose(self, y):
        """The official code's operator.transpose."""
        if self.task == "sr4":
            return torch.nn.functional.interpolate(y, scale_factor=self.f)  # nearest
        return y

    def adjoint(self, y):
        x = torch.zeros(1, 3, self.n, self.n, dtype=torch.float64, requires_grad=True)
        # create_graph: A^T y stays differentiable in y (the gluing's A^T A x0 term)
        (g,) = torch.autograd.grad((self.forward(x) * y).sum(), x, create_graph=True)
        return g


def run(bundle_dir, case_dir, override=None):
    """Returns the replica's trajectory ((steps + 1) latents, z_T first) and the engine's.
    override replaces case options (glue_transpose, meas_noise, timesteps)."""
    torch.set_num_threads(1)
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    case.update(override or {})
    m = Bundle(bundle_dir)
    man = m.man
    zshape = (1,) + tuple(man["latent_shape"])
    S = case["steps"]
    zs = load_f32(os.path.join(case_dir, "z.f32"), (S + 1,) + zshape[1:])
    y = load_f32(os.path.join(case_dir, "y.f32"), [1] + case["y_shape"])
    noise = load_f32(os.path.join(case_dir, "noise.f32"), [S, 1] + case["y_shape"])
    A = Operator(case, case_dir)
    T_ = A.adjoint if case["glue_transpose"] == "adjoint" else A.transpose
    ts = ddim_schedule(m.T, S, case["timesteps"])
    alphas = m.abar[ts]
    alphas_prev = np.asarray([m.abar[0]] + m.abar[ts[:-1]].tolist())
    omega, gamma, sigma_y = case["omega"], case["gamma"], case["sigma_y"]
    img = zs[0].reshape(zshape).clone()
    out = [img.clone()]
    for i, step in enumerate(np.flip(ts)):
        index = S - i - 1
        a_t, a_prev = float(alphas[index]), float(alphas_prev[index])
        z_t = img.detach().clone().requires_grad_(True)
        e_t = m.eps(z_t, int(step))
        pred_z0 = (z_t - math.sqrt(1 - a_t) * e_t) / math.sqrt(a_t)
        z_prev = math.sqrt(a_prev) * pred_z0 + math.sqrt(1 - a_prev) * e_t
        image_pred = m.decode(pred_z0)
        meas_pred = A.forward(image_pred)
        if case["meas_noise"] == "noised":
            meas_pred = meas_pred + sigma_y * noise[i]
        error = torch.linalg.norm(meas_pred - y) * omega
        if gamma != 0.0:
            ortho = image_pred - T_(A.forward(image_pred))
            glued = T_(y) + ortho
            error = error + torch.linalg.norm(m.encode(glued) - pred_z0) * gamma
        (grad,) = torch.autograd.grad(error, z_t)
        img = (z_prev - grad).detach()
        out.append(img.clone())
    return [o.reshape(-1) for o in out], zs
