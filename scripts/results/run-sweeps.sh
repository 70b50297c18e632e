#!/usr/bin/env bash
# Runs every sweep behind docs/RESULTS.md on the bundled model (models/emoji64), then
# writes docs/RESULTS.md from the sweeps' tables (scripts/results/make_results.py).
# Resumable: run it again after an interruption and finished cells are kept.
#   scripts/results/run-sweeps.sh [BUILD_DIR]        (default build/)
# Environment: RESULTS_JOBS (parallel shards, default: number of cores),
#              RESULTS_IMAGES (held-out images, default 20), RESULTS_DIR (default docs/results).
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

# sweep NAME ARGS...: one sweep in $jobs parallel shards, then its tables and plots.
sweep() {
  local name=$1; shift
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

# Steps: 50 DDIM steps (the bundled model's default is 250; 50 keeps all sweeps to about
# an hour on two cores). PSLD's default omega is 0.5 at 250 steps; a run's total guidance
# grows with its step count, so the default here is 0.5 * 250 / 50 = 2.5 and "large" is
# 10x that, 25. The step-size axis is half-decades around them.
psld_omegas=0.25,0.8,2.5,8,25,80
sweep table1 --tasks box,random,gblur,mblur,sr4 --solvers psld --plorg both \
  --omegas "$psld_omegas" --steps 50

# Rank rule and tau: PLoRG-PSLD with both rules and tau 0.9/0.95/0.99, at the default and at
# 8 (where PSLD starts to fail; at 25 nearly every run fails), on two tasks (the paper rule at
# tau 0.99 is table1's PLoRG-PSLD).
for rule in paper pooled; do
  for tau in 0.9 0.95 0.99; do
    [ "$rule/$tau" = paper/0.99 ] && continue
    sweep "rank-$rule-tau$tau" --tasks box,sr4 --solvers psld --plorg on \
      --omegas 2.5,8 --steps 50 --rank-rule "$rule" --tau "$tau"
  done
done

# Control: PLoRG keeps about 80% of the gradient's norm on this model (mean of
# ||P(g)|| / ||g|| over a run at omega 2.5), so PLoRG-PSLD at 2.5 moves about as far as
# PSLD at 2.0. PSLD at 2.0 tells a smaller step apart from a better direction.
sweep control --tasks box,random,gblur,mblur,sr4 --solvers psld --plorg off --omegas 2.0 \
  --steps 50

# Table 2: ReSample vs PLoRG-ReSample, box inpainting and phase retrieval (best of 4 by
# measurement residual), at the reference's DPS scale (0.5) and 10x it. 50 steps: ReSample
# runs an optimiser at every event and costs about 3x a PSLD step. Phase retrieval (four
# samples per cell) is its own sweep, the most expensive one, so it runs last.
sweep table2 --tasks box --solvers resample --plorg both --omegas 0.5,5 --steps 50
sweep table2-phase --tasks phase --solvers resample --plorg both --omegas 0.5,5 \
  --steps 50 --best-of 4

/usr/bin/env python3 scripts/results/make_results.py --results "$out" --out docs/RESULTS.md
