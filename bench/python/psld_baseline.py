#!/usr/bin/python3
"""PSLD and PLoRG-PSLD as a researcher would write them in a notebook: plain PyTorch,
one autograd backward per step, on the same TorchScript bundle the C engine runs.
It is the baseline for the engine's time per step (bench/engine/c_vs_python.py).

  /usr/bin/python3 bench/python/psld_baseline.py [--method psld|plorg-psld] [--steps 20]
      [--threads 1] [--device cpu|cuda] [--model models/emoji64] [--image FILE] [--json FILE]

What one step does (the C engine's pl_solver_psld.c + pl_projection.c, DESIGN.md section 5):
  eps = UNet(z_t, t)                      z0 = (z_t - sqrt(1 - abar) eps) / sqrt(abar)
  x0 = D(z0 / s)                          s = the manifest's scale_factor
  L  = omega ||A x0 - y|| + gamma ||z0 - s E(A^T y + (I - A^T A) x0)||   (plain norms)
  g  = dL/dz_t                            (one backward through UNet, decoder and encoder)
  PLoRG: per latent channel, SVD of z_t, rank r = smallest k whose share of sum s_j^2
         reaches tau (the paper's rule), g <- U_r U_r^T g V_r V_r^T (both sides)
  z_{t-1} = sqrt(abar_prev) z0 + sqrt(1 - abar_prev) eps - g        (DDIM, eta 0)
A is box inpainting (a centred n/2 x n/2 hole, as bench-engine --center-box), y = A x + 0.01 n.

Timing: --warmup steps of a throw-away run first (the TorchScript profiling executor
specialises on its first calls), then a fresh run of --steps steps; the time per step is
the mean interval between the ends of consecutive steps (CUDA: synchronised), the same
definition as bench-engine's "wall/step"; cpu_ms_per_step is the process CPU time (all
threads) over the same intervals. The TorchScript optimiser is left at
PyTorch's default (what a notebook gets); --no-jit-opt switches it off as the shim does.
Prints one JSON object (and writes it with --json).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_bundle(folder, device):
    with open(os.path.join(folder, "model.json")) as f:
        man = json.load(f)
    nets = {}
    for name in ("unet", "encoder", "decoder"):
        net = torch.jit.load(os.path.join(folder, name + ".pt"), map_location=device).eval()
        for p in net.parameters():  # gradients are wanted w.r.t. the latent only
            p.requires_grad_(False)
        nets[name] = net
    return man, nets


def alphas_cumprod(schedule):
    """LDM's "linear" schedule: betas linear in sqrt, as pl_schedule_new_linear."""
    T = schedule["num_timesteps"]
    root = np.linspace(math.sqrt(schedule["beta_start"]), math.sqrt(schedule["beta_end"]), T)
    return np.cumprod(1.0 - root ** 2)


def ddim_timesteps(T, steps):
    c = T // steps
    return [(steps - 1 - i) * c for i in range(steps)]


def clean_image(path, n):
    """[-1, 1] image, 1 x 3 x n x n: a file (alpha on white, centre crop) or a test card."""
    if path:
        from PIL import Image  # only needed with --image

        img = Image.open(path).convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img).convert("RGB")
        side = min(img.size)
        left, top = (img.size[0] - side) // 2, (img.size[1] - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((n, n), Image.BICUBIC)
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
    else:  # bench-engine's grey test card, value k of the flat 3 x n x n buffer
        k = np.arange(3 * n * n, dtype=np.float64)
        x = torch.from_numpy((0.5 + 0.4 * np.sin(0.05 * k)).astype(np.float32)).view(3, n, n)
    return (2.0 * x - 1.0).unsqueeze(0)


def box_mask(n):
    m = torch.ones(1, 1, n, n)
    m[..., n // 4: n // 4 + n // 2, n // 4: n // 4 + n // 2] = 0.0
    return m


def paper_ranks(s, tau):
    """Smallest k with sum_{j<=k} s_j^2 / sum_j s_j^2 >= tau, per row of s (channels)."""
    lam = s.double() ** 2
    share = torch.cumsum(lam, dim=-1) / lam.sum(dim=-1, keepdim=True)
    r = (share < tau).sum(dim=-1) + 1
    return r.clamp(max=s.shape[-1]).tolist()


def plorg_project(g, z, tau):
    """U_r U_r^T G V_r V_r^T per latent channel, subspace of z (both B x C x H x W)."""
    u, s, vh = torch.linalg.svd(z, full_matrices=False)
    out = torch.empty_like(g)
    for b in range(g.shape[0]):
        for c, r in enumerate(paper_ranks(s[b], tau)):
            ur, vr = u[b, c, :, :r], vh[b, c, :r, :]
            out[b, c] = ur @ (ur.T @ g[b, c] @ vr.T) @ vr
    return out


def psld_run(nets, scale, abar, ts, z, y, mask, omega, gamma, plorg, tau, on_step):
    """The sampling loop; on_step(i) after every step. Returns the final latent."""
    unet, enc, dec = nets["unet"], nets["encoder"], nets["decoder"]
    n_steps = len(ts)
    for i, t in enumerate(ts):
        a = float(abar[t])
        ap = float(abar[ts[i + 1]]) if i + 1 < n_steps else float(abar[0])
        z = z.detach().requires_grad_(True)
        tt = torch.full((z.shape[0],), float(t), device=z.device)
        eps = unet(z, tt)
        z0 = (z - math.sqrt(1.0 - a) * eps) / math.sqrt(a)
        x0 = dec(z0 / scale)
        meas = torch.linalg.vector_norm(mask * x0 - y)
        glued = mask * y + (1.0 - mask) * x0  # A^T y + (I - A^T A) x0 for a 0/1 mask
        glue = torch.linalg.vector_norm(z0 - enc(glued) * scale)
        g, = torch.autograd.grad(omega * meas + gamma * glue, z)
        with torch.no_grad():
            if plorg:
                g = plorg_project(g, z, tau)
            z = math.sqrt(ap) * z0 + math.sqrt(1.0 - ap) * eps - g
        on_step(i)
    return z.detach()


def psnr(a, b):
    """PSNR in dB of two [-1, 1] images mapped to [0, 1]."""
    a = ((a.clamp(-1, 1) + 1) / 2).double()
    b = ((b.clamp(-1, 1) + 1) / 2).double()
    mse = torch.mean((a - b) ** 2).item()
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else float("inf")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", choices=["psld", "plorg-psld"], default="psld")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "emoji64"))
    ap.add_argument("--image", help="clean image (default: bench-engine's test card)")
    ap.add_argument("--omega", type=float, default=0.5, help="engine default at 250 steps")
    ap.add_argument("--gamma", type=float, default=0.1)
    ap.add_argument("--tau", type=float, default=0.99)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-jit-opt", action="store_true", help="TorchScript optimiser off (as the shim)")
    ap.add_argument("--json", help="also write the result here")
    args = ap.parse_args(argv)
    if args.steps < 2:
        ap.error("--steps must be at least 2 (the time per step is an interval between steps)")

    torch.set_num_threads(args.threads)
    if args.no_jit_opt:
        torch._C._set_graph_executor_optimize(False)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    man, nets = load_bundle(args.model, device)
    scale = man["scale_factor"]
    abar = alphas_cumprod(man["schedule"])
    n = man["image_size"]
    C, H, W = man["latent_shape"]
    gen = torch.Generator().manual_seed(args.seed)
    x = clean_image(args.image, n).to(device)
    mask = box_mask(n).to(device)
    y = mask * x + 0.01 * torch.randn(x.shape, generator=gen).to(device)
    plorg = args.method == "plorg-psld"

    def run(steps, on_step):
        z = torch.randn(1, C, H, W, generator=gen).to(device)
        ts = ddim_timesteps(man["schedule"]["num_timesteps"], steps)
        return psld_run(nets, scale, abar, ts, z, y, mask, args.omega, args.gamma, plorg,
                        args.tau, on_step)

    if args.warmup > 0:
        run(args.warmup, lambda i: None)
    sync()
    ends, cpu = [], []

    def stamp(i):
        sync()
        ends.append(time.perf_counter())
        cpu.append(time.process_time())  # all threads: less sensitive to other load

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    z = run(args.steps, stamp)
    total = time.perf_counter() - t0
    gaps = [1000.0 * (b - a) for a, b in zip(ends, ends[1:])]
    cpu_ms = 1000.0 * (cpu[-1] - cpu[0]) / (len(cpu) - 1)
    with torch.no_grad():
        x_hat = nets["decoder"](z / scale)
    out = {
        "program": "psld_baseline.py", "method": args.method, "device": args.device,
        "threads": args.threads, "steps": args.steps, "warmup": args.warmup,
        "jit_optimizer": not args.no_jit_opt, "torch": torch.__version__,
        "ms_per_step": statistics.mean(gaps), "ms_per_step_median": statistics.median(gaps),
        "ms_per_step_min": min(gaps), "cpu_ms_per_step": cpu_ms, "run_s": total,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "psnr_db": psnr(x_hat, x),
    }
    if device.type == "cuda":
        out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
        out["cuda_device"] = torch.cuda.get_device_name(0)
    text = json.dumps(out)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
