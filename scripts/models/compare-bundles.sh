#!/bin/bash
# The practical test of a retrained prior (models/README.md): PSLD and PLoRG-PSLD at their
# defaults on the first N bundled held-out images, box inpainting and SR x4, for two model
# bundles with the same seeds. Resumable (plorg sweep); shards over the cores.
#   bash scripts/models/compare-bundles.sh OLD_BUNDLE NEW_BUNDLE [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1 new=$2 build=${3:-build} out=${4:-models/training/compare}
n=${COMPARE_IMAGES:-20}
jobs=${COMPARE_JOBS:-$(nproc)}
export OMP_WAIT_POLICY=PASSIVE
for which in old new; do
  bundle=${!which}
  dir="$out/$which"
  mkdir -p "$dir"
  pids=()
  for ((i = 0; i < jobs; i++)); do
    "$build/src/cli/plorg" sweep --model "$bundle" --images data/images --limit "$n" \
      --tasks box,sr4 --solvers psld --plorg both --no-images --no-plots -q --threads 1 \
      --shard "$i/$jobs" --out "$dir" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  "$build/src/cli/plorg" sweep --model "$bundle" --images data/images --limit "$n" \
    --tasks box,sr4 --solvers psld --plorg both --tables-only -q --out "$dir"
done
python3 - "$out" <<'PY'
import csv, os, statistics, sys
out = sys.argv[1]
rows = {w: list(csv.DictReader(open(os.path.join(out, w, "table.csv")))) for w in ("old", "new")}

def by_image(w, task, method, key):
    return {r["image"]: float(r[key]) for r in rows[w]
            if r["task"] == task and r["method"] == method and r[key]}

def ms(v):
    return f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}" if len(v) > 1 else "–"

print("| task | method | old model PSNR | new model PSNR | new − old (paired) | new better | old SSIM | new SSIM |")
print("|---|---|---|---|---|---|---|---|")
for task in ("box", "sr4"):
    for method in sorted({r["method"] for r in rows["old"]}):
        o, n = by_image("old", task, method, "psnr"), by_image("new", task, method, "psnr")
        so, sn = by_image("old", task, method, "ssim"), by_image("new", task, method, "ssim")
        both = sorted(set(o) & set(n))
        d = [n[i] - o[i] for i in both]
        wins = sum(1 for x in d if x > 0)
        print(f"| {task} | {method} | {ms(list(o.values()))} (n={len(o)}) | {ms(list(n.values()))} (n={len(n)}) "
              f"| {ms(d)} | {wins} of {len(both)} | {statistics.mean(so.values()):.3f} | {statistics.mean(sn.values()):.3f} |")
PY
