#!/usr/bin/python3
"""Writes the bundles the C test tests/models/test-ldm-bundle.c loads (meson runs this at
test time: exporting needs torch):

  OUT/tiny-ldm-vq       models/configs/tiny-ldm-vq.yaml with random weights (export_ldm.py)
  OUT/tiny-ldm-vq-ref   references for the shim's gradient calls (fixture format): PyTorch
                        autograd through the bundle's own TorchScript files, with the shim's
                        conventions (plorg_shim.h), for guided_forward/guided_vjp,
                        encode_with_grad/encoder_vjp and decode_vjp
  OUT/lpips-alex        an LPIPS (AlexNet) bundle from random weight files (export_lpips.py)

  make_test_bundles.py --out DIR [--stamp FILE]
"""
import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import synthetic  # noqa: E402
import export_lpips  # noqa: E402
from ldm import bundle, config, export, schedule  # noqa: E402

REF_T = (100, 700)


def write_fixture(folder, tensors, note):
    os.makedirs(folder, exist_ok=True)
    meta, blobs, off = [], [], 0
    for name, t in tensors:
        a = np.ascontiguousarray(t.detach().numpy().astype("<f4"))
        meta.append({"name": name, "shape": list(a.shape), "offset": off})
        blobs.append(a.tobytes())
        off += a.nbytes
    bundle.bytes_writer(b"".join(blobs))(os.path.join(folder, "fixture.bin"))
    bundle.json_writer({"format": "plorg-fixture", "format_version": 1, "dtype": "float32",
                        "byte_order": "little", "data": "fixture.bin", "t": list(REF_T),
                        "note": note, "tensors": meta})(os.path.join(folder, "fixture.json"))


def gradient_references(bundle_dir, out):
    """Autograd through unet.pt/encoder.pt/decoder.pt as the shim composes them."""
    mods = {k: torch.jit.load(os.path.join(bundle_dir, f"{k}.pt")).eval()
            for k in ("unet", "encoder", "decoder")}
    cfg = config.load(synthetic.TINY_CONFIG)
    with open(os.path.join(bundle_dir, "model.json")) as f:
        s = json.load(f)["scale_factor"]
    abar_all = np.cumprod(1.0 - schedule.linear_betas(cfg))
    abar = torch.tensor([abar_all[t] for t in REF_T], dtype=torch.float64).reshape(2, 1, 1, 1)
    g = torch.Generator().manual_seed(2024)
    z_t = torch.randn(2, 3, 8, 8, generator=g)
    g_x = torch.randn(2, 3, 32, 32, generator=g)
    g_z0 = torch.randn(2, 3, 8, 8, generator=g)
    x = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    g_e = torch.randn(2, 3, 8, 8, generator=g)

    leaf = z_t.clone().requires_grad_(True)
    eps = mods["unet"](leaf, torch.tensor([float(t) for t in REF_T]))
    # sqrt(1 - abar), sqrt(abar) in float64, then float32, as the shim does.
    z0 = (leaf - torch.sqrt(1 - abar).float() * eps) / torch.sqrt(abar).float()
    x0 = mods["decoder"](z0 / s)
    g_z, = torch.autograd.grad([x0, z0], [leaf], [g_x, g_z0], retain_graph=True)
    g_z_x_only, = torch.autograd.grad([x0], [leaf], [g_x])

    xl = x.clone().requires_grad_(True)
    e = mods["encoder"](xl) * s
    g_xe, = torch.autograd.grad([e], [xl], [g_e])

    zd = z0.detach().clone().requires_grad_(True)
    xd = mods["decoder"](zd / s)
    g_zd, = torch.autograd.grad([xd], [zd], [g_x])

    write_fixture(out, [("z_t", z_t), ("g_x", g_x), ("g_z0", g_z0), ("eps", eps), ("z0", z0),
                        ("x0", x0), ("g_z", g_z), ("g_z_x_only", g_z_x_only), ("x", x),
                        ("g_e", g_e), ("e", e), ("g_xe", g_xe), ("z_d", z0), ("x_d", xd),
                        ("g_zd", g_zd)],
                  "t = REF_T per sample; z0/x0/g_z: guided_forward/guided_vjp(g_x, g_z0); "
                  "g_z_x_only: guided_vjp(g_x, NULL); e/g_xe: encode_with_grad(x)/"
                  "encoder_vjp(g_e); x_d/g_zd: decode_vjp(z_d, g_x); PyTorch autograd "
                  "through the bundle's TorchScript files, float32")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stamp", help="file to touch when everything is written")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    ldm_dir = os.path.join(args.out, "tiny-ldm-vq")
    export.export(export.Options(config=synthetic.TINY_CONFIG, out=ldm_dir, seed=0))
    gradient_references(ldm_dir, os.path.join(args.out, "tiny-ldm-vq-ref"))
    with tempfile.TemporaryDirectory() as tmp:
        bb, lin = synthetic.lpips_files("alex", tmp)
        export_lpips.export("alex", lin, bb, os.path.join(args.out, "lpips-alex"))
    if args.stamp:
        with open(args.stamp, "w") as f:
            f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
