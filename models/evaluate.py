#!/usr/bin/python3
"""Measure the bundled model's quality from its training checkpoints or from a bundle.

  * autoencoder reconstruction PSNR on the held-out split (never trained on)
  * a grid of unconditional DDIM samples (eta 0) next to training images, to look at
  * the UNet's held-out denoising loss (eps MSE at random t), next to the training loss

Writes models/samples/*.png and prints a markdown summary for models/README.md.
"""
import argparse
import json
import os

import numpy as np
import torch
from PIL import Image

from ldm_small import AutoencoderKL, UNet, linear_betas
from train import autoencoder_from_bundle, heldout_eps_mse

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
    ap.add_argument("--bundle", default=None, help="evaluate this exported bundle instead of the checkpoints")
    ap.add_argument("--samples", type=int, default=64, help="unconditional samples in the grid")
    ap.add_argument("--seed", type=int, default=0, help="seed of the samples' noise")
    ap.add_argument("--suffix", default="", help="appended to the output file names")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    if args.bundle:
        ae = autoencoder_from_bundle(args.bundle).eval()
    else:
        ae = AutoencoderKL().eval()
        ae.load_state_dict(torch.load(os.path.join(args.ckpt_dir, "autoencoder.pt"), map_location="cpu")["model"])
    test = load(os.path.join(args.data, "test_64.npy"))
    train = load(os.path.join(args.data, "train_64.npy"))
    with torch.no_grad():
        rec = torch.cat([ae.decoder(ae.encoder(test[i:i + 64])[0]) for i in range(0, len(test), 64)])
        rec_tr = torch.cat([ae.decoder(ae.encoder(train[i:i + 64])[0]) for i in range(0, 512, 64)])
    p_test, p_train = psnr(rec, test), psnr(rec_tr, train[:512])
    to_grid(torch.cat([test[:16], rec[:16]]), 16).save(os.path.join(args.out, f"autoencoder_heldout{args.suffix}.png"))
    print(f"| autoencoder PSNR, held-out ({len(test)} images) | {p_test.mean():.2f} dB "
          f"(min {p_test.min():.2f}, max {p_test.max():.2f}) |")
    print(f"| autoencoder PSNR, first 512 training images | {p_train.mean():.2f} dB |")

    unet = UNet().eval()
    if args.bundle:
        man = json.load(open(os.path.join(args.bundle, "model.json")))
        unet.load_state_dict(torch.jit.load(os.path.join(args.bundle, "unet.pt"), map_location="cpu").state_dict())
        scale, step = man["scale_factor"], man["training"]["unet_steps"]
    else:
        upath = os.path.join(args.ckpt_dir, "unet.pt")
        if not os.path.exists(upath):
            return
        s = torch.load(upath, map_location="cpu")
        unet.load_state_dict(s["ema"])
        scale, step = s["scale_factor"], s["step"]
    gen = torch.Generator().manual_seed(0)
    # Held-out denoising loss on the original 154 held-out images (Twemoji and Noto, first in
    # test_64.npy), with the draws of the first bundle's measurement, and on all of them.
    split = json.load(open(os.path.join(args.data, "split.json")))
    n_old = sum(1 for n in split["test"] if n.split("/")[0] in ("twitter", "google"))
    with torch.no_grad():
        z0 = torch.cat([ae.encoder(test[i:i + 64])[0] for i in range(0, len(test), 64)]) * scale
        mse_old, mse_all = heldout_eps_mse(unet, z0[:n_old]), heldout_eps_mse(unet, z0)
    print(f"| UNet eps-MSE on held-out latents (random t), original {n_old} images | {mse_old:.4f} |")
    print(f"| UNet eps-MSE on held-out latents (random t), all {len(z0)} images | {mse_all:.4f} |")
    print(f"| UNet training steps | {step} |")
    # Unconditional samples for looking at: a fixed seed, so two models get the same noise.
    gen = torch.Generator().manual_seed(args.seed)
    z = ddim_sample(unet, args.samples, args.steps, scale, gen)
    with torch.no_grad():
        x = ae.decoder(z)
    to_grid(x, 8).save(os.path.join(args.out, f"ddim_samples{args.suffix}.png"))
    print(f"samples written to {args.out}")


if __name__ == "__main__":
    main()
