#!/usr/bin/python3
"""Train the bundled default model in two stages, resumable from checkpoints.

  train.py autoencoder  -- KL autoencoder on random crops (fully convolutional)
  train.py unet         -- eps-prediction UNet on the autoencoder's latents

Both stop at --steps or after --minutes, whichever comes first, checkpoint every
--every steps and at the end, and resume from the checkpoint when it exists.
Runs with Debian's torch 1.13 on the CPU (use /usr/bin/python3) and with a CUDA
PyTorch on a GPU machine (--device cuda); checkpoints hold plain state dicts.
For CPU training set MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4000000000 (glibc
otherwise re-maps large buffers every step: measured 4x slower).
"""
import argparse
import copy
import math
import os
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


def train_unet(args):
    dev = torch.device(args.device)
    ae = AutoencoderKL()
    ae.load_state_dict(torch.load(os.path.join(args.ckpt_dir, "autoencoder.pt"), map_location="cpu")["model"])
    ae.to(dev).eval()
    x = load_images(os.path.join(args.data, "train_64.npy"))
    mean, logvar = encode_dataset(ae, x, dev)
    scale = 1.0 / mean.std().item()
    print(f"latents {tuple(mean.shape)}, scale factor {scale:.5f}")

    unet = UNet().to(dev)
    ema = copy.deepcopy(unet).eval()
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    step = 0
    ckpt = os.path.join(args.ckpt_dir, "unet.pt")
    if os.path.exists(ckpt):
        s = torch.load(ckpt, map_location="cpu")
        unet.load_state_dict(s["model"]); ema.load_state_dict(s["ema"]); opt.load_state_dict(s["opt"])
        step = s["step"]; scale = s["scale_factor"]
        print(f"resumed unet at step {step}")
    print(f"unet: {count_params(unet)} parameters")
    abar = torch.cumprod(1 - linear_betas(), 0).float().to(dev)
    g = torch.Generator().manual_seed(4321 + step)
    t_end = time.time() + 60 * args.minutes
    t0, seen_loss = time.time(), []
    use_bf16 = args.bf16 and dev.type == "cpu"
    while step < args.steps and time.time() < t_end:
        idx = torch.randint(len(mean), (args.batch,), generator=g)
        z0 = (mean[idx] + torch.exp(0.5 * logvar[idx]) * torch.randn(mean[idx].shape, generator=g)) * scale
        t = torch.randint(0, 1000, (args.batch,), generator=g)
        noise = torch.randn(z0.shape, generator=g)
        z0, t, noise = z0.to(dev), t.to(dev), noise.to(dev)
        a = abar[t][:, None, None, None]
        zt = a.sqrt() * z0 + (1 - a).sqrt() * noise
        for pg in opt.param_groups:
            pg["lr"] = lr_at(step, args.steps, args.lr)
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
        if step % 100 == 0:
            print(f"unet step {step} loss {np.mean(seen_loss):.5f} "
                  f"{(time.time() - t0) / len(seen_loss):.3f}s/it", flush=True)
            seen_loss, t0 = [], time.time()
        if step % args.every == 0:
            save_ckpt(ckpt, model=unet.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
                      step=step, scale_factor=scale)
    save_ckpt(ckpt, model=unet.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
              step=step, scale_factor=scale)
    print(f"unet checkpoint at step {step}")


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
