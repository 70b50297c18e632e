#!/usr/bin/python3
"""The `motionblur` package's kernel algorithm (LeviBorodenko/motionblur, Kernel with its
default drawing), written from reading it, with numpy's random numbers and Pillow for the
drawing, blur and resize, as the package does. It prints statistics of many kernels as JSON
for tests/core/test-motionblur.c, which compares them with the C generator's.

  motionblur_reference.py --side 61 --intensity 0.5 --count 2000 --seed 1

For every statistic: n, mean, var (sample variance) and m4 (fourth central moment), so the
C test can derive its tolerances from the sample sizes. Exits 77 (skip) without numpy/PIL.
"""
import argparse
import json
import math
import sys

try:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter
except ImportError:  # the C test skips
    sys.exit(77)

EPS = 0.1  # the package's "tiny error"


def kernel(side, intensity, rng):
    """One kernel (side x side, float64, sums to 1) and its path facts."""
    n_canvas = 2 * side
    diag = math.hypot(n_canvas, n_canvas)
    # steps: lengths until they reach the path length; a step is kept only if shorter
    max_len = 0.75 * diag * (rng.uniform() + rng.uniform(0, intensity ** 2))
    steps = []
    while sum(steps) < max_len:
        st = rng.beta(1, 30) * (1 - intensity + EPS) * diag
        if st < max_len:
            steps.append(st)
    # headings: first uniform in (-A, A), then triangular magnitudes with sign memory
    max_angle = rng.uniform(0, intensity * math.pi)
    jitter = rng.beta(2, 20)
    angles = [rng.uniform(-max_angle, max_angle)]
    while len(angles) < len(steps):
        a = rng.triangular(0, intensity * max_angle, max_angle + EPS)
        a *= -np.sign(angles[-1]) if rng.uniform() < jitter else np.sign(angles[-1])
        angles.append(a)
    path = np.cumsum(np.asarray(steps) * np.exp(1j * np.asarray(angles)))
    path -= path.sum() / len(steps)
    path *= np.exp(1j * rng.uniform(0, math.pi))
    path += (n_canvas + 1j * n_canvas) / 2
    img = Image.new("RGB", (n_canvas, n_canvas))
    ImageDraw.Draw(img).line(xy=[(p.real, p.imag) for p in path], width=int(diag / 150))
    drawn = int((np.asarray(img.convert("L")) > 0).sum())
    img = img.filter(ImageFilter.GaussianBlur(radius=int(diag * 0.01)))
    img = img.resize((side, side), resample=Image.LANCZOS).convert("L")
    k = np.asarray(img, dtype=np.float64)
    k /= k.sum()
    return k, {"steps": len(steps), "path_length": float(sum(steps)), "drawn_pixels": drawn}


def kernel_stats(k):
    """Statistics of one kernel that do not depend on the random rotation."""
    side = k.shape[0]
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64)
    my, mx = (k * yy).sum(), (k * xx).sum()
    cyy = (k * (yy - my) ** 2).sum()
    cxx = (k * (xx - mx) ** 2).sum()
    cxy = (k * (xx - mx) * (yy - my)).sum()
    tr, det = cxx + cyy, cxx * cyy - cxy * cxy
    disc = math.sqrt(max(tr * tr / 4 - det, 0.0))
    return {
        "support": float((k > 0).sum()),
        "energy": float((k * k).sum()),
        "spread_major": math.sqrt(max(tr / 2 + disc, 0.0)),
        "spread_minor": math.sqrt(max(tr / 2 - disc, 0.0)),
        "centre_offset": math.hypot(mx - (side - 1) / 2, my - (side - 1) / 2),
        "peak": float(k.max()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=61)
    ap.add_argument("--intensity", type=float, default=0.5)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    values = {}
    bad = 0
    for _ in range(a.count):
        k, facts = kernel(a.side, a.intensity, rng)
        if not (abs(k.sum() - 1) < 1e-9 and (k >= 0).all()):
            bad += 1
        st = kernel_stats(k)
        st.update({key: float(v) for key, v in facts.items()})
        for key, v in st.items():
            values.setdefault(key, []).append(v)
    out = {"side": a.side, "intensity": a.intensity, "count": a.count, "not_normalised": bad,
           "stats": {}}
    for key, v in values.items():
        x = np.asarray(v)
        m = x.mean()
        out["stats"][key] = {"n": len(x), "mean": m, "var": x.var(ddof=1),
                             "m4": float(((x - m) ** 4).mean())}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
