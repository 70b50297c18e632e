#!/usr/bin/python3
"""Reference parity of the engine's PSLD with an independent replica of the official
sampling loop (psld_replica.py), step by step, for every task.

  test_psld_parity.py DUMPER BUNDLE

DUMPER (psld_parity_dump, C, the engine) runs PSLD in the shim's float64 compute mode and
writes z_T, y, the noiser's draws, mask/kernel and its trajectory; the replica runs the
same loop from z_T, y and the draws alone, and every latent of the two trajectories must
agree: max |z_engine - z_replica| / max |z_replica| below 1e-5 at every step. The engine's
buffers are float32 (the networks compute in float64), so the expected disagreement is a
few float32 roundings per step, ~1e-7 relative. TAP output, one test per case.
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import psld_replica  # noqa: E402

TOL = 1e-5
# (name, task, engine options): the defaults (the official code's choices) for every task,
# and the alternatives of each option once
CASES = [
    ("box", "box", ""),
    ("random", "random", ""),
    ("gblur", "gblur", ""),
    ("mblur", "mblur", ""),
    ("sr4", "sr4", ""),
    ("phase", "phase", "gamma=0"),
    ("sr4-adjoint-clean-zero", "sr4", "glue=adjoint,meas=clean,timesteps=zero"),
    ("box-adjoint", "box", "glue=adjoint"),
]


# The comparison must be able to fail: a replica with one option flipped must disagree
# with the engine by far more than TOL (the option changes the trajectory, and the test
# would see an engine that ignored it).
FLIPS = [("box", {"meas_noise": "clean"}), ("box", {"timesteps": "zero"}),
         ("sr4", {"glue_transpose": "adjoint"})]


def max_rel(rep, eng):
    worst, worst_step = 0.0, -1
    for i, z in enumerate(rep):
        zr = z.numpy()
        ze = eng[i].reshape(-1).numpy()
        rel = np.max(np.abs(ze - zr)) / max(np.max(np.abs(zr)), 1e-30)
        if rel > worst:
            worst, worst_step = rel, i
    return worst, worst_step


def main():
    dumper, bundle = sys.argv[1], sys.argv[2]
    print(f"1..{len(CASES) + len(FLIPS)}")
    failed = 0
    with tempfile.TemporaryDirectory() as out:
        specs = [f"{n}:{t}:{o}" if o else f"{n}:{t}" for n, t, o in CASES]
        t0 = time.time()
        r = subprocess.run([dumper, bundle, out] + specs, capture_output=True, text=True)
        print(f"# engine: {time.time() - t0:.1f} s")
        if r.returncode != 0:
            print(f"Bail out! the engine failed: {r.stderr.strip()}")
            return 1
        for k, (name, task, opts) in enumerate(CASES, 1):
            t0 = time.time()
            rep, eng = psld_replica.run(bundle, os.path.join(out, name))
            worst, worst_step = max_rel(rep, eng)
            steps = len(rep) - 1
            ok = worst < TOL and steps >= 20 and np.all(np.isfinite(eng.numpy()))
            # the trajectory must move under guidance: not a trivially equal pair
            moved = float(np.max(np.abs(eng[-1].numpy() - eng[0].numpy())))
            ok = ok and moved > 0.1
            failed += not ok
            print(f"{'ok' if ok else 'not ok'} {k} - {name} ({task} {opts or 'defaults'}): "
                  f"{steps} steps, max relative difference {worst:.3g} (step {worst_step}), "
                  f"|z_end - z_T| {moved:.3g}, replica {time.time() - t0:.1f} s")
        for k, (name, flip) in enumerate(FLIPS, len(CASES) + 1):
            rep, eng = psld_replica.run(bundle, os.path.join(out, name), flip)
            worst, _ = max_rel(rep, eng)
            ok = worst > 100 * TOL
            failed += not ok
            print(f"{'ok' if ok else 'not ok'} {k} - {name} with {flip} in the replica only "
                  f"disagrees: max relative difference {worst:.3g}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
