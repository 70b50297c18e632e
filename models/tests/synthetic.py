"""Synthetic stand-ins for the user's files, in the original layouts, for the tests:
a latent-diffusion checkpoint (Lightning dict with model.diffusion_model.*, model_ema.*,
first_stage_model.*, schedule buffers and pickled non-tensor objects) and LPIPS weight files
(torchvision backbone, lpips linear layers). All weights are random."""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
if MODELS not in sys.path:
    sys.path.insert(0, MODELS)

from ldm import build, checkpoint, lpips, schedule  # noqa: E402

CONFIG_DIR = os.path.join(MODELS, "configs")
TINY_CONFIG = os.path.join(CONFIG_DIR, "tiny-ldm-vq.yaml")
FFHQ_CONFIG = os.path.join(CONFIG_DIR, "ffhq-ldm-vq-4.yaml")


class LightningHyperParams(dict):
    """Stands for the pickled objects a Lightning checkpoint carries (hparams, callbacks):
    a class the exporter's unpickler does not know."""


class RunsCodeWhenUnpickled:
    """A checkpoint must not be able to run code on load: unpickling this with plain pickle
    would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def schedule_buffers(cfg):
    betas = schedule.linear_betas(cfg)
    ac = np.cumprod(1.0 - betas)
    f32 = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return {"betas": f32(betas), "alphas_cumprod": f32(ac),
            "alphas_cumprod_prev": f32(np.append(1.0, ac[:-1])),
            "sqrt_alphas_cumprod": f32(np.sqrt(ac)),
            "sqrt_one_minus_alphas_cumprod": f32(np.sqrt(1 - ac)),
            "log_one_minus_alphas_cumprod": f32(np.log(1 - ac)),
            "sqrt_recip_alphas_cumprod": f32(np.sqrt(1 / ac)),
            "sqrt_recipm1_alphas_cumprod": f32(np.sqrt(1 / ac - 1)),
            "posterior_variance": f32(betas), "posterior_log_variance_clipped": f32(betas),
            "posterior_mean_coef1": f32(betas), "posterior_mean_coef2": f32(betas)}


def make_models(cfg, seed):
    torch.manual_seed(seed)
    return build.build(cfg)


def checkpoint_dict(cfg, train_seed=1, ema_seed=2, with_ema=True, marker=None):
    """(ckpt dict, {'train': unet, 'ema': unet, 'first_stage': fs}) with distinct weights."""
    unet, fs = make_models(cfg, train_seed)
    sd = {checkpoint.UNET_PREFIX + k: v for k, v in unet.state_dict().items()}
    sd.update({checkpoint.FIRST_STAGE_PREFIX + k: v for k, v in fs.state_dict().items()})
    models = {"train": unet, "first_stage": fs}
    if with_ema:
        ema, _ = make_models(cfg, ema_seed)
        sd.update({checkpoint.ema_key(n): p.detach().clone() for n, p in ema.named_parameters()})
        sd["model_ema.decay"] = torch.tensor(0.9999)
        sd["model_ema.num_updates"] = torch.tensor(1234, dtype=torch.int32)
        models["ema"] = ema
    sd.update(schedule_buffers(cfg))
    ck = {"state_dict": sd, "global_step": 4321, "epoch": 7,
          "hyper_parameters": LightningHyperParams(lr=2e-6), "pytorch-lightning_version": "1.4.2"}
    if marker:
        ck["callbacks"] = {"evil": RunsCodeWhenUnpickled(marker)}
    return ck, models


def lpips_files(net, folder, seed=0):
    """Writes torchvision-layout backbone and lpips-layout linear weights; returns paths."""
    torch.manual_seed(seed)
    model = lpips.LPIPS(net)
    bb = {f"features.{k}": v for k, v in model.net.features.state_dict().items()}
    bb["classifier.1.weight"] = torch.randn(4, 4)  # torchvision files carry the classifier
    lin = {f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1)
           for i, c in enumerate(lpips.CHANNELS[net])}
    paths = (os.path.join(folder, f"{net}-backbone.pth"), os.path.join(folder, f"{net}-lin.pth"))
    torch.save(bb, paths[0])
    torch.save(lin, paths[1])
    return paths
