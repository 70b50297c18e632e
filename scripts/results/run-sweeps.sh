#!/usr/bin/env bash
# Runs every sweep behind docs/RESULTS.md on the bundled model (models/emoji64), then
# writes docs/RESULTS.md from the sweeps' tables (scripts/results/make_results.py).
# Resumable: run it again after an interruption and finished cells are kept.
#   scripts/results/run-sweeps.sh [BUILD_DIR]        (default build/)
# Environment: RESULTS_JOBS (parallel shards, default: number of cores),
#              RESULTS_IMAGES (held-out images of the main sweeps, default 20),
#              RESULTS_SUBSET_IMAGES, RESULTS_1000_IMAGES, RESULTS_RESAMPLE_IMAGES,
#              RESULTS_PHASE_IMAGES (the subsets: 8, 2, 4, 4),
#              RESULTS_DIR (default docs/results).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
plorg="$build/src/cli/plorg"
[ -x "$plorg" ] || { echo "no $plorg: build first (meson setup $build && ninja -C $build)" >&2; exit 1; }
jobs=${RESULTS_JOBS:-$(nproc)}
n=${RESULTS_IMAGES:-20}
out=${RESULTS_DIR:-docs/results}
export OMP_WAIT_POLICY=PASSIVE   # libtorch's OpenMP threads spin otherwise; one thread per shard
mkdir -p "$out"

# The machine and code the numbers come from, for the page's set-up section.
{
  echo "date: $(date -u +%F)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "cores: $(nproc), one torch thread per shard, $jobs shards in parallel"
  echo "os: $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src shim 2>/dev/null || echo ' + working-tree changes')"
  echo "model: $("$plorg" info | awk '/^name/{print $2}') ($("$plorg" info | awk '/^libtorch/{print "libtorch " $2}' | tr -d ,))"
} > "$out/machine.txt"

# sweep NAME IMAGES ARGS...: one sweep over the first IMAGES held-out images in $jobs
# parallel shards, then its tables and plots.
sweep() {
  local name=$1 n=$2; shift 2
  local dir="$out/$name" pids=() i
  mkdir -p "$dir"
  echo "== $name: plorg sweep $*" | tee "$dir/command.txt"
  for ((i = 0; i < jobs; i++)); do
    "$plorg" sweep --images data/images --limit "$n" --no-images --no-plots -q \
      --threads 1 --shard "$i/$jobs" --out "$dir" "$@" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  "$plorg" sweep --images data/images --limit "$n" --tables-only -q --out "$dir" "$@"
}

# The protocol (docs/RESULTS.md, "Setup"): PSLD at 250 DDIM steps, the engine's default
# (the PSLD code runs 1000: see steps1000 below), where PSLD's default omega is 0.5; the
# step-size axis is half-decades from the default to 100x it, wide enough that both
# methods collapse.
# Two cores do not hold every task at 20 images in one session: the three tasks of the
# headline (box, Gaussian deblur, SR x4) run on 20 images, the rest on subsets. The
# sweeps run in order of importance, so an interrupted run has the main table first.
psld_omegas=0.5,1.5,5,15,50
sweep table1 "$n" --tasks box,gblur,sr4 --solvers psld --plorg both --omegas "$psld_omegas" \
  --steps 250

# Control: at omega 5 PLoRG keeps on average 84% (box), 78% (Gaussian deblur) and 53%
# (SR) of the gradient's norm over a run (mean ||P(g)|| / ||g||, the first 3 images), so
# PLoRG-PSLD at 5 moves about as far as PSLD at 4.2, 3.9 and 2.7. PSLD there tells a
# smaller step apart from a better direction. One step size per task: one sweep each,
# one folder.
for control in box:4.2 gblur:3.9 sr4:2.7; do
  sweep control "$n" --tasks "${control%%:*}" --solvers psld --plorg off \
    --omegas "${control#*:}" --steps 250
done

# Table 2: ReSample vs PLoRG-ReSample at 500 DDIM steps (the ReSample code's) at the
# reference's DPS scale (0.5) and 10x it, on a subset: a ReSample run optimises at every
# event and costs about five PSLD runs.
sweep table2 "${RESULTS_RESAMPLE_IMAGES:-4}" --tasks box --solvers resample --plorg both \
  --omegas 0.5,5 --steps 500

# The trend in the step count: 1000 DDIM steps (the paper's PSLD runs) on a subset, with
# the same per-step omega as at 250 steps (the default and 10x it).
sweep steps1000 "${RESULTS_1000_IMAGES:-2}" --tasks box,sr4 --solvers psld --plorg both \
  --omegas 0.5,5 --steps 1000

sweep table1-subset "${RESULTS_SUBSET_IMAGES:-8}" --tasks random,mblur --solvers psld \
  --plorg both --omegas "$psld_omegas" --steps 250

# Phase retrieval, best of 4 by measurement residual (four samples per cell): the most
# expensive sweep, so it runs last.
sweep table2-phase "${RESULTS_PHASE_IMAGES:-4}" --tasks phase --solvers resample \
  --plorg both --omegas 0.5,5 --steps 500 --best-of 4

/usr/bin/env python3 scripts/results/make_results.py --results "$out" --out docs/RESULTS.md
