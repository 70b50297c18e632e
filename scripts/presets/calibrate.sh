#!/bin/bash
# Calibrates the app's "PSLD vs PLoRG-PSLD, large step" presets (src/app/pl_presets.c):
# sweeps PSLD and PLoRG-PSLD at the presets' step count over multiples of PSLD's default
# step size (rescaled to that step count, as the presets do) on bundled held-out samples,
# then writes docs/PRESETS.md with the chosen multiple and sample per task.
#   bash scripts/presets/calibrate.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=${2:-docs/presets}
export OMP_WAIT_POLICY=PASSIVE

steps=250                 # STEPS_LARGE_STEP in pl_presets.c
default_omega=0.5         # PL_PSLD_OMEGA in pl_run_params.c, at 250 steps
factors="1 3 10 30 100"  # multiples of the default, rescaled to $steps (half-decades)
omegas=$(python3 -c "import sys; d, s = float(sys.argv[1]), int(sys.argv[2]); \
print(','.join(repr(round(d * 250 / s * float(f), 6)) for f in sys.argv[3:]))" \
         "$default_omega" "$steps" $factors)

# Five held-out samples: both vendors, spread over the sorted list.
images=$(mktemp -d)
trap 'rm -rf "$images"' EXIT
ls data/images/*.png | sort | awk 'NR % 8 == 3' | while read -r f; do
  ln -s "$PWD/$f" "$images/"
done

# One task per core.
for task in box sr4; do
  "$build/src/cli/plorg" sweep --images "$images" --tasks "$task" --solvers psld \
    --plorg both --omegas "$omegas" --steps "$steps" --out "$out/$task" --quiet \
    --no-images --threads 1 &
done
wait
python3 scripts/presets/pick.py --steps "$steps" --default-omega "$default_omega" \
  --factors "${factors// /,}" "$out/box" "$out/sr4" > docs/PRESETS.md
echo "wrote docs/PRESETS.md"
