"""The noise schedule a config describes, and its cross-check against a checkpoint's buffers.

LDM's 'linear' schedule is linear in sqrt(beta): betas = linspace(sqrt(b0), sqrt(b1), T)^2,
computed in float64 and stored as float32 buffers (betas, alphas_cumprod, ...).
"""
import numpy as np

# The buffers are computed in float64 and rounded once to float32 (relative error <= 2^-24,
# about 6e-8). 1e-5 leaves a wide margin for that and still rejects any other schedule in
# use (0.0015..0.0155 instead of ..0.0195 moves the late betas by 20 %).
RTOL = 1e-5


def linear_betas(cfg):
    return np.linspace(cfg.linear_start ** 0.5, cfg.linear_end ** 0.5, cfg.timesteps,
                       dtype=np.float64) ** 2


def check(cfg, sd):
    """Returns a list of problems (empty if the checkpoint's schedule buffers agree or are
    absent) and the names of the buffers compared."""
    betas = linear_betas(cfg)
    expect = {"betas": betas, "alphas_cumprod": np.cumprod(1.0 - betas)}
    problems, compared = [], []
    for name, want in expect.items():
        if name not in sd:
            continue
        got = sd[name].double().numpy()
        compared.append(name)
        if got.shape != want.shape:
            problems.append(f"{name}: checkpoint has {got.shape[0]} steps, config {cfg.timesteps}")
            continue
        err = float(np.max(np.abs(got - want) / np.abs(want)))
        if err > RTOL:
            problems.append(f"{name}: max relative difference {err:.2e} between checkpoint and "
                            f"config (linear {cfg.linear_start}..{cfg.linear_end}, T={cfg.timesteps})")
    return problems, compared
