"""Config + checkpoint -> bundle folder (the work behind models/export_ldm.py)."""
import dataclasses
import hashlib
import os
from typing import Callable, Optional

import torch

from . import build, bundle, checkpoint, config, schedule, torchscript


class ExportError(RuntimeError):
    pass


@dataclasses.dataclass
class Options:
    config: str
    out: str
    ckpt: Optional[str] = None       # None: random weights (tests, benchmarks)
    use_ema: bool = True
    image_size: Optional[int] = None  # default: the config's latent size times f
    name: Optional[str] = None
    description: Optional[str] = None
    license: Optional[str] = None
    seed: int = 0                     # random weights only
    check_double: bool = False        # also verify the traced modules in float64 (slower)
    log: Callable = print


def sha256(path, chunk=1 << 24):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                return h.hexdigest()
            h.update(b)


def image_size_for(cfg, requested):
    f = cfg.downsampling
    unet_f = 2 ** (len(cfg.unet.get("channel_mult", (1, 2, 4, 8))) - 1)
    size = requested or cfg.default_image_size
    if size <= 0 or size % (f * unet_f):
        raise ExportError(f"image size {size} must be a positive multiple of {f * unet_f} "
                          f"(first stage f={f} times the UNet's {unet_f}x downsampling)")
    return size


def _load_weights(opts, cfg, unet, first_stage, log):
    log(f"reading {opts.ckpt}")
    sd, meta = checkpoint.read(opts.ckpt)
    problems, compared = schedule.check(cfg, sd)
    if problems:
        raise ExportError("the checkpoint's noise schedule does not match the config:\n  "
                          + "\n  ".join(problems))
    report = checkpoint.load_into(sd, unet, first_stage, use_ema=opts.use_ema)
    del sd
    if cfg.scale_by_std and report.scale_factor is None:
        raise ExportError("the config says scale_by_std but the checkpoint has no scale_factor")
    scale = report.scale_factor if report.scale_factor is not None else cfg.scale_factor
    log(f"loaded: EMA {report.ema}, {report.ignored_keys} keys ignored (schedule buffers, "
        f"training copies), scale factor {scale:g}")
    digest = sha256(opts.ckpt)
    prov = {
        "weights": "checkpoint",
        "source_checkpoint": os.path.abspath(opts.ckpt),
        "source_sha256": digest,
        "source_bytes": os.path.getsize(opts.ckpt),
        "ema": report.ema,
        "ema_num_updates": report.ema_num_updates,
        "global_step": meta.get("global_step"),
        "epoch": meta.get("epoch"),
        "checkpoint_dtypes": report.checkpoint_dtypes,
        "ignored_keys": report.ignored_keys,
        "schedule_buffers_checked": compared,
        "scale_factor_source": "checkpoint" if report.scale_factor is not None else "config",
        "unpickled_as_placeholders": meta["skipped_objects"],
    }
    return scale, prov


def _texts(opts, cfg, prov):
    base = os.path.splitext(os.path.basename(opts.config))[0]
    name = opts.name or (base if prov["weights"] == "checkpoint" else f"{base}-random")
    train = (((cfg.raw.get("data") or {}).get("params") or {}).get("train") or {}).get("target")
    if prov["weights"] == "checkpoint":
        desc = (f"Latent diffusion ({cfg.first_stage.upper()} first stage) converted from "
                f"{os.path.basename(opts.ckpt)}" + (f", trained on {train}" if train else "")
                + f"; {'EMA' if prov['ema'] == 'used' else 'training'} weights.")
        lic = (f"Converted by PLoRG Studio's models/export_ldm.py from {os.path.basename(opts.ckpt)} "
               f"(sha256 {prov['source_sha256']}). The original release's licence and its "
               "training data's terms apply to these weights (CompVis/latent-diffusion "
               "releases are MIT-licensed; data sets such as FFHQ carry their own terms).")
    else:
        desc = ("Randomly initialised weights in the architecture of "
                f"{os.path.basename(opts.config)}: for tests and timing only.")
        lic = (f"Randomly initialised weights (torch.manual_seed({opts.seed})); no training "
               "data; made by PLoRG Studio's models/export_ldm.py (GPL-3.0-or-later project).")
    return name, opts.description or desc, opts.license or lic


def export(opts: Options):
    """Writes the bundle; returns its manifest. Raises ExportError, config.ConfigError,
    checkpoint.CheckpointError."""
    log = opts.log
    cfg = config.load(opts.config)
    image_size = image_size_for(cfg, opts.image_size)
    latent = (cfg.latent_channels, image_size // cfg.downsampling, image_size // cfg.downsampling)
    if not opts.ckpt:
        # Random weights are PyTorch's default init, seeded. (The original zero-initialises
        # the output convolutions, which would make eps identically 0: useless for tests and
        # timing.) The VQ codebook is N(0, 1).
        torch.manual_seed(opts.seed)
    unet, first_stage = build.build(cfg)
    if opts.ckpt:
        scale, prov = _load_weights(opts, cfg, unet, first_stage, log)
    else:
        scale, prov = cfg.scale_factor, {"weights": "random", "seed": opts.seed}
    prov["config_path"] = os.path.abspath(opts.config)
    prov["config_sha256"] = sha256(opts.config)
    prov["config_model"] = cfg.raw.get("model")
    parts = build.export_parts(unet, first_stage)
    params = {k: build.count(m) for k, m in parts.items()}
    log(f"parameters: " + ", ".join(f"{k} {v:,}" for k, v in params.items()))

    log("tracing")
    traced = torchscript.trace(parts, first_stage, latent, image_size)
    log("verifying the traced modules against the eager model")
    fails = torchscript.verify(traced, parts, first_stage, latent, image_size,
                               check_double=opts.check_double, log=log)
    if fails:
        raise ExportError("traced modules disagree with the eager model:\n  " + "\n  ".join(fails))

    fin = torchscript.probe_inputs(first_stage, latent, image_size, 2, bundle.FIXTURE_SEED, scale)
    fx_js, fx_bin = bundle.fixture(parts, fin["z_scaled"], fin["encoder"][0], scale)
    name, desc, lic = _texts(opts, cfg, prov)
    arch = {"code": "models/ldm/", "unet": cfg.unet, "first_stage": cfg.first_stage,
            "ddconfig": cfg.ddconfig, "embed_dim": cfg.embed_dim, "n_embed": cfg.n_embed,
            "encoder_output": "pre-quantisation latent" if cfg.first_stage == "vq" else "posterior mean",
            "decoder_input": ("quantised inside (straight-through)" if cfg.first_stage == "vq"
                              else "latent")}
    man = bundle.manifest(name=name, description=desc, license_text=lic, image_size=image_size,
                          latent=latent, first_stage=cfg.first_stage, scale_factor=scale,
                          cfg=cfg, params=params, provenance=prov, architecture=arch)

    writers = {f"{k}.pt": bundle.module_writer(m) for k, m in traced.items()}
    writers["fixture.bin"] = bundle.bytes_writer(fx_bin)
    writers["fixture.json"] = bundle.json_writer(fx_js)
    writers["model.json"] = bundle.json_writer(man)  # last: a folder with model.json is complete

    def reload_check(d):
        # The files as written must load and compute what the eager model computes.
        loaded = {k: torch.jit.load(os.path.join(d, f"{k}.pt")).eval() for k in parts}
        ins = torchscript.probe_inputs(first_stage, latent, image_size, 1, seed=5)
        out = []
        with torch.no_grad():
            for k in parts:
                e = torchscript.rel_err(loaded[k](*ins[k]), parts[k](*ins[k]))
                if not e <= torchscript.RTOL_SAME:
                    out.append(f"{k}.pt as saved differs from eager by {e:.2e}")
        return out

    path = bundle.write_atomically(opts.out, writers, check=reload_check)
    size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    log(f"wrote {path} ({size / 1e6:.1f} MB): {name}, latent {latent}, scale factor {scale:g}")
    return man
