#!/usr/bin/env python3
"""The C engine against the Python baseline: time per step of PSLD and PLoRG-PSLD, same
model bundle, image, step count and torch thread count, in one run of this script.

  bench/engine/c_vs_python.py BUILD_DIR|--bench-engine PROGRAM [--threads 1,2] [--steps 30]
      [--repeat 3] [--device cpu|cuda] [--python /usr/bin/python3] [--image FILE] [--json FILE]

Needs only the Python standard library (the baseline runs under --python, which needs
torch). For every thread count, method and repeat it starts one bench-engine process
(BUILD_DIR/bench/engine/bench-engine --solvers psld --plorg off|on) and one
bench/python/psld_baseline.py process, alternating, so that background load hits both
alike. Time per step: the mean interval between consecutive step ends in each program
(the first step and the Python warm-up excluded). The table shows the median over the
repeats, the ratio of the fastest runs (the least disturbed by other load) and the ratio
of the process CPU time per step (all threads; less sensitive to other load than wall
time, but it counts idle-waiting threads too). Peak RSS: each process's own getrusage maximum (the whole process: libtorch,
model, interpreter). Prints a markdown table; --json writes every raw result.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
METHODS = [("psld", "off", "PSLD"), ("plorg-psld", "on", "PLoRG-PSLD")]


def run_json(cmd, env):
    """Run a program that writes a JSON file given as its last argument; return it."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    try:
        proc = subprocess.run(cmd + [path], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            sys.exit(f"c_vs_python: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
        with open(path) as f:
            return json.load(f)
    finally:
        os.unlink(path)


def c_engine(args, threads, plorg):
    exe = args.bench_engine or os.path.join(args.build_dir, "bench", "engine", "bench-engine")
    cmd = [exe, "--solvers", "psld",
           "--plorg", plorg, "--steps", str(args.steps), "--threads", str(threads),
           "--device", args.device, "--no-shim-table", "--model", args.model]
    if args.image:
        cmd += ["--image", args.image]
    res = run_json(cmd + ["--json"], args.env)
    row = res["rows"][0]
    return {"ms_per_step": row["wall_ms_per_step"], "cpu_ms_per_step": row["cpu_ms_per_step"],
            "step_report_ms": row["ms_per_step"],
            "peak_rss_mb": res["peak_rss_mb"], "psnr_db": row["psnr_db"], "raw": res}


def python_baseline(args, threads, method):
    cmd = [args.python, os.path.join(ROOT, "bench", "python", "psld_baseline.py"),
           "--method", method, "--steps", str(args.steps), "--threads", str(threads),
           "--device", args.device, "--model", args.model]
    if args.image:
        cmd += ["--image", args.image]
    res = run_json(cmd + ["--json"], args.env)
    return {"ms_per_step": res["ms_per_step"], "cpu_ms_per_step": res["cpu_ms_per_step"],
            "peak_rss_mb": res["peak_rss_mb"],
            "psnr_db": res["psnr_db"], "raw": res}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", help="meson build folder (or give --bench-engine)")
    ap.add_argument("--bench-engine", help="the bench-engine program (default: BUILD_DIR/bench/engine/bench-engine)")
    ap.add_argument("--threads", default="1,2", help="comma list of torch thread counts")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--python", default="/usr/bin/python3", help="a Python with torch")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "emoji64"))
    ap.add_argument("--image", default=os.path.join(ROOT, "data", "images", "twitter-1f469.png"))
    ap.add_argument("--json", help="write every raw result here")
    args = ap.parse_args(argv)
    if not args.build_dir and not args.bench_engine:
        ap.error("give BUILD_DIR or --bench-engine")
    args.env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    threads = [int(t) for t in args.threads.split(",")]

    results = []
    for t in threads:
        for method, plorg, label in METHODS:
            c, py = [], []
            for _ in range(args.repeat):
                c.append(c_engine(args, t, plorg))
                py.append(python_baseline(args, t, method))
            results.append({"threads": t, "method": label, "c": c, "python": py})

    print("| threads | method | C ms/step | Python ms/step | C / Python | C / Python, best runs | "
          "C / Python (CPU time) | C peak RSS MB | Python peak RSS MB | PSNR dB C / Python |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        def pick(key, f):
            return {k: f([x[key] for x in r[k]]) for k in ("c", "python")}
        wall, best = pick("ms_per_step", statistics.median), pick("ms_per_step", min)
        cpu = pick("cpu_ms_per_step", statistics.median)
        rss = pick("peak_rss_mb", max)
        psnr = {k: r[k][0]["psnr_db"] for k in ("c", "python")}
        print(f"| {r['threads']} | {r['method']} | {wall['c']:.1f} | {wall['python']:.1f} | "
              f"{wall['c'] / wall['python']:.2f} | {best['c'] / best['python']:.2f} | "
              f"{cpu['c'] / cpu['python']:.2f} | {rss['c']:.0f} | {rss['python']:.0f} | "
              f"{psnr['c']:.1f} / {psnr['python']:.1f} |")
    print(f"\n{args.steps} steps, box inpainting (centred), device {args.device}; ms/step: median "
          f"of {args.repeat} runs each (C and Python alternating); best runs: ratio of the "
          f"minima; CPU time: ratio of the medians of process CPU time per step (all threads); "
          f"torch (Python): {results[0]['python'][0]['raw']['torch']}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"steps": args.steps, "repeat": args.repeat, "device": args.device,
                       "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
