#!/bin/bash
# Scaling benchmark in one command: exports random 128/256 bundles of the bundled model's
# architecture (once, into the build folder, which git ignores) and runs bench-scaling on
# 64 (the trained bundle), 128 and 256, printing one markdown table.
#   bash bench/scaling.sh [BUILD_DIR] [bench-scaling options, e.g. --threads 1,2]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
shift || true
[ -x "$build/bench/engine/bench-scaling" ] || { echo "build first: ninja -C $build" >&2; exit 2; }
export OMP_WAIT_POLICY=PASSIVE  # torch's idle threads must not spin (see src/engine/pl_process.h)
models=("--model" "$root/models/emoji64")
for n in 128 256; do
  dir="$build/scaling-models/random-$n"
  if [ ! -f "$dir/model.json" ]; then
    # Same architecture, random weights: the cost of a step does not depend on the weights.
    /usr/bin/python3 "$root/models/export_bundle.py" --random --image-size "$n" --out "$dir" >&2
  fi
  models+=("--model" "$dir")
done
exec "$build/bench/engine/bench-scaling" "${models[@]}" "$@"
