"""TorchScript export of the three bundle modules (by tracing) and its verification.

Tracing rather than scripting: the networks index their ModuleLists in reverse and dispatch
on block types in Python, which torch.jit.script cannot compile; none of that depends on
the data, and the traced graph keeps batch and spatial sizes symbolic (checked below at a
batch size other than the traced one).

Tolerances. The traced graph runs the same ATen kernels as the eager model, so results can
only differ by summation order where kernels block differently per batch size: a few float32
ulps per layer, i.e. ~1e-7 relative per layer and ~1e-6 after the ~100 layers of the full
UNet. RTOL_SAME = 1e-5 of the output's scale leaves a factor 10 and still catches any real
graph difference (a wrong or missing op moves outputs by O(1) of their scale). A float64
run of the traced modules differs from the float32 eager reference by the reference's own
rounding, the same ~1e-6; RTOL_F64 = 1e-4 also catches a float32 constant baked into the
trace (e.g. timestep frequencies in the wrong precision would move eps by >1e-3).

The VQ decoder quantises with argmin over the codebook, which float rounding can flip
where two entries are nearly equidistant; its probe inputs are therefore exact codebook
vectors (distance 0 to one entry, clearly positive to all others).
"""
import warnings

import torch

RTOL_SAME = 1e-5
RTOL_F64 = 1e-4
TRACE_BATCH = 2
TRACE_T = (10.0, 500.0)


def rel_err(got, ref):
    """max |got - ref| relative to the reference's scale (at least 1e-3, so that an
    all-small output is not judged on noise)."""
    got, ref = got.double(), ref.double()
    return ((got - ref).abs().max() / max(1e-3, ref.abs().max().item())).item()


def probe_inputs(first_stage, latent, image_size, batch, seed, scale=1.0):
    """Seeded inputs per module: (z, t) for the UNet, x for the encoder, a decodable latent
    (in diffusion units, i.e. times scale) for the decoder."""
    g = torch.Generator().manual_seed(seed)
    c, h, w = latent
    z = torch.randn(batch, c, h, w, generator=g)
    t = torch.tensor([TRACE_T[i % len(TRACE_T)] + 37.0 * (i // len(TRACE_T)) for i in range(batch)])
    x = torch.rand(batch, 3, image_size, image_size, generator=g) * 2 - 1
    quantize = getattr(first_stage, "quantize", None)
    if quantize is not None:
        e = quantize.embedding.weight.detach()
        idx = torch.randint(e.shape[0], (batch, h, w), generator=g)
        zd = e[idx].permute(0, 3, 1, 2).contiguous() * scale
    else:
        zd = torch.randn(batch, c, h, w, generator=g)
    return {"unet": (z, t), "encoder": (x,), "decoder": (zd,), "z_scaled": zd}


@torch.no_grad()
def trace(parts, first_stage, latent, image_size):
    ins = probe_inputs(first_stage, latent, image_size, TRACE_BATCH, seed=7)
    with warnings.catch_warnings():
        # F.group_norm's input-size sanity check converts a size to bool; it only guards
        # against batch*spatial == 1 and has no effect on the traced computation (verify()
        # runs other batch sizes).
        warnings.filterwarnings("ignore", message="Converting a tensor to a Python boolean",
                                category=torch.jit.TracerWarning)
        return {k: torch.jit.trace(m, ins[k], check_trace=False) for k, m in parts.items()}


@torch.no_grad()
def verify(traced, parts, first_stage, latent, image_size, batches=(1,), check_double=False,
           log=print):
    """Compares traced with eager on a batch larger than the traced one and on the first b
    samples for each b in `batches`; returns a list of failure messages."""
    fails = []
    n = max((TRACE_BATCH + 1,) + tuple(batches))
    ins = probe_inputs(first_stage, latent, image_size, n, seed=99)
    for k, eager in parts.items():
        ref = eager(*ins[k])
        errs = {f"batch {n}": rel_err(traced[k](*ins[k]), ref)}
        for b in batches:
            errs[f"batch {b}"] = rel_err(traced[k](*[a[:b] for a in ins[k]]), ref[:b])
        msg = ", ".join(f"{name} {e:.1e}" for name, e in errs.items())
        fails += [f"{k}: traced {name} differs from eager by {e:.2e} > {RTOL_SAME}"
                  for name, e in errs.items() if not e <= RTOL_SAME]
        if check_double:
            m64 = traced[k].double()
            e64 = rel_err(m64(*[a.double() for a in ins[k]]), ref)
            traced[k].float()
            msg += f"; float64 {e64:.1e}"
            if not e64 <= RTOL_F64:
                fails.append(f"{k}: float64 run differs from eager float32 by {e64:.2e} > {RTOL_F64}")
        log(f"  {k}: traced vs eager {msg}")
    return fails
