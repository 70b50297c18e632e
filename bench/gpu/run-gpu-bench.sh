#!/bin/bash
# The GPU benchmark, in one run on the GPU machine (Ubuntu 24.04, PyTorch + CUDA for
# python3, gcc/g++, no GLib/json-glib/Cairo, no network). Before: run
# bench/gpu/prepare.sh HERE and carry bench/gpu/sysroot. Writes into $OUT:
#   env.txt                 GPU, driver, torch, CUDA, compiler
#   build.log               bench/gpu/build.sh against the pip torch's libtorch
#   engine-cuda.md/.json    bench-engine --device cuda: per-step cost of every solver
#   engine-cpu.md/.json     the same on the CPU (1 torch thread)
#   c-vs-python-cuda.md     C engine vs bench/python/psld_baseline.py, PSLD and PLoRG-PSLD, CUDA
#   c-vs-python-cpu.md      the same on the CPU, 1 and 2 threads (as measured on Debian)
#   ldm-export.log, ldm.json, ldm-tf32.json, ldm.txt
#                           models/bench_gpu_ldm.py on the full-size FFHQ LDM-VQ-4
#                           architecture with random weights (exported here first)
#   engine-ldm-cuda.md      bench-engine on that full-size bundle (PSLD, few steps)
#   summary.md              all tables together
#
#   bash bench/gpu/run-gpu-bench.sh            on the GPU machine
#   bash bench/gpu/run-gpu-bench.sh --cpu      dry run on Debian: Debian's CPU libtorch,
#                                              /usr/bin/python3, tiny LDM config, few steps
# Environment: REPEAT (runs per C-vs-Python row, default 3), SKIP_LDM=1 (leave out the
# full-size LDM: export and timing take several minutes), BUILD_DIR, OUT.
# Every part has its own time limit; a failed part is noted and the others still run.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cpu_mode=0
[ "${1:-}" = --cpu ] && cpu_mode=1
OUT=${OUT:-$root/build-gpu/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
build=${BUILD_DIR:-$root/build-gpu/direct}
export OMP_WAIT_POLICY=PASSIVE
sysroot=$root/bench/gpu/sysroot
log() { echo "run-gpu-bench: $*" | tee -a "$OUT/summary.log" >&2; }
# part NAME SECONDS CMD...: runs CMD under a time limit, notes failure, never stops the script.
part() {
  local name=$1 secs=$2; shift 2
  local t0=$(date +%s)
  timeout "$secs" "$@"
  local rc=$?
  log "$name: exit $rc after $(( $(date +%s) - t0 )) s"
  return $rc
}

if [ $cpu_mode = 1 ]; then
  python=/usr/bin/python3 device=cpu steps=5 repeat=1 threads=1
  torch_opt=(--debian-torch) jobs=2 ldm_config=$root/models/configs/tiny-ldm-vq.yaml
else
  python=python3 device=cuda steps=50 repeat=${REPEAT:-3} threads=1,2
  torch_opt=(--torch-dir "$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')")
  jobs=$(nproc) ldm_config=$root/models/configs/ffhq-ldm-vq-4.yaml
fi

{
  date -u +"%Y-%m-%dT%H:%M:%SZ"
  uname -a
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"
  "$python" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda,
      "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
  gcc --version | head -n1
  nproc
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt" >&2

# 1. build (gcc/g++ directly against the sysroot and the chosen libtorch)
part build 420 bash "$root/bench/gpu/build.sh" --out "$build" "${torch_opt[@]}" --jobs "$jobs" \
  > "$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; exit 1; }
"$build/bench-engine" --help > /dev/null || { log "bench-engine does not start"; exit 1; }

# 2. per-step cost of every solver, on the GPU and on the CPU
part engine-$device 240 "$build/bench-engine" --device "$device" --steps "$steps" \
  --json "$OUT/engine-$device.json" > "$OUT/engine-$device.md"
[ $cpu_mode = 1 ] || part engine-cpu 240 "$build/bench-engine" --device cpu --steps "$steps" \
  --json "$OUT/engine-cpu.json" > "$OUT/engine-cpu.md"

# 3. C engine vs the Python baseline (same bundle, image, steps, threads)
cvp=("$root/bench/engine/c_vs_python.py" --bench-engine "$build/bench-engine" --python "$python"
     --steps "$steps" --repeat "$repeat")
part c-vs-python-$device 300 "$python" "${cvp[@]}" --device "$device" --threads 1 \
  --json "$OUT/c-vs-python-$device.json" > "$OUT/c-vs-python-$device.md"
[ $cpu_mode = 1 ] || part c-vs-python-cpu 300 "$python" "${cvp[@]}" --device cpu --threads "$threads" \
  --json "$OUT/c-vs-python-cpu.json" > "$OUT/c-vs-python-cpu.md"

# 4. full-size LDM: export random weights here (1 GB: not carried), then time it
bundle=$build/ldm-random
pyyaml=()
"$python" -c 'import yaml' 2>/dev/null ||
  pyyaml=(env PYTHONPATH="$sysroot/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}")
if [ "${SKIP_LDM:-0}" = 1 ]; then
  log "ldm: skipped (SKIP_LDM=1)"
elif [ -f "$bundle/model.json" ] || part ldm-export 300 "${pyyaml[@]}" "$python" "$root/models/export_ldm.py" \
     --config "$ldm_config" --random --out "$bundle" > "$OUT/ldm-export.log" 2>&1; then
  ldm=("$python" "$root/models/bench_gpu_ldm.py" --bundle "$bundle" --device "$device")
  [ $cpu_mode = 1 ] && ldm+=(--steps 2 --warmup 1)
  part ldm 240 "${ldm[@]}" --json "$OUT/ldm.json" > "$OUT/ldm.txt" 2>&1
  [ $cpu_mode = 1 ] || part ldm-tf32 240 "${ldm[@]}" --tf32 --json "$OUT/ldm-tf32.json" >> "$OUT/ldm.txt" 2>&1
  part engine-ldm-$device 240 "$build/bench-engine" --model "$bundle" --device "$device" \
    --solvers psld --steps $([ $cpu_mode = 1 ] && echo 2 || echo 10) --no-shim-table \
    --json "$OUT/engine-ldm-$device.json" > "$OUT/engine-ldm-$device.md"
else
  tail -n 20 "$OUT/ldm-export.log" >&2
fi

for f in env.txt engine-$device.md engine-cpu.md c-vs-python-$device.md c-vs-python-cpu.md ldm.txt \
         engine-ldm-$device.md summary.log; do
  [ -s "$OUT/$f" ] && printf '\n## %s\n\n%s\n' "$f" "$(cat "$OUT/$f")"
done > "$OUT/summary.md"
log "done: $OUT/summary.md"
