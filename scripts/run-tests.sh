#!/bin/bash
# Installs what the project needs, builds it (warnings are errors) and runs every test,
# then builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the
# tests there too. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

export OMP_WAIT_POLICY=PASSIVE   # libtorch's OpenMP threads spin otherwise
export GTK_A11Y=none             # no accessibility bus under Xvfb
jobs=$(nproc)

run_suite() {
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  else
    meson setup --reconfigure "$dir" "$@" >/dev/null
  fi
  meson compile -C "$dir" -j "$jobs"
  meson test -C "$dir" --print-errorlogs --no-suite slow
}

echo "== build and test (build/) =="
run_suite build
echo "== build and test under ASan + UBSan (build-asan/) =="
run_suite build-asan -Dsanitize_tests=true
echo "all tests passed (normal and sanitizer builds)"
