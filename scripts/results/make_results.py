#!/usr/bin/env python3
"""Write docs/RESULTS.md from the sweeps that scripts/results/run-sweeps.sh ran.

Reads RESULTS_DIR/<sweep>/table.csv (one row per cell, written by `plorg sweep`), the
sweep's command.txt and RESULTS_DIR/machine.txt; the figures are the sweeps' own Cairo
plots, linked from the page. The hand-written discussion is scripts/results/discussion.md,
included verbatim. Standard library only, so any python3 runs it.

  scripts/results/make_results.py --results docs/results --out docs/RESULTS.md
"""
import argparse
import csv
import math
import os
import statistics
import sys
import tempfile

# The step sizes the sweeps call "default" and "large" (run-sweeps.sh: 250 DDIM steps, where
# PSLD's default omega is 0.5; ReSample's reference DPS scale 0.5): 10x and 30x the default.
PSLD_DEFAULT, PSLD_LARGE, PSLD_LARGER = 0.5, 5.0, 15.0
RESAMPLE_DEFAULT, RESAMPLE_LARGE = 0.5, 5.0
# The paper's numbers (../shared/paper, FFHQ 256, LDM-VQ-4, 100 images): Table 1 PSNR at the
# "normal" and the "large" MG step size, (PSLD, PLoRG-PSLD); Table 2 / the abstract and
# Table 4 for ReSample, (ReSample, PLoRG-ReSample). The paper does not say how large "large" is.
PAPER_T1 = {"box": ((24.22, 23.76), (11.99, 24.32)), "random": ((29.05, 28.14), (20.62, 31.68)),
            "gblur": ((22.87, 22.24), (17.47, 22.95)), "mblur": ((24.25, 23.34), (18.81, 24.31)),
            "sr4": ((24.51, 22.12), (7.70, 24.56))}
PAPER_T2 = {"box": (19.91, 23.59), "phase": (27.61, 31.19)}
# A reconstruction "fails" below this PSNR: on the bundled model a blank or blotched face
# scores 10-14 dB against the clean emoji, a recognisable one 18 dB and more.
FAIL_DB = 15.0
TASK_ORDER = ["box", "random", "gblur", "mblur", "sr4", "phase"]
TASK_LABEL = {"box": "Box inpainting", "random": "Random inpainting", "gblur": "Gaussian deblur",
              "mblur": "Motion deblur", "sr4": "4x super-resolution", "phase": "Phase retrieval"}


def num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def read_table(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("omega", "psnr", "ssim", "residual", "psnr_oracle", "elapsed_s", "lpips"):
            r[k] = num(r.get(k))
        r["plorg"] = r.get("plorg") in ("1", "true", "True")
    return rows


def select(rows, **kw):
    out = []
    for r in rows:
        if all((abs(r[k] - v) < 1e-9 if isinstance(v, float) else r[k] == v) for k, v in kw.items()):
            out.append(r)
    return out


def finite(values):
    return [v for v in values if not math.isnan(v)]


def mean_std(values, digits=2):
    v = finite(values)
    if not v:
        return "–"
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{statistics.mean(v):.{digits}f} ± {statistics.stdev(v):.{digits}f}"


def mean_std3(values):
    return mean_std(values, 3)


def mean(values):
    v = finite(values)
    return statistics.mean(v) if v else math.nan


def fail_rate(rows):
    """Share of cells that diverged or scored below FAIL_DB, as 'k/n'."""
    bad = sum(1 for r in rows if r["state"] == "diverged" or not (r["psnr"] >= FAIL_DB))
    return f"{bad}/{len(rows)}"


def paired(rows_a, rows_b, key="psnr"):
    """Per-image differences b - a (same image, same task, same step size)."""
    a = {r["image"]: r[key] for r in rows_a}
    d = [r[key] - a[r["image"]] for r in rows_b if r["image"] in a]
    return [x for x in d if not math.isnan(x)]


def tasks_of(rows):
    present = {r["task"] for r in rows}
    return [t for t in TASK_ORDER if t in present]


def has_lpips(rows):
    return any(not math.isnan(r["lpips"]) for r in rows)


def read_text(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def command_of(results, name):
    text = read_text(os.path.join(results, name, "command.txt"))
    return text.replace("== ", "").split(": ", 1)[-1] if text else "(not run)"


class Page:
    def __init__(self):
        self.lines = []

    def add(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for r in rows:
            self.add("| " + " | ".join(str(c) for c in r) + " |")
        self.add("")


def verdict(diffs, wins, n):
    """How one comparison reads: PLoRG better, worse or no clear difference."""
    if not diffs:
        return "no data"
    m = statistics.mean(diffs)
    if m > 0.5 and wins > n / 2:
        return "PLoRG better"
    if m < -0.5 and wins < n / 2:
        return "PLoRG worse"
    return "no clear difference"


def images_of(rows, task):
    return len({r["image"] for r in rows if r["task"] == task})


def section_setup(p, results, t1):
    machine = read_text(os.path.join(results, "machine.txt"), "(machine not recorded)")
    counts = ", ".join(f"{TASK_LABEL[t]} {images_of(t1, t)}" for t in tasks_of(t1))
    p.add("## Setup", "",
          "- Model: the bundled `models/emoji64` (64x64 emoji faces, latent 3x16x16, 3.42 M "
          "parameters; the UNet is the EMA of training step 9250, see models/README.md).",
          "- Images: the first held-out images of `data/images` (emoji the model never saw "
          f"in training), sorted by name; per task: {counts}.",
          "- PSLD: 250 DDIM steps (the engine's default; the PSLD code runs 1000, see the "
          "1000-step subset), eta 0, "
          "the faithful defaults of docs/FIDELITY.md (LDM timesteps k*c+1, the code's "
          "transpose in the gluing, the noised measurement term, gamma 0.1); ReSample: 500 "
          "DDIM steps (the ReSample code's), latent optimiser limit 100 iterations (the engine's "
          "default; the code's 500 over-fits here, src/engine/pl_run_params.c). Measurement noise sigma 0.01 in [-1,1] units, "
          "noise seed 0, operator seed 0; PLoRG tau 0.99, the paper's per-channel rank rule, "
          "both sides.",
          "- One torch thread per run (and one OpenBLAS thread: runs repeat bit for bit).",
          f"- A run counts as a failure when it diverged or its PSNR is below {FAIL_DB:g} dB.",
          "- Machine:", "", "```", machine, "```", "")


def paired_cell(rows, task, w):
    a = select(rows, task=task, plorg=False, omega=w)
    b = select(rows, task=task, plorg=True, omega=w)
    d = paired(a, b)
    wins = sum(1 for x in d if x > 0)
    text = f"{statistics.mean(d):+.2f} dB, {wins}/{len(d)}" if d else "–"
    return text, verdict(d, wins, len(d))


def section_table1(p, results, t1):
    cols = [(PSLD_DEFAULT, "default"), (PSLD_LARGE, "10x"), (PSLD_LARGER, "30x")]
    p.add("## Table 1 — PSLD vs PLoRG-PSLD", "",
          f"`{command_of(results, 'table1')}`", "",
          f"`{command_of(results, 'table1-subset')}`", "",
          f"Default step omega = {PSLD_DEFAULT:g} (PSLD's default at 250 steps); large steps "
          f"{PSLD_LARGE:g} (10x) and {PSLD_LARGER:g} (30x). Mean ± standard deviation over the "
          "images; failures count diverged runs and runs below the failure PSNR.", "")
    lp = has_lpips(t1)
    header = ["task", "method"]
    for w, name in cols:
        header += [f"PSNR ω={w:g} ({name})", "SSIM"] + (["LPIPS"] if lp else [])
    header += [f"failures ω={w:g}" for w, _ in cols[1:]]
    rows = []
    for task in tasks_of(t1):
        for plorg in (False, True):
            row = [TASK_LABEL[task], "PLoRG-PSLD" if plorg else "PSLD"]
            fails = []
            for w, _ in cols:
                c = select(t1, task=task, plorg=plorg, omega=w)
                row += [mean_std([r["psnr"] for r in c]), mean_std3([r["ssim"] for r in c])]
                if lp:
                    row.append(mean_std3([r["lpips"] for r in c]))
                fails.append(fail_rate(c))
            rows.append(row + fails[1:])
    p.table(header, rows)
    if not lp:
        p.add("LPIPS: not computed — no LPIPS network was loaded (`plorg sweep --lpips DIR` "
              "with a bundle exported from the user's LPIPS weights, see "
              "models/README-real-models.md; none can be downloaded here).", "")
    p.add("Paired per image: mean PSNR difference PLoRG-PSLD − PSLD and the number of images "
          "on which PLoRG-PSLD scored higher. \"Reads\" says PLoRG better/worse when the mean "
          "difference exceeds 0.5 dB and most images agree, else no clear difference. At a "
          "large step one run is chaotic (docs/FIDELITY.md, section 8): read the means, "
          "not single images.", "")
    header = ["task"]
    for w, name in cols:
        header += [f"ω={w:g}: diff, PLoRG higher", "reads"]
    p.table(header, [[TASK_LABEL[t]] + [x for w, _ in cols for x in paired_cell(t1, t, w)]
                     for t in tasks_of(t1)])


def section_paper(p, t1):
    p.add("## Beside the paper's Table 1", "",
          "Mean PSNR (dB). The paper: FFHQ 256, LDM-VQ-4, 100 images, its \"normal\" and "
          "\"large\" MG step (the multiple is not given). Ours: the bundled model at the "
          f"default step and at 10x and 30x it. \"Drop\" is large − normal per method.", "")
    header = ["task", "paper PSLD normal → large (drop)", "paper PLoRG-PSLD normal → large (drop)"]
    for w, name in ((PSLD_LARGE, "10x"), (PSLD_LARGER, "30x")):
        header += [f"ours PSLD → {name} (drop)", f"ours PLoRG-PSLD → {name} (drop)"]
    rows = []
    for task in tasks_of(t1):
        (pn, qn), (pl, ql) = PAPER_T1[task]
        row = [TASK_LABEL[task], f"{pn:.2f} → {pl:.2f} ({pl - pn:+.1f})",
               f"{qn:.2f} → {ql:.2f} ({ql - qn:+.1f})"]
        for w in (PSLD_LARGE, PSLD_LARGER):
            for plorg in (False, True):
                n = mean([r["psnr"] for r in select(t1, task=task, plorg=plorg, omega=PSLD_DEFAULT)])
                l = mean([r["psnr"] for r in select(t1, task=task, plorg=plorg, omega=w)])
                row.append("–" if math.isnan(n) or math.isnan(l) else f"{n:.2f} → {l:.2f} ({l - n:+.1f})")
        rows.append(row)
    p.table(header, rows)


def section_fig3a(p, results, t1):
    p.add("## Figure 3a — PSNR vs step size", "",
          "Mean PSNR over the images, band ± 1 std, one panel per task (drawn by "
          "`plorg sweep`).", "", "![PSNR vs step size](results/table1/robustness.png)", "")
    if os.path.exists(os.path.join(results, "table1-subset", "robustness.png")):
        p.add("![PSNR vs step size, random inpainting and motion deblur]"
              "(results/table1-subset/robustness.png)", "")
    omegas = sorted({r["omega"] for r in t1})
    header = ["task", "method"] + [f"ω={w:g}" for w in omegas]
    rows = []
    for task in tasks_of(t1):
        for plorg in (False, True):
            row = [TASK_LABEL[task], "PLoRG-PSLD" if plorg else "PSLD"]
            for w in omegas:
                c = select(t1, task=task, plorg=plorg, omega=w)
                m = mean([r["psnr"] for r in c])
                div = sum(1 for r in c if r["state"] == "diverged")
                row.append(("–" if math.isnan(m) else f"{m:.2f}") + (f" ({div} div.)" if div else ""))
            rows.append(row)
    p.add("Mean PSNR (dB); \"div.\" counts runs stopped for divergence:", "")
    p.table(header, rows)
    rows = []
    for task in tasks_of(t1):
        for plorg in (False, True):
            means = [(w, mean([r["psnr"] for r in select(t1, task=task, plorg=plorg, omega=w)]))
                     for w in omegas]
            means = [(w, m) for w, m in means if not math.isnan(m)]
            if not means:
                continue
            w_best, m_best = max(means, key=lambda x: x[1])
            window = [w for w, m in means if m >= m_best - 2.0]
            rows.append([TASK_LABEL[task], "PLoRG-PSLD" if plorg else "PSLD", f"{m_best:.2f}",
                         f"{w_best:g}", ", ".join(f"{w:g}" for w in window)])
    p.add("Each method at its best step size, and the step sizes of the grid whose mean PSNR "
          "is within 2 dB of that best (the usable window):", "")
    p.table(["task", "method", "best mean PSNR", "at ω", "ω within 2 dB of best"], rows)


def section_table2(p, results, t2):
    p.add("## Table 2 — ReSample vs PLoRG-ReSample", "",
          f"`{command_of(results, 'table2')}`", "",
          f"`{command_of(results, 'table2-phase')}`", "",
          f"DPS scale {RESAMPLE_DEFAULT:g} (the reference's) and {RESAMPLE_LARGE:g} (10x); "
          "500 DDIM steps. Phase retrieval is best of 4 samples, picked by the smallest "
          "measurement residual ||y - A(x)|| (no ground truth used); the \"oracle\" column "
          "picks by PSNR instead and is shown only for reference. The paper's column is its "
          "PSNR at its default (FFHQ, 100 images).", "")
    header = ["task", "method", "images", "PSNR default", "SSIM default", "PSNR large",
              "SSIM large", "oracle PSNR large", "failures default", "failures large", "paper"]
    rows = []
    for task in tasks_of(t2):
        for plorg in (False, True):
            d = select(t2, task=task, plorg=plorg, omega=RESAMPLE_DEFAULT)
            l = select(t2, task=task, plorg=plorg, omega=RESAMPLE_LARGE)
            oracle = mean_std([r["psnr_oracle"] for r in l]) if task == "phase" else "–"
            paper = f"{PAPER_T2[task][int(plorg)]:.2f}" if task in PAPER_T2 else "–"
            rows.append([TASK_LABEL[task], "PLoRG-ReSample" if plorg else "ReSample",
                         images_of(d, task),
                         mean_std([r["psnr"] for r in d]), mean_std3([r["ssim"] for r in d]),
                         mean_std([r["psnr"] for r in l]), mean_std3([r["ssim"] for r in l]),
                         oracle, fail_rate(d), fail_rate(l), paper])
    p.table(header, rows)
    time = [(r["plorg"], r["elapsed_s"]) for r in t2 if r["task"] == "box"]
    for plorg in (False, True):
        t = mean([e for q, e in time if q == plorg])
        if not math.isnan(t):
            p.add(f"- {'PLoRG-ReSample' if plorg else 'ReSample'}, box inpainting: "
                  f"{t:.0f} s per run (mean; one core).")
    p.add("")


def section_fig3b(p, results, t1, t2):
    p.add("## Figure 3b — PSNR histograms and failure rates", "",
          "One row per step size, one column per method (drawn by `plorg sweep`).", "")
    for task in tasks_of(t2):
        folder = "table2-phase" if task == "phase" else "table2"
        p.add(f"![{TASK_LABEL[task]} histograms](results/{folder}/psnr_hist-{task}.png)", "")
    for task in ("box", "sr4"):
        if task in tasks_of(t1):
            p.add(f"PSLD, {TASK_LABEL[task]}: "
                  f"[histograms](results/table1/psnr_hist-{task}.png)", "")
    rows = []
    for rows_, meth, w in ((t1, ("PSLD", "PLoRG-PSLD"), PSLD_LARGE),
                           (t1, ("PSLD", "PLoRG-PSLD"), PSLD_LARGER),
                           (t2, ("ReSample", "PLoRG-ReSample"), RESAMPLE_LARGE)):
        for task in tasks_of(rows_):
            a = select(rows_, task=task, plorg=False, omega=w)
            b = select(rows_, task=task, plorg=True, omega=w)
            rows.append([TASK_LABEL[task], f"{w:g}", f"{meth[0]} {fail_rate(a)}",
                         f"{meth[1]} {fail_rate(b)}"])
    p.add(f"Failures (diverged or PSNR < {FAIL_DB:g} dB) at the large steps:", "")
    p.table(["task", "step", "baseline", "with PLoRG"], rows)


def section_control(p, results, t1):
    ctl = read_table(os.path.join(results, "control", "table.csv"))
    if not ctl:
        return
    p.add("## Control: a smaller step or a better direction?", "",
          "`scripts/results/run-sweeps.sh`, sweep `control`: PSLD without PLoRG at one step "
          "size per task.", "",
          f"At omega {PSLD_LARGE:g} PLoRG keeps on average 84% (box), 78% (Gaussian deblur) and "
          "53% (SR x4) of the gradient's norm over a run (mean ||P(g)|| / ||g|| on the first "
          f"3 images), so PLoRG-PSLD at {PSLD_LARGE:g} moves about as far as PSLD at the "
          f"control step below. If PLoRG's gain at {PSLD_LARGE:g} were only a smaller step, "
          "PSLD at the control step would match it.", "")
    rows = []
    for task in tasks_of(ctl):
        a = select(t1, task=task, plorg=False, omega=PSLD_LARGE)
        c = select(ctl, task=task)
        b = select(t1, task=task, plorg=True, omega=PSLD_LARGE)
        d = paired(c, b)
        wins = sum(1 for x in d if x > 0)
        rows.append([TASK_LABEL[task], mean_std([r["psnr"] for r in a]),
                     f"{c[0]['omega']:g}", mean_std([r["psnr"] for r in c]),
                     mean_std([r["psnr"] for r in b]),
                     f"{statistics.mean(d):+.2f} dB, {wins}/{len(d)}" if d else "–"])
    p.table(["task", f"PSLD ω={PSLD_LARGE:g}", "control ω", "PSLD at control ω",
             f"PLoRG-PSLD ω={PSLD_LARGE:g}", "PLoRG-PSLD − PSLD at control ω (paired)"], rows)


def section_steps(p, results, t1):
    long = read_table(os.path.join(results, "steps1000", "table.csv"))
    if not long:
        return
    p.add("## The step count: 250 vs 1000 DDIM steps", "",
          f"`{command_of(results, 'steps1000')}`", "",
          "The same images at 250 steps (Table 1's runs) and at 1000, with the same per-step "
          "omega. Mean PSNR and the paired PLoRG-PSLD − PSLD difference.", "")
    images = {r["image"] for r in long}
    short = [r for r in t1 if r["image"] in images]
    rows = []
    for task in tasks_of(long):
        for w in sorted({r["omega"] for r in long}):
            row = [TASK_LABEL[task], f"{w:g}"]
            for rows_ in (short, long):
                for plorg in (False, True):
                    row.append(mean_std([r["psnr"] for r in select(rows_, task=task, plorg=plorg, omega=w)]))
                row.append(paired_cell(rows_, task, w)[0])
            rows.append(row)
    p.table(["task", "ω", "PSLD 250", "PLoRG-PSLD 250", "diff 250", "PSLD 1000",
             "PLoRG-PSLD 1000", "diff 1000"], rows)


def section_not_run(p, results):
    missing = [name for name in ("table1-subset", "control", "table2", "steps1000", "table2-phase")
               if not os.path.exists(os.path.join(results, name, "table.csv"))]
    if missing:
        p.add("## Not run for this page", "",
              "These sweeps of scripts/results/run-sweeps.sh have no table yet (the script is "
              "resumable; run it again to add them): " + ", ".join(f"`{m}`" for m in missing) + ".", "")


def write_atomic(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".results-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="docs/results")
    ap.add_argument("--out", default="docs/RESULTS.md")
    ap.add_argument("--discussion", default=os.path.join(os.path.dirname(__file__), "discussion.md"))
    a = ap.parse_args()
    t1 = (read_table(os.path.join(a.results, "table1", "table.csv")) +
          read_table(os.path.join(a.results, "table1-subset", "table.csv")))
    t2 = (read_table(os.path.join(a.results, "table2", "table.csv")) +
          read_table(os.path.join(a.results, "table2-phase", "table.csv")))
    if not t1:
        sys.exit(f"make_results: no {a.results}/table1/table.csv: run scripts/results/run-sweeps.sh")
    p = Page()
    p.add("# PLoRG on the bundled model: the paper's tables in shape", "",
          "Generated by `scripts/results/run-sweeps.sh` (sweeps, figures) and "
          "`scripts/results/make_results.py` (this page) — do not edit by hand. The "
          "discussion at the end is scripts/results/discussion.md. Every number below is "
          "read from the sweep tables in docs/results/*/table.csv.", "")
    section_setup(p, a.results, t1)
    section_table1(p, a.results, t1)
    section_paper(p, t1)
    section_fig3a(p, a.results, t1)
    section_control(p, a.results, t1)
    section_steps(p, a.results, t1)
    if t2:
        section_table2(p, a.results, t2)
    section_fig3b(p, a.results, t1, t2)
    section_not_run(p, a.results)
    p.add("## Where the bundled model agrees and disagrees with the paper", "",
          read_text(a.discussion, "(discussion not written yet)"), "")
    write_atomic(a.out, "\n".join(p.lines).rstrip() + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
