#!/usr/bin/python3
"""Train the bundled default model in two stages, resumable from checkpoints.

  train.py autoencoder  -- KL autoencoder on random crops (fully convolutional)
  train.py unet         -- eps-prediction UNet on the autoencoder's latents

Both stop at --steps or after --minutes, whichever comes first, checkpoint every
--every steps and at the end, and resume from the checkpoint when it exists.
The UNet stage also writes checkpoints/unet-compact.pt (half precision, committed to
git so that an interrupted machine loses only the steps since the last commit) and,
with no checkpoint at all, continues from the exported bundle (--init-bundle). Its
held-out eps-MSE is appended to models/training/unet_curve.csv every --eval-every.
Runs with Debian's torch 1.13 on the CPU (use /usr/bin/python3) and with a CUDA
PyTorch on a GPU machine (--device cuda); checkpoints hold plain state dicts.
For CPU training set MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4000000000 (glibc
otherwise re-maps large buffers every step: measured 4x slower).
"""
import argparse
import copy
import json
import math
import os
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

from ldm_small import AutoencoderKL, UNet, linear_betas, count_params

HERE = os.path.dirname(os.path.abspath(__file__))


def load_images(path):
    a = np.load(path)  # N x H x W x 3 uint8
    return torch.from_numpy(a).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def save_ckpt(path, **state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def ema_update(ema, model, decay):
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)


def lr_at(step, total, base, warmup=200):
    if step < warmup:
        return base * (step + 1) / warmup
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total)))


def train_autoencoder(args):
    x = load_images(os.path.join(args.data, "train_64.npy"))
    dev = torch.device(args.device)
    ae = AutoencoderKL().to(dev)
    opt = torch.optim.AdamW(ae.parameters(), lr=args.lr, weight_decay=0.0)
    step = 0
    ckpt = os.path.join(args.ckpt_dir, "autoencoder.pt")
    if os.path.exists(ckpt):
        s = torch.load(ckpt, map_location="cpu")
        ae.load_state_dict(s["model"]); opt.load_state_dict(s["opt"]); step = s["step"]
        print(f"resumed autoencoder at step {step}")
    print(f"autoencoder: {count_params(ae)} parameters, {len(x)} images")
    g = torch.Generator().manual_seed(1234 + step)
    t_end = time.time() + 60 * args.minutes
    t0, seen_loss = time.time(), []
    while step < args.steps and time.time() < t_end:
        idx = torch.randint(len(x), (args.batch,), generator=g)
        b = x[idx]
        if args.crop < b.shape[-1]:
            i, j = torch.randint(0, b.shape[-1] - args.crop + 1, (2,), generator=g).tolist()
            # Crops on a grid of 4 keep the latent aligned with the full-image one.
            i, j = i // 4 * 4, j // 4 * 4
            b = b[:, :, i:i + args.crop, j:j + args.crop]
        flip = torch.rand(args.batch, generator=g) < 0.5
        b = torch.where(flip[:, None, None, None], b.flip(-1), b).to(dev)
        for pg in opt.param_groups:
            pg["lr"] = lr_at(step, args.steps, args.lr)
        mean, logvar = ae.encoder(b)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        rec = ae.decoder(z)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=(1, 2, 3)).mean()
        loss = F.l1_loss(rec, b) + F.mse_loss(rec, b) + args.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        seen_loss.append(loss.item())
        if step % 100 == 0:
            print(f"ae step {step} loss {np.mean(seen_loss):.5f} kl {kl.item():.1f} "
                  f"{(time.time() - t0) / len(seen_loss):.3f}s/it", flush=True)
            seen_loss, t0 = [], time.time()
        if step % args.every == 0:
            save_ckpt(ckpt, model=ae.state_dict(), opt=opt.state_dict(), step=step)
    save_ckpt(ckpt, model=ae.state_dict(), opt=opt.state_dict(), step=step)
    print(f"autoencoder checkpoint at step {step}")


@torch.no_grad()
def encode_dataset(ae, x, dev, batch=128):
    means, logvars = [], []
    for flip in (False, True):
        for i in range(0, len(x), batch):
            b = x[i:i + batch].to(dev)
            m, lv = ae.encoder(b.flip(-1) if flip else b)
            means.append(m.cpu()); logvars.append(lv.cpu())
    return torch.cat(means), torch.cat(logvars)


def autoencoder_from_bundle(bundle):
    """The eager KL autoencoder with the weights of an exported bundle (its TorchScript
    files hold the eager modules' state dicts: encoder.pt wraps the encoder as .encoder)."""
    ae = AutoencoderKL()
    enc = torch.jit.load(os.path.join(bundle, "encoder.pt"), map_location="cpu").state_dict()
    dec = torch.jit.load(os.path.join(bundle, "decoder.pt"), map_location="cpu").state_dict()
    state = {"encoder." + k[len("encoder."):]: v for k, v in enc.items()}
    state.update({"decoder." + k: v for k, v in dec.items()})
    ae.load_state_dict(state)
    return ae


def load_autoencoder(args):
    path = os.path.join(args.ckpt_dir, "autoencoder.pt")
    if os.path.exists(path):
        ae = AutoencoderKL()
        ae.load_state_dict(torch.load(path, map_location="cpu")["model"])
        return ae, "checkpoint"
    # Written once so that export_bundle.py and evaluate.py find the autoencoder too.
    ae = autoencoder_from_bundle(args.init_bundle)
    man = json.load(open(os.path.join(args.init_bundle, "model.json")))
    save_ckpt(path, model=ae.state_dict(), step=int(man["training"]["autoencoder_steps"]))
    return ae, args.init_bundle


def compact_state(unet, ema, opt, step, scale, schedule):
    """A resumable checkpoint at half the size: weights and EMA in float16, Adam's moments
    in bfloat16 (the second moment spans too many decades for float16)."""
    o = opt.state_dict()  # its per-parameter dicts are the optimiser's own: copy them
    o["state"] = {i: {k: (v.to(torch.bfloat16) if k in ("exp_avg", "exp_avg_sq") else v)
                      for k, v in st.items()} for i, st in o["state"].items()}
    return {"model": {k: v.half() for k, v in unet.state_dict().items()},
            "ema": {k: v.half() for k, v in ema.state_dict().items()},
            "opt": o, "step": step, "scale_factor": scale, "schedule": schedule,
            "format": "plorg-unet-compact-1"}


def load_state(unet, ema, opt, s):
    unet.load_state_dict({k: v.float() for k, v in s["model"].items()})
    ema.load_state_dict({k: v.float() for k, v in s["ema"].items()})
    if s.get("opt") is not None:
        o = s["opt"]
        for st in o["state"].values():
            for k in ("exp_avg", "exp_avg_sq"):
                st[k] = st[k].float()
        opt.load_state_dict(o)


def newest_checkpoint(args):
    """The full (unet.pt) or the compact (committed) checkpoint, whichever is further on."""
    found = []
    for name in ("unet.pt", "unet-compact.pt"):
        path = os.path.join(args.ckpt_dir, name)
        if os.path.exists(path):
            s = torch.load(path, map_location="cpu")
            found.append((s["step"], name, s))
    return max(found, key=lambda f: f[0]) if found else None


def bundle_start(args, unet, ema):
    """No checkpoint: continue from the bundle's (EMA) UNet with a fresh optimiser."""
    man = json.load(open(os.path.join(args.init_bundle, "model.json")))
    jit = torch.jit.load(os.path.join(args.init_bundle, "unet.pt"), map_location="cpu")
    unet.load_state_dict(jit.state_dict())
    ema.load_state_dict(jit.state_dict())
    return int(man["training"]["unet_steps"]), float(man["scale_factor"])


@torch.no_grad()
def heldout_eps_mse(unet, z0, seed=0, repeats=4, batch=256):
    """eps-MSE at random t on held-out latents; with the 154 original held-out images this
    draws the same t and noise as models/evaluate.py did for the first bundle (0.0696)."""
    abar = torch.cumprod(1 - linear_betas(), 0).float()
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(repeats):
        t = torch.randint(0, 1000, (len(z0),), generator=gen)
        n = torch.randn(z0.shape, generator=gen)
        a = abar[t][:, None, None, None]
        zt = a.sqrt() * z0 + (1 - a).sqrt() * n
        pred = torch.cat([unet(zt[i:i + batch], t[i:i + batch].float())
                          for i in range(0, len(z0), batch)])
        losses.append(((pred - n) ** 2).mean().item())
    return float(np.mean(losses))


def heldout_latents(ae, args, scale):
    """Posterior means of the held-out images: all of them, and the original 154 (Twemoji
    and Noto, listed first in test_64.npy) for comparison with the first bundle."""
    x = load_images(os.path.join(args.data, "test_64.npy"))
    split = json.load(open(os.path.join(args.data, "split.json")))
    n_old = sum(1 for n in split["test"] if n.split("/")[0] in ("twitter", "google"))
    with torch.no_grad():
        z = torch.cat([ae.encoder(x[i:i + 128])[0] for i in range(0, len(x), 128)]) * scale
    return z, z[:n_old]


def train_unet(args):
    dev = torch.device(args.device)
    ae, ae_source = load_autoencoder(args)
    ae.to(dev).eval()
    x = load_images(os.path.join(args.data, "train_64.npy"))
    mean, logvar = encode_dataset(ae, x, dev)

    unet = UNet().to(dev)
    ema = copy.deepcopy(unet).eval()
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    ckpt = os.path.join(args.ckpt_dir, "unet.pt")
    compact = os.path.join(args.ckpt_dir, "unet-compact.pt")
    found = newest_checkpoint(args)
    if found:
        step, name, s = found
        load_state(unet, ema, opt, s)
        scale, schedule = s["scale_factor"], s.get("schedule", {"start": 0, "warmup": 200})
        print(f"resumed unet at step {step} from {name}")
    else:
        step, scale = bundle_start(args, unet, ema)
        schedule = {"start": step, "warmup": 200}
        print(f"no checkpoint: continuing the bundle {args.init_bundle} at step {step}")
    unet.to(dev); ema.to(dev)
    print(f"latents {tuple(mean.shape)} (autoencoder: {ae_source}), scale factor {scale:.5f}")
    print(f"unet: {count_params(unet)} parameters")
    z_all, z_old = heldout_latents(ae.cpu(), args, scale)
    ae.to(dev)
    curve = os.path.join(args.curve) if args.curve else None

    def save(reason):
        save_ckpt(ckpt, model=unet.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
                  step=step, scale_factor=scale, schedule=schedule)
        save_ckpt(compact, **compact_state(unet, ema, opt, step, scale, schedule))
        print(f"unet checkpoint at step {step} ({reason})", flush=True)

    best_path = os.path.join(args.ckpt_dir, "unet-best.pt")
    best = {"mse": torch.load(best_path, map_location="cpu")["heldout_eps_mse_all"]
            if os.path.exists(best_path) else float("inf"), "evals_since": 0}

    def evaluate():
        e = copy.deepcopy(ema).cpu().eval()
        old, full = heldout_eps_mse(e, z_old), heldout_eps_mse(e, z_all)
        print(f"unet step {step} held-out eps-MSE {old:.5f} (original 154), {full:.5f} (all {len(z_all)})",
              flush=True)
        # Early stopping: the exported weights are the EMA with the lowest held-out loss.
        if full < best["mse"]:
            best.update(mse=full, evals_since=0)
            save_ckpt(best_path, ema={k: v.half() for k, v in ema.state_dict().items()},
                      step=step, scale_factor=scale, heldout_eps_mse_all=full,
                      heldout_eps_mse_original=old, format="plorg-unet-best-1")
            print(f"unet best held-out so far: step {step}", flush=True)
        else:
            best["evals_since"] += 1
        if curve:
            new = not os.path.exists(curve)
            with open(curve, "a") as f:
                if new:
                    f.write("step,train_loss,heldout_eps_mse_original,heldout_eps_mse_all,utc\n")
                tl = f"{np.mean(window):.5f}" if window else ""
                f.write(f"{step},{tl},{old:.5f},{full:.5f},"
                        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")

    abar = torch.cumprod(1 - linear_betas(), 0).float().to(dev)
    g = torch.Generator().manual_seed(4321 + step)
    t_end = time.time() + 60 * args.minutes
    t0, seen_loss, window = time.time(), [], []
    use_bf16 = args.bf16 and dev.type == "cpu"
    if found is None:
        evaluate()
    # SIGINT / SIGTERM end the loop after the current step, which is then checkpointed.
    stop = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.append(True))
    while step < args.steps and time.time() < t_end and not stop:
        if args.patience and best["evals_since"] >= args.patience:
            print(f"held-out loss has not improved for {args.patience} evaluations: stopping")
            break
        idx = torch.randint(len(mean), (args.batch,), generator=g)
        z0 = (mean[idx] + torch.exp(0.5 * logvar[idx]) * torch.randn(mean[idx].shape, generator=g)) * scale
        t = torch.randint(0, 1000, (args.batch,), generator=g)
        noise = torch.randn(z0.shape, generator=g)
        z0, t, noise = z0.to(dev), t.to(dev), noise.to(dev)
        a = abar[t][:, None, None, None]
        zt = a.sqrt() * z0 + (1 - a).sqrt() * noise
        for pg in opt.param_groups:
            pg["lr"] = lr_at(step - schedule["start"], args.steps - schedule["start"], args.lr,
                             schedule["warmup"])
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=use_bf16 or dev.type == "cuda"):
            pred = unet(zt, t.float())
        loss = F.mse_loss(pred.float(), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        ema_update(ema, unet, 0.999 if step > 1000 else 0.99)
        step += 1
        seen_loss.append(loss.item())
        window.append(loss.item())
        if step % 100 == 0:
            print(f"unet step {step} loss {np.mean(seen_loss):.5f} "
                  f"{(time.time() - t0) / len(seen_loss):.3f}s/it", flush=True)
            seen_loss, t0 = [], time.time()
        if step % args.every == 0:
            save("every")
        if step % args.eval_every == 0:
            evaluate()
            window = []
    save("end")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=["autoencoder", "unet"])
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=1e9)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--crop", type=int, default=32, help="autoencoder crop size")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--kl-weight", type=float, default=1e-6)
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--init-bundle", default=os.path.join(HERE, "emoji64"),
                    help="without checkpoints: take the autoencoder and the UNet from this bundle")
    ap.add_argument("--eval-every", type=int, default=500, help="held-out eps-MSE every N UNet steps")
    ap.add_argument("--curve", default=os.path.join(HERE, "training", "unet_curve.csv"),
                    help="append the held-out curve here ('' for none)")
    ap.add_argument("--patience", type=int, default=0,
                    help="stop after N held-out evaluations without improvement (0: never)")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast for the UNet on the CPU")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    os.makedirs(args.ckpt_dir, exist_ok=True)
    if args.stage == "autoencoder":
        args.steps = args.steps or 12000; args.batch = args.batch or 32; args.lr = args.lr or 1e-3
        train_autoencoder(args)
    else:
        args.steps = args.steps or 15000; args.batch = args.batch or 64; args.lr = args.lr or 5e-4
        train_unet(args)


if __name__ == "__main__":
    main()
