#!/usr/bin/python3
"""Export a model bundle for the C shim (shim/plorg_shim.h) from the training checkpoints.

A bundle is a folder:
  model.json    manifest (name, licence/provenance, image size, latent shape, value range,
                first stage, scale factor, noise schedule, parameter counts, training steps)
  unet.pt       TorchScript, forward(z: B x C x h x w, t: B floating timesteps) -> eps
  encoder.pt    TorchScript, forward(x: B x 3 x H x W in [-1,1]) -> posterior mean (B x C x h x w)
  decoder.pt    TorchScript, forward(z: B x C x h x w) -> x (B x 3 x H x W)
  fixture.json + fixture.bin
                seeded inputs and the eager model's outputs (float32 little endian), so the
                C tests can check that libtorch reproduces PyTorch
The modules work in autoencoder units; the shim applies scale_factor.

Weights come from models/checkpoints/ (the UNet's EMA weights when present), or are random:
  --random        random AE and UNet (tests, scaling benchmarks with --image-size 128/256)
  --random-unet   trained AE + random UNet (before the UNet is trained; scale factor then
                  estimated from the training images)
Run with Debian's torch (/usr/bin/python3). The bundle is written to a temporary folder
next to --out, checked with test_export.check_bundle(), and only then renamed into place.
"""
import argparse
import contextlib
import copy
import datetime
import inspect
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ldm_small  # noqa: E402
from ldm_small import AutoencoderKL, UNet, count_params  # noqa: E402
import test_export  # noqa: E402

SCHEDULE = {"num_timesteps": 1000, "beta_schedule": "linear", "beta_start": 0.0015,
            "beta_end": 0.0195, "parameterization": "eps"}
FIXTURE_SEED = 20260101
FIXTURE_T = (25, 600)

DATA_TEXT = ("emoji face artwork: Twemoji (CC-BY 4.0, Twitter Inc. and contributors) and "
             "Noto Emoji (Apache 2.0, Google LLC), from the npm packages "
             "emoji-datasource-twitter / emoji-datasource-google 16.0.0; the UNet from its "
             "step 3000 on also on Fluent Emoji flat (MIT, Microsoft Corporation), from the "
             "npm package @iconify-json/fluent-emoji-flat 1.2.6")


class EncoderMean(nn.Module):
    """The KL encoder reduced to its posterior mean: the shim's encode() is deterministic."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, x):
        return self.encoder(x)[0]


def _embedding_following_t(t, dim):
    # Same numbers as ldm_small.timestep_embedding for float32 t, but written so that the
    # trace does not bake in float32 and the CPU: type_as(t) follows t's dtype and device,
    # so the exported UNet also runs in float64 (shim's compute_double) and on CUDA.
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half).type_as(t) / half)
    return torch.cat([torch.cos(t[:, None] * freqs[None, :]),
                      torch.sin(t[:, None] * freqs[None, :])], dim=1)


@contextlib.contextmanager
def traceable_dtypes():
    """While tracing: forward() code that bakes float32 into the graph is swapped for
    dtype-following equivalents (identical numbers in float32), so the exported modules also
    run in float64 and on CUDA. test_export.check_bundle() runs them in float64 to prove it."""
    saved = [(ldm_small, "timestep_embedding", ldm_small.timestep_embedding)]
    ldm_small.timestep_embedding = _embedding_following_t
    gn32 = getattr(ldm_small, "GroupNorm32", None)
    if gn32 is not None and "forward" in gn32.__dict__:
        # GroupNorm32 casts to float32 for bf16-autocast training; exports run without autocast.
        saved.append((gn32, "forward", gn32.forward))
        gn32.forward = nn.GroupNorm.forward
    try:
        yield
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)


def default_kwargs(cls):
    """Constructor defaults, recorded in model.json so test_export.py can rebuild the model."""
    out = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if p.default is not inspect.Parameter.empty:
            out[name] = list(p.default) if isinstance(p.default, tuple) else p.default
    return out


def load_models(args):
    """Returns (ae, unet, info) with info holding steps, weight sources and the scale factor."""
    torch.manual_seed(args.seed)
    ae, unet = AutoencoderKL(), UNet()
    info = {"autoencoder_steps": 0, "unet_steps": 0, "autoencoder_weights": "random",
            "unet_weights": "random", "scale_factor": None}
    ae_ckpt = os.path.join(args.ckpt_dir, "autoencoder.pt")
    unet_ckpt = args.unet_checkpoint or os.path.join(args.ckpt_dir, "unet.pt")
    random_ae = args.random
    if args.random_unet and not os.path.exists(ae_ckpt):
        print(f"note: {ae_ckpt} missing, exporting a fully random bundle", file=sys.stderr)
        random_ae = True
    if not random_ae:
        s = torch.load(ae_ckpt, map_location="cpu")
        ae.load_state_dict(s["model"])
        info["autoencoder_steps"] = int(s.get("step", 0))
        info["autoencoder_weights"] = "checkpoint"
    if not (args.random or args.random_unet):
        s = torch.load(unet_ckpt, map_location="cpu")
        key = "ema" if "ema" in s else "model"
        unet.load_state_dict(s[key])
        info["unet_steps"] = int(s.get("step", 0))
        info["unet_weights"] = key
        info["scale_factor"] = float(s["scale_factor"])
    if info["scale_factor"] is None:
        info["scale_factor"] = (1.0 if random_ae else estimate_scale_factor(ae, args))
    return ae.eval(), unet.eval(), info


@torch.no_grad()
def estimate_scale_factor(ae, args, n=512):
    """1 / std of the encoder means, as train.py computes it (on a subset: provisional)."""
    path = os.path.join(args.data, "train_64.npy")
    if not os.path.exists(path):
        print(f"note: {path} missing, scale factor 1.0", file=sys.stderr)
        return 1.0
    a = np.load(path)[:n]
    x = torch.from_numpy(a).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    means = torch.cat([ae.encoder(x[i:i + 64])[0] for i in range(0, len(x), 64)])
    return 1.0 / means.std().item()


def round_weights(module, storage):
    """Round the eager weights to the storage precision, so that eager and exported agree."""
    if storage == "float16":
        with torch.no_grad():
            for p in list(module.parameters()) + list(module.buffers()):
                if p.is_floating_point():
                    p.copy_(p.half().float())


def trace_all(eager, image_size, latent):
    """TorchScript by tracing (UNet.forward has Python control flow over its ModuleLists).
    Traces copies: a traced module shares its parameters with the module it traced."""
    eager = {k: copy.deepcopy(m) for k, m in eager.items()}
    c, h, w = latent
    g = torch.Generator().manual_seed(7)
    # Batch 2 in the trace: the checks at batch 1 and 3 then show nothing was specialised.
    z = torch.randn(2, c, h, w, generator=g)
    t = torch.tensor([10.0, 500.0])
    x = torch.rand(2, 3, image_size, image_size, generator=g) * 2 - 1
    with torch.no_grad(), traceable_dtypes():
        return {
            "unet": torch.jit.trace(eager["unet"], (z, t), check_trace=False),
            "encoder": torch.jit.trace(eager["encoder"], (x,), check_trace=False),
            "decoder": torch.jit.trace(eager["decoder"], (z,), check_trace=False),
        }


@torch.no_grad()
def make_fixture(eager, scale, image_size, latent):
    """Seeded inputs and eager float32 outputs; returns (json dict, bytes)."""
    g = torch.Generator().manual_seed(FIXTURE_SEED)
    c, h, w = latent
    z = torch.randn(2, c, h, w, generator=g)
    x = torch.rand(2, 3, image_size, image_size, generator=g) * 2 - 1
    tensors = [("z", z), ("x", x)]
    for tv in FIXTURE_T:
        t = torch.full((2,), float(tv))
        tensors.append((f"eps_t{tv}", eager["unet"](z, t)))
    # The shim's conventions: encode = scale * E(x), decode = D(z / scale).
    tensors.append(("encode", eager["encoder"](x) * scale))
    tensors.append(("decode", eager["decoder"](z / scale)))
    meta, blobs, offset = [], [], 0
    for name, tns in tensors:
        a = np.ascontiguousarray(tns.detach().numpy().astype("<f4"))
        meta.append({"name": name, "shape": list(a.shape), "offset": offset})
        blobs.append(a.tobytes())
        offset += a.nbytes
    js = {"format": "plorg-fixture", "format_version": 1, "dtype": "float32",
          "byte_order": "little", "data": "fixture.bin", "seed": FIXTURE_SEED,
          "t": list(FIXTURE_T), "scale_factor": scale,
          "note": "eps_tN = UNet(z, N) for both samples; encode = scale_factor * E(x) "
                  "(posterior mean); decode = D(z / scale_factor); computed by the eager "
                  "PyTorch model in float32",
          "tensors": meta}
    return js, b"".join(blobs)


def manifest(args, info, eager, latent):
    if info["autoencoder_weights"] == "random":
        license_text = (f"Randomly initialised weights (torch.manual_seed({args.seed})); no "
                        "training data; made by PLoRG Studio's models/export_bundle.py "
                        "(GPL-3.0-or-later project).")
    else:
        license_text = ("Weights trained by PLoRG Studio's models/train.py on " + DATA_TEXT +
                        ". The weights are a derived work, distributed under CC-BY 4.0 and "
                        "Apache 2.0 terms respectively; see NOTICE.")
        if info["unet_weights"] == "random":
            license_text += (f" The UNet is randomly initialised (torch.manual_seed({args.seed}))"
                             " and untrained.")
    if args.name:
        name = args.name
    elif info["autoencoder_weights"] == "random":
        name = f"random{args.image_size}"
    elif info["unet_weights"] == "random":
        name = f"emoji{args.image_size}-provisional"
    else:
        name = f"emoji{args.image_size}"
    if info["autoencoder_weights"] == "random":
        desc = "Random weights (same architecture as the bundled model): for tests and timing only."
    elif info["unet_weights"] == "random":
        desc = ("PROVISIONAL: trained KL autoencoder with an untrained (random) UNet; "
                "decode/encode are meaningful, samples are not.")
    else:
        desc = (f"Small latent diffusion model for {args.image_size}x{args.image_size} emoji "
                "faces: KL autoencoder (f=4, 3 latent channels) + eps-prediction UNet.")
    c, h, w = latent
    return {
        "format": "plorg-model-bundle",
        "format_version": 1,
        "name": name,
        "description": desc,
        "license": license_text,
        "image_size": args.image_size,
        "image_channels": 3,
        "latent_shape": [c, h, w],
        "value_range": [-1.0, 1.0],
        "first_stage": "kl",
        "scale_factor": info["scale_factor"],
        "schedule": dict(SCHEDULE),
        "parameters": {k: count_params(m) for k, m in eager.items()},
        "training": {
            "autoencoder_steps": info["autoencoder_steps"],
            "unet_steps": info["unet_steps"],
            "autoencoder_weights": info["autoencoder_weights"],
            "unet_weights": info["unet_weights"],
            "data": None if info["autoencoder_weights"] == "random" else DATA_TEXT,
        },
        "architecture": {
            "code": "models/ldm_small.py",
            "autoencoder": default_kwargs(AutoencoderKL),
            "unet": default_kwargs(UNet),
            "encoder_output": "posterior mean",
        },
        "weights_storage": args.storage,
        "fixture": "fixture.json",
        "torch_version": torch.__version__,
        "exporter": "models/export_bundle.py",
        "exported_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_bundle(out, files, eager):
    """Write into a temporary sibling folder, check it, then swap it into place."""
    parent = os.path.dirname(os.path.abspath(out)) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out) + ".tmp-", dir=parent)
    try:
        os.chmod(tmp, 0o755)
        for name, write in files.items():
            write(os.path.join(tmp, name))
        failures = test_export.check_bundle(tmp, eager=eager)
        if failures:
            raise SystemExit("export check failed:\n  " + "\n  ".join(failures))
        old = None
        if os.path.exists(out):
            old = f"{out}.old-{os.getpid()}"
            os.rename(out, old)
        os.rename(tmp, out)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--random", action="store_true", help="random AE and UNet")
    mode.add_argument("--random-unet", action="store_true", help="trained AE, random UNet")
    ap.add_argument("--image-size", type=int, default=64, help="multiple of 16 (default 64)")
    ap.add_argument("--out", default=os.path.join(HERE, "emoji64"))
    ap.add_argument("--name", default=None)
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--unet-checkpoint", default=None,
                    help="UNet weights (default CKPT_DIR/unet.pt; train.py's unet-best.pt holds "
                         "the EMA with the lowest held-out loss)")
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--seed", type=int, default=0, help="seed of random weights")
    ap.add_argument("--storage", choices=["float16", "float32"], default="float16",
                    help="precision of the stored weights (float16 halves the bundle; the "
                         "shim computes in float32 or float64 either way)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.image_size <= 0 or args.image_size % 16:
        ap.error("--image-size must be a positive multiple of 16 (f=4 and two UNet downsamplings)")
    torch.set_num_threads(args.threads)

    ae, unet, info = load_models(args)
    eager = {"unet": unet, "encoder": EncoderMean(ae.encoder).eval(), "decoder": ae.decoder.eval()}
    for m in eager.values():
        round_weights(m, args.storage)
    latent = (ae.decoder.conv_in.in_channels, args.image_size // 4, args.image_size // 4)
    traced = trace_all(eager, args.image_size, latent)
    if args.storage == "float16":
        traced = {k: m.half() for k, m in traced.items()}
    fixture_js, fixture_bin = make_fixture(eager, info["scale_factor"], args.image_size, latent)
    man = manifest(args, info, eager, latent)

    def write_bytes(data):
        return lambda p: open(p, "wb").write(data)

    def write_json(obj):
        return lambda p: open(p, "w").write(json.dumps(obj, indent=2) + "\n")

    files = {f"{k}.pt": (lambda m: (lambda p: torch.jit.save(m, p)))(m) for k, m in traced.items()}
    files["fixture.bin"] = write_bytes(fixture_bin)
    files["fixture.json"] = write_json(fixture_js)
    files["model.json"] = write_json(man)  # last: a folder with model.json is complete
    write_bundle(args.out, files, eager)
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {args.out} ({size / 1e6:.1f} MB): {man['name']}, scale factor "
          f"{man['scale_factor']:.5f}, AE step {info['autoencoder_steps']}, UNet step "
          f"{info['unet_steps']} ({info['unet_weights']} weights)")


if __name__ == "__main__":
    main()
