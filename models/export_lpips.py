#!/usr/bin/python3
"""Export LPIPS (v0.1, AlexNet or VGG-16 backbone) from the user's weight files into a bundle
folder the shim loads (shim/plorg_lpips.h):

  export_lpips.py --net alex --lin alex.pth --backbone alexnet-owt-7be5be79.pth --out lpips-alex

  --lin       the lpips package's linear layers: lpips/weights/v0.1/alex.pth or vgg.pth
  --backbone  torchvision's ImageNet weights for that net (alexnet-owt-7be5be79.pth,
              vgg16-397923af.pth, as torchvision caches them in ~/.cache/torch/hub/checkpoints)
  --out       folder to write: lpips.pt (TorchScript, forward(x, y: B x 3 x H x W in [-1,1])
              -> distance per sample [B]), lpips.json (manifest), fixture.json/.bin (a seeded
              image pair and its distance, for the C tests)

Both files are read with the same restricted unpickler as checkpoints (no code from them runs)
and loaded strictly: missing, unexpected or mis-shaped tensors are errors.
Exit status: 0 written, 1 export failed, 2 usage error.
"""
import argparse
import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ldm import bundle, checkpoint, lpips  # noqa: E402
from ldm.export import sha256  # noqa: E402

FORMAT = "plorg-lpips-bundle"
FORMAT_VERSION = 1
# Smallest square input each backbone accepts: AlexNet needs >= 3 px before its second
# max-pool, i.e. 7 after the stride-4 11x11 conv, i.e. 31 px; VGG's 4 pools before the last
# tap need 16 px.
MIN_IMAGE_SIZE = {"alex": 31, "vgg": 16}
# Traced and eager run the same kernels; see ldm/torchscript.py for the tolerance argument.
RTOL = 1e-5


def read_state_dict(path):
    sd, _ = checkpoint.read(path)
    # torchvision files are bare state dicts; some tools save {'state_dict': ...} or a
    # DataParallel 'module.' prefix.
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return sd


@torch.no_grad()
def make_fixture(model, net):
    g = torch.Generator().manual_seed(bundle.FIXTURE_SEED)
    s = max(64, MIN_IMAGE_SIZE[net])
    x = torch.rand(2, 3, s, s, generator=g) * 2 - 1
    y = (x + 0.2 * torch.randn(2, 3, s, s, generator=g)).clamp(-1, 1)
    d = model(x, y)
    tensors, meta, off = [("x", x), ("y", y), ("distance", d)], [], 0
    blobs = []
    for name, t in tensors:
        a = np.ascontiguousarray(t.numpy().astype("<f4"))
        meta.append({"name": name, "shape": list(a.shape), "offset": off})
        blobs.append(a.tobytes())
        off += a.nbytes
    js = {"format": "plorg-fixture", "format_version": 1, "dtype": "float32",
          "byte_order": "little", "data": "fixture.bin", "seed": bundle.FIXTURE_SEED,
          "note": "distance = LPIPS(x, y) per sample, eager PyTorch in float32", "tensors": meta}
    return js, b"".join(blobs)


def export(net, lin_path, backbone_path, out, log=print):
    model = lpips.LPIPS(net).eval()
    lpips.load_weights(model, net, read_state_dict(backbone_path), read_state_dict(lin_path))
    g = torch.Generator().manual_seed(3)
    x = torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
    y = torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
    with torch.no_grad():
        traced = torch.jit.trace(model, (x, y), check_trace=False)
        # Another batch and image size than traced: nothing may be specialised.
        x3 = torch.rand(3, 3, 96, 80, generator=g) * 2 - 1
        y3 = torch.rand(3, 3, 96, 80, generator=g) * 2 - 1
        ref = model(x3, y3)
        err = ((traced(x3, y3) - ref).abs().max() / ref.abs().max().clamp_min(1e-6)).item()
    if not err <= RTOL:
        raise RuntimeError(f"traced LPIPS differs from eager by {err:.2e} > {RTOL}")
    log(f"traced vs eager (batch 3, 96x80): {err:.1e}")
    fx_js, fx_bin = make_fixture(model, net)
    man = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "net": net,
        "lpips_version": "0.1",
        "value_range": [-1.0, 1.0],
        "min_image_size": MIN_IMAGE_SIZE[net],
        "output": "LPIPS distance per sample (spatially averaged), shape [batch]",
        "parameters": sum(p.numel() for p in model.parameters()),
        "license": ("LPIPS linear layers: BSD-2-Clause (richzhang/PerceptualSimilarity); "
                    "backbone: torchvision's ImageNet weights (BSD-3-Clause code; ImageNet "
                    "terms apply to the weights). Exported by PLoRG Studio's "
                    "models/export_lpips.py."),
        "provenance": {
            "lin_weights": os.path.abspath(lin_path), "lin_sha256": sha256(lin_path),
            "backbone_weights": os.path.abspath(backbone_path),
            "backbone_sha256": sha256(backbone_path),
        },
        "fixture": "fixture.json",
        "torch_version": torch.__version__,
        "exporter": "models/export_lpips.py",
        "exported_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    writers = {"lpips.pt": bundle.module_writer(traced),
               "fixture.bin": bundle.bytes_writer(fx_bin),
               "fixture.json": bundle.json_writer(fx_js),
               "lpips.json": bundle.json_writer(man)}

    def reload_check(d):
        m = torch.jit.load(os.path.join(d, "lpips.pt"))
        with torch.no_grad():
            e = ((m(x3, y3) - ref).abs().max() / ref.abs().max().clamp_min(1e-6)).item()
        return [] if e <= RTOL else [f"lpips.pt as saved differs from eager by {e:.2e}"]

    path = bundle.write_atomically(out, writers, check=reload_check, marker="lpips.json")
    log(f"wrote {path}: LPIPS v0.1 ({net}), {man['parameters']:,} parameters")
    return man


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--net", required=True, choices=sorted(lpips.ARCH))
    ap.add_argument("--lin", required=True, help="lpips linear-layer weights (.pth)")
    ap.add_argument("--backbone", required=True, help="torchvision backbone weights (.pth)")
    ap.add_argument("--out", required=True, help="bundle folder to write")
    args = ap.parse_args(argv)
    try:
        export(args.net, args.lin, args.backbone, args.out)
    except (lpips.WeightError, checkpoint.CheckpointError, RuntimeError, OSError) as e:
        print(f"export_lpips: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
