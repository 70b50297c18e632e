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
print("| task | method | old model PSNR | new model PSNR |")
print("|---|---|---|---|")
rows = {w: list(csv.DictReader(open(os.path.join(out, w, "table.csv")))) for w in ("old", "new")}
for task in ("box", "sr4"):
    for method in sorted({r["method"] for r in rows["old"]}):
        cell = []
        for w in ("old", "new"):
            v = [float(r["psnr"]) for r in rows[w] if r["task"] == task and r["method"] == method and r["psnr"]]
            cell.append(f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f} (n={len(v)})" if len(v) > 1 else "–")
        print(f"| {task} | {method} | {cell[0]} | {cell[1]} |")
PY
