#!/bin/bash
# Builds PLoRG Studio (build/) and starts it on the bundled model (models/emoji64).
# This is the README's first command. Arguments go to the app, e.g.
#   bash scripts/run-app.sh --presentation
#   bash scripts/run-app.sh --model path/to/bundle picture.png
#   bash scripts/run-app.sh --measure 100     (prints main-loop stall and preview latency)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

export OMP_WAIT_POLICY=PASSIVE   # libtorch's OpenMP threads spin otherwise

if [ ! -f build/build.ninja ]; then
  meson setup build
fi
meson compile -C build src/app/plorg-studio

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-app: no display (DISPLAY / WAYLAND_DISPLAY unset); starting under xvfb-run" >&2
  exec xvfb-run -a -s "-screen 0 1600x1000x24" build/src/app/plorg-studio "$@"
fi
exec build/src/app/plorg-studio "$@"
