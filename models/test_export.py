#!/usr/bin/python3
"""Check an exported model bundle against the eager PyTorch model (exit status 1 on mismatch).

  test_export.py [BUNDLE_DIR]      (default: models/emoji64)

Loads unet.pt / encoder.pt / decoder.pt with torch.jit.load, rebuilds the eager modules of
models/ldm_small.py from the manifest's architecture record with the bundle's own weights,
and compares at batch 1 and 3 (each batch-1 result against its row of the batch-3 one), in
float32 and with the modules converted to float64. Also checks output shapes against the
manifest, parameter counts, finiteness of the weights, and that the eager model reproduces
the fixture (fixture.json + fixture.bin). export_bundle.py runs the same checks before it
moves a new bundle into place.

Tolerances: the traced graph runs the same ATen kernels as the eager model, so results
differ at most by summation order (kernels may block differently per batch size): a few
float32 ulps per layer, far below RTOL_SAME = 1e-5 of the output's scale. The float64 run
differs from the float32 eager reference by the float32 rounding of the reference itself
(~1e-6 relative after ~30 layers); RTOL_F64 = 1e-4 leaves margin and still catches any
real graph difference (wrong op, dtype baked into the trace).
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

RTOL_SAME = 1e-5
RTOL_F64 = 1e-4
MODULES = ("unet", "encoder", "decoder")


def _err(got, ref):
    """max |got - ref| relative to the reference's scale (at least 1)."""
    got, ref = got.double(), ref.double()
    return ((got - ref).abs().max() / max(1.0, ref.abs().max().item())).item()


def load_fixture(d):
    with open(os.path.join(d, "fixture.json")) as f:
        js = json.load(f)
    raw = open(os.path.join(d, js["data"]), "rb").read()
    out = {}
    for t in js["tensors"]:
        n = int(np.prod(t["shape"]))
        a = np.frombuffer(raw, dtype="<f4", count=n, offset=t["offset"]).reshape(t["shape"])
        out[t["name"]] = torch.from_numpy(a.astype(np.float32))
    return js, out


def eager_from_bundle(man, mods):
    """ldm_small modules with the weights the bundle holds."""
    from ldm_small import AutoencoderKL, UNet
    import export_bundle

    def kw(d):
        return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}

    arch = man["architecture"]
    ae = AutoencoderKL(**kw(arch["autoencoder"]))
    eager = {"unet": UNet(**kw(arch["unet"])), "encoder": export_bundle.EncoderMean(ae.encoder),
             "decoder": ae.decoder}
    for k, m in eager.items():
        m.load_state_dict({n: v.float() for n, v in mods[k].state_dict().items()})
        m.eval()
    return eager


def _inputs(man, batch, gen):
    c, h, w = man["latent_shape"]
    s = man["image_size"]
    z = torch.randn(batch, c, h, w, generator=gen)
    t = torch.tensor([3.0, 411.0, 999.0][:batch])
    x = torch.rand(batch, 3, s, s, generator=gen) * 2 - 1
    return {"unet": (z, t), "encoder": (x,), "decoder": (z,)}


@torch.no_grad()
def check_bundle(d, eager=None, log=print):
    """Returns a list of failure messages (empty when the bundle is good)."""
    fails = []
    with open(os.path.join(d, "model.json")) as f:
        man = json.load(f)
    for key in ("name", "license", "image_size", "latent_shape", "value_range", "first_stage",
                "scale_factor", "schedule", "parameters"):
        if key not in man:
            fails.append(f"model.json: missing {key}")
    if fails:
        return fails
    mods = {k: torch.jit.load(os.path.join(d, f"{k}.pt")).float().eval() for k in MODULES}
    mods64 = {k: torch.jit.load(os.path.join(d, f"{k}.pt")).double().eval() for k in MODULES}
    if eager is None:
        eager = eager_from_bundle(man, mods)

    for k in MODULES:
        n = sum(p.numel() for p in mods[k].parameters())
        if n != man["parameters"][k]:
            fails.append(f"{k}: {n} parameters, model.json says {man['parameters'][k]}")
        for name, p in mods[k].named_parameters():
            if not torch.isfinite(p).all():
                fails.append(f"{k}: non-finite values in {name}")

    c, h, w = man["latent_shape"]
    s = man["image_size"]
    want = {"unet": (c, h, w), "encoder": (c, h, w), "decoder": (3, s, s)}
    ins = _inputs(man, 3, torch.Generator().manual_seed(99))
    for k in MODULES:
        ref = eager[k](*ins[k])
        got = mods[k](*ins[k])
        if tuple(got.shape) != (3,) + want[k]:
            fails.append(f"{k}: output shape {tuple(got.shape)}, manifest implies {(3,) + want[k]}")
            continue
        errs = {"batch 3": _err(got, ref)}
        for i in range(3):
            one = mods[k](*[a[i:i + 1] for a in ins[k]])
            errs[f"batch 1 #{i}"] = _err(one, ref[i:i + 1])
        e64 = _err(mods64[k](*[a.double() for a in ins[k]]), ref)
        log(f"{k}: traced vs eager " + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()) +
            f"; float64 vs eager float32 {e64:.1e}")
        fails += [f"{k}: {n} differs from eager by {e:.2e} > {RTOL_SAME}"
                  for n, e in errs.items() if not e <= RTOL_SAME]
        if not e64 <= RTOL_F64:
            fails.append(f"{k}: float64 run differs from eager float32 by {e64:.2e} > {RTOL_F64}")

    fjs, fx = load_fixture(d)
    scale = man["scale_factor"]
    checks = [(f"eps_t{tv}", "unet", (fx["z"], torch.full((fx["z"].shape[0],), float(tv))), 1.0)
              for tv in fjs["t"]]
    checks += [("encode", "encoder", (fx["x"],), scale), ("decode", "decoder", (fx["z"] / scale,), 1.0)]
    for name, k, args, mul in checks:
        ref = fx[name]
        e_eager = _err(eager[k](*args) * mul, ref)
        e_traced = _err(mods[k](*args) * mul, ref)
        log(f"fixture {name}: eager {e_eager:.1e}, traced {e_traced:.1e}")
        if not (e_eager <= RTOL_SAME and e_traced <= RTOL_SAME):
            fails.append(f"fixture {name}: eager {e_eager:.2e}, traced {e_traced:.2e} > {RTOL_SAME}")
    return fails


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "emoji64")
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    fails = check_bundle(d)
    for f in fails:
        print("FAIL:", f)
    print("bundle OK" if not fails else f"{len(fails)} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
