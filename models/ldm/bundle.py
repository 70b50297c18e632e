"""Writing a model bundle folder: manifest (model.json), fixture, TorchScript files.

The manifest has the layout shim/shim_manifest.cpp reads (format_version 1, as
models/export_bundle.py writes it) plus a 'provenance' record of where the weights came from.
The folder is written under a temporary name next to the destination and renamed into place
only when complete, so an interrupted export never leaves a half bundle under the real name.
"""
import datetime
import json
import os
import shutil
import tempfile

import numpy as np
import torch

FORMAT = "plorg-model-bundle"
FORMAT_VERSION = 1
FIXTURE_SEED = 20260101
FIXTURE_T = (25, 600)


def manifest(*, name, description, license_text, image_size, latent, first_stage, scale_factor,
             cfg, params, provenance, architecture):
    c, h, w = latent
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "description": description,
        "license": license_text,
        "image_size": image_size,
        "image_channels": 3,
        "latent_shape": [c, h, w],
        "value_range": [-1.0, 1.0],
        "first_stage": first_stage,
        "scale_factor": scale_factor,
        "schedule": {"num_timesteps": cfg.timesteps, "beta_schedule": cfg.beta_schedule,
                     "beta_start": cfg.linear_start, "beta_end": cfg.linear_end,
                     "parameterization": cfg.parameterization},
        "parameters": params,
        "architecture": architecture,
        "provenance": provenance,
        "weights_storage": "float32",
        "fixture": "fixture.json",
        "torch_version": torch.__version__,
        "exporter": "models/export_ldm.py",
        "exported_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@torch.no_grad()
def fixture(parts, z_decodable, x, scale):
    """Seeded inputs and the eager float32 outputs, in export_bundle.py's fixture format, with
    the shim's conventions: encode = scale * E(x), decode = D(z / scale).

    z_decodable is in diffusion units; for VQ it holds (scaled) codebook vectors so that the
    decoder's argmin cannot flip under rounding when another program recomputes it.
    Returns (json dict, bytes).
    """
    z = z_decodable
    tensors = [("z", z), ("x", x)]
    for tv in FIXTURE_T:
        tensors.append((f"eps_t{tv}", parts["unet"](z, torch.full((z.shape[0],), float(tv)))))
    tensors.append(("encode", parts["encoder"](x) * scale))
    tensors.append(("decode", parts["decoder"](z / scale)))
    meta, blobs, offset = [], [], 0
    for name, t in tensors:
        a = np.ascontiguousarray(t.detach().numpy().astype("<f4"))
        meta.append({"name": name, "shape": list(a.shape), "offset": offset})
        blobs.append(a.tobytes())
        offset += a.nbytes
    js = {"format": "plorg-fixture", "format_version": 1, "dtype": "float32",
          "byte_order": "little", "data": "fixture.bin", "seed": FIXTURE_SEED,
          "t": list(FIXTURE_T), "scale_factor": scale,
          "note": "eps_tN = UNet(z, N) for every sample; encode = scale_factor * E(x); "
                  "decode = D(z / scale_factor); z holds codebook vectors for VQ bundles; "
                  "computed by the eager PyTorch model in float32",
          "tensors": meta}
    return js, b"".join(blobs)


def _is_replaceable(path, marker):
    """An existing destination may be replaced only if it is a bundle (or empty)."""
    if not os.path.exists(path):
        return True
    if not os.path.isdir(path):
        return False
    return not os.listdir(path) or os.path.exists(os.path.join(path, marker))


def write_atomically(out, writers, check=None, marker="model.json"):
    """writers: {file name: callable(path)}; the manifest should come last. check(tmp_dir)
    may return failure messages, which abort the export. An existing folder is replaced only
    if it holds `marker` (it is a bundle) or is empty. Returns the final path."""
    out = os.path.abspath(out)
    if not _is_replaceable(out, marker):
        raise FileExistsError(f"{out} exists and is not a model bundle; not replacing it")
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out) + ".tmp-", dir=parent)
    try:
        os.chmod(tmp, 0o755)
        for name, write in writers.items():
            write(os.path.join(tmp, name))
        if check is not None:
            fails = check(tmp)
            if fails:
                raise RuntimeError("bundle check failed:\n  " + "\n  ".join(fails))
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
    return out


def json_writer(obj):
    def write(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(obj, indent=2) + "\n")
    return write


def bytes_writer(data):
    def write(path):
        with open(path, "wb") as f:
            f.write(data)
    return write


def module_writer(module):
    return lambda path: torch.jit.save(module, path)
