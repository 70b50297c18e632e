#!/usr/bin/python3
"""Measure the bundled model's quality from its training checkpoints.

  * autoencoder reconstruction PSNR on the held-out split (never trained on)
  * a grid of unconditional DDIM samples (eta 0) next to training images, to look at
  * the UNet's held-out denoising loss (eps MSE at random t), next to the training loss

Writes models/samples/*.png and prints a markdown summary for models/README.md.
"""
import argparse
import os

import numpy as np
import torch
from PIL import Image

from ldm_small import AutoencoderKL, UNet, linear_betas

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    a = np.load(path)
    return torch.from_numpy(a).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_grid(x, cols):
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    n, h, w, _ = x.shape
    rows = (n + cols - 1) // cols
    g = np.full((rows * h, cols * w, 3), 255, np.uint8)
    for i in range(n):
        g[(i // cols) * h:(i // cols + 1) * h, (i % cols) * w:(i % cols + 1) * w] = x[i]
    return Image.fromarray(g)


def psnr(a, b):
    mse = (((a.clamp(-1, 1) + 1) / 2 - (b + 1) / 2) ** 2).mean(dim=(1, 2, 3))
    return 10 * torch.log10(1.0 / mse)


@torch.no_grad()
def ddim_sample(unet, n, steps, scale, gen):
    abar = torch.cumprod(1 - linear_betas(), 0).float()
    c = 1000 // steps
    ts = list(range(0, 1000, c))[::-1]
    z = torch.randn(n, 3, 16, 16, generator=gen)
    for i, t in enumerate(ts):
        a = abar[t]
        a_prev = abar[ts[i + 1]] if i + 1 < len(ts) else abar[0]
        eps = unet(z, torch.full((n,), float(t)))
        z0 = (z - (1 - a).sqrt() * eps) / a.sqrt()
        z = a_prev.sqrt() * z0 + (1 - a_prev).sqrt() * eps
    return z / scale


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "samples"))
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    ae = AutoencoderKL().eval()
    ae.load_state_dict(torch.load(os.path.join(args.ckpt_dir, "autoencoder.pt"), map_location="cpu")["model"])
    test = load(os.path.join(args.data, "test_64.npy"))
    train = load(os.path.join(args.data, "train_64.npy"))
    with torch.no_grad():
        rec = torch.cat([ae.decoder(ae.encoder(test[i:i + 64])[0]) for i in range(0, len(test), 64)])
        rec_tr = torch.cat([ae.decoder(ae.encoder(train[i:i + 64])[0]) for i in range(0, 512, 64)])
    p_test, p_train = psnr(rec, test), psnr(rec_tr, train[:512])
    to_grid(torch.cat([test[:16], rec[:16]]), 16).save(os.path.join(args.out, "autoencoder_heldout.png"))
    print(f"| autoencoder PSNR, held-out ({len(test)} images) | {p_test.mean():.2f} dB "
          f"(min {p_test.min():.2f}, max {p_test.max():.2f}) |")
    print(f"| autoencoder PSNR, first 512 training images | {p_train.mean():.2f} dB |")

    upath = os.path.join(args.ckpt_dir, "unet.pt")
    if not os.path.exists(upath):
        return
    s = torch.load(upath, map_location="cpu")
    unet = UNet().eval()
    unet.load_state_dict(s["ema"])
    scale = s["scale_factor"]
    gen = torch.Generator().manual_seed(0)
    # Held-out denoising loss: eps prediction error on held-out latents at random t.
    abar = torch.cumprod(1 - linear_betas(), 0).float()
    with torch.no_grad():
        z0 = torch.cat([ae.encoder(test[i:i + 64])[0] for i in range(0, len(test), 64)]) * scale
        losses = []
        for _ in range(4):
            t = torch.randint(0, 1000, (len(z0),), generator=gen)
            n = torch.randn(z0.shape, generator=gen)
            a = abar[t][:, None, None, None]
            losses.append(((unet(a.sqrt() * z0 + (1 - a).sqrt() * n, t.float()) - n) ** 2).mean().item())
    print(f"| UNet eps-MSE on held-out latents (random t) | {np.mean(losses):.4f} |")
    print(f"| UNet training steps | {s['step']} |")
    z = ddim_sample(unet, 48, args.steps, scale, gen)
    with torch.no_grad():
        x = ae.decoder(z)
    to_grid(x, 12).save(os.path.join(args.out, "ddim_samples.png"))
    to_grid(train[torch.randperm(len(train), generator=gen)[:24]], 12).save(os.path.join(args.out, "training_images.png"))
    print(f"samples written to {args.out}")


if __name__ == "__main__":
    main()
