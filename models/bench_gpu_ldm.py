#!/usr/bin/env python3
"""GPU time and memory of one PSLD-like guided step on a model bundle (e.g. the full-size
FFHQ LDM-VQ-4 architecture with random weights, exported by export_ldm.py --random).

Needs only Python 3 and PyTorch with CUDA (any 2.x; no GLib, no PLoRG build, no YAML):

  python3 bench_gpu_ldm.py --bundle ffhq-ldm-vq-4-random [--steps 20] [--batch 1] [--tf32]

Measures, at the given batch size, each with its own peak-memory count:
  unet     eps = UNet(z, t) forward + backward to z
  decoder  x = D(z / s) forward + backward to z (VQ: quantise with straight-through)
  encoder  e = s E(x) forward + backward to x
  psld     the whole guided step as the engine composes it through the shim:
           z0 = Tweedie(z_t, eps), x0 = D(z0 / s), measurement term ||m (x0 - y)||,
           gluing term ||z0 - s E(m y + (1 - m) x0)||, one backward to z_t, DDIM update
and checks the bundle's fixture on the GPU (eps, encode, decode against the CPU export).
Timing: CUDA events around each call, after warm-up; median and min of --steps runs.
The TorchScript graph optimiser is off, as in the shim (shim_torch.hpp, CallScope).
Prints a table and, with --json FILE, writes the numbers.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch


def load_bundle(d, device):
    with open(os.path.join(d, "model.json")) as f:
        man = json.load(f)
    mods = {k: torch.jit.load(os.path.join(d, f"{k}.pt"), map_location=device).eval().float()
            for k in ("unet", "encoder", "decoder")}
    for m in mods.values():
        for p in m.parameters():
            p.requires_grad_(False)
    return man, mods


def alphas_cumprod(man):
    s = man["schedule"]
    betas = np.linspace(s["beta_start"] ** 0.5, s["beta_end"] ** 0.5, s["num_timesteps"]) ** 2
    return np.cumprod(1.0 - betas)


def check_fixture(d, man, mods, device):
    """max |GPU - CPU export| relative to the reference's scale, per fixture tensor."""
    path = os.path.join(d, "fixture.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        js = json.load(f)
    raw = open(os.path.join(d, js["data"]), "rb").read()
    t = {}
    for e in js["tensors"]:
        n = int(np.prod(e["shape"]))
        a = np.frombuffer(raw, dtype="<f4", count=n, offset=e["offset"]).reshape(e["shape"])
        t[e["name"]] = torch.from_numpy(a.copy()).to(device)
    s = man["scale_factor"]
    out = {}
    with torch.no_grad():
        for tv in js["t"]:
            ref = t[f"eps_t{tv}"]
            got = mods["unet"](t["z"], torch.full((t["z"].shape[0],), float(tv), device=device))
            out[f"eps_t{tv}"] = ((got - ref).abs().max() / ref.abs().max().clamp_min(1)).item()
        got = mods["encoder"](t["x"]) * s
        out["encode"] = ((got - t["encode"]).abs().max() / t["encode"].abs().max().clamp_min(1)).item()
        got = mods["decoder"](t["z"] / s)
        out["decode"] = ((got - t["decode"]).abs().max() / t["decode"].abs().max().clamp_min(1)).item()
    return out


def timed(fn, steps, warmup, cuda):
    """(median ms, min ms, peak MiB allocated during the timed runs; None on the CPU)."""
    for _ in range(warmup):
        fn()
    if not cuda:  # smoke test of the script itself
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times), min(times), None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(steps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times), min(times), torch.cuda.max_memory_allocated() / 2 ** 20


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 convolutions/matmuls")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                    help="cpu: a smoke test of this script (no memory numbers)")
    args = ap.parse_args()
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print("bench_gpu_ldm: no CUDA device", file=sys.stderr)
        return 1
    device = torch.device("cuda:0" if cuda else "cpu")
    torch.set_grad_enabled(True)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = False
    torch._C._set_graph_executor_optimize(False)  # as the shim runs TorchScript

    man, mods = load_bundle(args.bundle, device)
    weights_mib = torch.cuda.memory_allocated() / 2 ** 20 if cuda else None
    fixture = check_fixture(args.bundle, man, mods, device)
    B, s = args.batch, man["scale_factor"]
    c, h, w = man["latent_shape"]
    n = man["image_size"]
    g = torch.Generator(device=device).manual_seed(0)
    z = torch.randn(B, c, h, w, device=device, generator=g)
    x = torch.rand(B, 3, n, n, device=device, generator=g) * 2 - 1
    tt = torch.full((B,), 500.0, device=device)
    abar_np = alphas_cumprod(man)
    abar, abar_prev = float(abar_np[500]), float(abar_np[499])
    mask = (torch.rand(1, 1, n, n, device=device, generator=g) > 0.7).float()  # 70 % missing
    y = mask * x
    omega = gamma = 0.1  # PSLD's LDM-VQ-4 step sizes (DESIGN.md, section 5)

    def unet_fb():
        zl = z.clone().requires_grad_(True)
        eps = mods["unet"](zl, tt)
        torch.autograd.grad([eps], [zl], [torch.ones_like(eps)])

    def dec_fb():
        zl = z.clone().requires_grad_(True)
        xo = mods["decoder"](zl / s)
        torch.autograd.grad([xo], [zl], [torch.ones_like(xo)])

    def enc_fb():
        xl = x.clone().requires_grad_(True)
        e = mods["encoder"](xl) * s
        torch.autograd.grad([e], [xl], [torch.ones_like(e)])

    def psld_step():
        zl = z.clone().requires_grad_(True)
        eps = mods["unet"](zl, tt)
        z0 = (zl - math.sqrt(1 - abar) * eps) / math.sqrt(abar)
        x0 = mods["decoder"](z0 / s)
        meas = torch.linalg.vector_norm((mask * x0 - y).flatten(1), dim=1).sum()
        e = mods["encoder"](y + (1 - mask) * x0) * s
        glue = torch.linalg.vector_norm((z0 - e).flatten(1), dim=1).sum()
        grad, = torch.autograd.grad([omega * meas + gamma * glue], [zl])
        with torch.no_grad():  # DDIM (eta = 0) minus the guidance step
            z_prev = math.sqrt(abar_prev) * z0 + math.sqrt(1 - abar_prev) * eps - grad
        return z_prev

    rows = {}
    for name, fn in (("unet", unet_fb), ("decoder", dec_fb), ("encoder", enc_fb), ("psld", psld_step)):
        if cuda:
            torch.cuda.empty_cache()
        med, mn, peak = timed(fn, args.steps, args.warmup, cuda)
        rows[name] = {"median_ms": med, "min_ms": mn, "peak_mib": peak}

    params = man.get("parameters", {})
    info = {"bundle": os.path.abspath(args.bundle), "name": man["name"],
            "device": torch.cuda.get_device_name(0) if cuda else "cpu", "torch": torch.__version__,
            "cuda": torch.version.cuda, "tf32": args.tf32, "batch": B,
            "latent": [c, h, w], "image_size": n, "parameters": params,
            "bundle_torch_version": man.get("torch_version"), "fixture_rel_err": fixture,
            "weights_mib": weights_mib, "results": rows,
            # ms per step times 1000 steps = seconds
            "psld_1000_steps_s": rows["psld"]["median_ms"]}
    print(f"{info['name']} on {info['device']} (torch {info['torch']}, CUDA {info['cuda']}, "
          f"TF32 {'on' if args.tf32 else 'off'}), batch {B}, latent {c}x{h}x{w}, image {n}")
    for k, v in fixture.items():
        print(f"  fixture {k}: max rel. deviation from the CPU export {v:.1e}")
    if weights_mib is not None:
        print(f"  weights on the GPU: {weights_mib:.0f} MiB (included in the peaks below)")
    print(f"  {'':8s} {'median ms':>10s} {'min ms':>8s} {'peak MiB':>9s}")
    for k, r in rows.items():
        peak = f"{r['peak_mib']:9.0f}" if r["peak_mib"] is not None else "      n/a"
        print(f"  {k:8s} {r['median_ms']:10.1f} {r['min_ms']:8.1f} {peak}")
    print(f"  PSLD, 1000 DDIM steps: ~{info['psld_1000_steps_s']:.0f} s per image batch")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
