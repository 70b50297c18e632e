#!/bin/bash
# Builds the shim, core, engine, bench-engine and (when Cairo links) the plorg CLI with
# gcc/g++ directly: no meson, ninja or pkg-config needed, only a compiler, a libtorch and
# the Debian sysroot from bench/gpu/prepare.sh. For machines like the GPU machine; on
# Debian use meson (README.md). The source lists are read from the meson.build files.
#
#   bash bench/gpu/build.sh --out DIR (--torch-dir DIR | --debian-torch)
#                           [--sysroot DIR] [--jobs N] [--werror] [--no-cli]
#
# --torch-dir: a libtorch folder or a PyTorch wheel's torch/ folder (include/, lib/);
# --debian-torch: Debian's libtorch-dev (the CPU check of this script on Debian 12).
# Headers and link-time libraries come from the sysroot first. At run time each library
# the machine already has (by soname, ldconfig -p) is the machine's; the others are
# symlinked into DIR/lib, which the programs find through their RUNPATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sysroot=$root/bench/gpu/sysroot
out= torch_dir= debian_torch=0 jobs=$(nproc) werror= cli=1
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift ;;
    --torch-dir) torch_dir=$2; shift ;;
    --debian-torch) debian_torch=1 ;;
    --sysroot) sysroot=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --werror) werror=-Werror ;;
    --no-cli) cli=0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || { echo "build.sh: --out DIR is required" >&2; exit 2; }
[ -d "$sysroot/usr/include/glib-2.0" ] || { echo "build.sh: no sysroot at $sysroot (run bench/gpu/prepare.sh)" >&2; exit 1; }
command -v gcc >/dev/null && command -v g++ >/dev/null || { echo "build.sh: needs gcc and g++" >&2; exit 1; }
mkdir -p "$out/obj" "$out/lib"
out=$(cd "$out" && pwd)
sysroot=$(cd "$sysroot" && pwd)
slib=$sysroot/usr/lib/x86_64-linux-gnu
sinc=$sysroot/usr/include

# --- libtorch ---
if [ "$debian_torch" = 1 ]; then
  torch_inc=(-isystem /usr/include/torch/csrc/api/include)
  torch_libdir=/usr/lib/x86_64-linux-gnu
  abi=1
else
  [ -d "$torch_dir/include/torch" ] || { echo "build.sh: $torch_dir has no include/torch" >&2; exit 1; }
  torch_dir=$(cd "$torch_dir" && pwd)
  torch_inc=(-isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include")
  torch_libdir=$torch_dir/lib
  abi=$(python3 "$root/shim/torch_abi.py" "$torch_dir")
fi
torch_link=(-L"$torch_libdir" -Wl,-rpath,"$torch_libdir")
# libtorch_cuda registers the CUDA backend from static initialisers: keep it (see shim/meson.build).
cuda_libs=()
for l in torch_cuda c10_cuda; do
  [ -e "$torch_libdir/lib$l.so" ] && cuda_libs+=("$torch_libdir/lib$l.so")
done
[ ${#cuda_libs[@]} -gt 0 ] && torch_link+=(-Wl,--push-state,--no-as-needed "${cuda_libs[@]}" -Wl,--pop-state)
torch_link+=(-ltorch -ltorch_cpu -lc10)

# --- run-time library folder: the machine's library where it has the soname ---
have_sonames=$(ldconfig -p 2>/dev/null | awk '{print $1}' | sort -u)
rm -f "$out"/lib/*
for f in "$slib"/lib*.so.*; do
  name=$(basename "$f")
  case $name in *.so.[0-9]*.*) continue ;; esac  # soname links only (libfoo.so.N)
  [ -e "$f" ] || continue                          # dangling (package not in the list)
  if ! grep -qx "$name" <<<"$have_sonames"; then
    ln -s "$(readlink -f "$f")" "$out/lib/$name"
  fi
done
echo "build.sh: $(ls "$out/lib" | wc -l) libraries from the sysroot at run time: $(ls "$out/lib" | tr '\n' ' ')"

# --- flags ---
version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$root/meson.build" | head -n1)
inc=(-isystem "$sinc/glib-2.0" -isystem "$slib/glib-2.0/include" -isystem "$sinc/json-glib-1.0"
     -isystem "$sinc/libpng16" -isystem "$sinc/cairo" -isystem "$sinc/x86_64-linux-gnu" -isystem "$sinc")
common=(-O2 -g -fPIC -Wall -Wextra $werror -D_GNU_SOURCE -MD "${inc[@]}")
cflags=(-std=c11 "${common[@]}" -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74
        -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74)
cxxflags=(-std=c++17 "${common[@]}" -D_GLIBCXX_USE_CXX11_ABI="$abi" "${torch_inc[@]}")
ldflags=(-L"$slib" -Wl,-rpath-link,"$slib" -Wl,-rpath-link,"$slib/blas" -Wl,-rpath-link,"$slib/lapack"
         -Wl,--disable-new-dtags -Wl,-rpath,"$out/lib")
# DT_RPATH, not DT_RUNPATH: only RPATH also serves the libraries' own dependencies
# (libcairo -> libpixman, both possibly from DIR/lib).
libs_core=(-lfftw3f -lfftw3 -llapacke -lpng16 -ljpeg -lglib-2.0 -lm)
libs_engine=(-ljson-glib-1.0 -lgio-2.0 -lgobject-2.0 -lglib-2.0 -lpthread -ldl)

# Sources of a meson target: the quoted *.c / *.cpp names in DIR/meson.build.
sources() { grep -o "'[A-Za-z0-9_]*\.\(c\|cpp\)'" "$root/$1/meson.build" | tr -d "'" | sed "s|^|$root/$1/|"; }

# compile LANG OBJDIR EXTRA-FLAGS -- FILES: in parallel, one object per file.
compile() {
  local lang=$1 dir=$out/obj/$2; shift 2
  local extra=()
  while [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  mkdir -p "$dir"
  local flags
  if [ "$lang" = c ]; then flags=(gcc "${cflags[@]}"); else flags=(g++ "${cxxflags[@]}"); fi
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh -c \
    'f={}; o="$0/$(basename "$f").o"; "$@" -c "$f" -o "$o" || exit 255' "$dir" "${flags[@]}" "${extra[@]}"
}

t0=$(date +%s)
compile c core -I"$root/src/core" -- $(sources src/core)
compile cpp shim -I"$root/shim" -- $(sources shim)
compile c engine -I"$root/src/core" -I"$root/shim" -I"$root/src/engine" \
  -DPLORG_VERSION="\"$version\"" -DPLORG_BUNDLED_MODEL_DIR="\"$root/models/emoji64\"" \
  -DPLORG_INSTALLED_MODEL_DIR="\"/usr/local/share/plorg/models/emoji64\"" \
  -DG_LOG_DOMAIN='"plorg-engine"' -- $(sources src/engine)
compile c bench -I"$root/src/core" -I"$root/shim" -I"$root/src/engine" -- "$root/bench/engine/bench_engine.c"
echo "build.sh: compiled in $(( $(date +%s) - t0 )) s"
# Proof that the library headers came from the sysroot (the .d files list every header).
stray=$(cat "$out"/obj/*/*.d | tr ' ' '\n' | grep -E '^/usr/include/(glib-2.0|json-glib|cairo|fftw3|lapack|libpng|png|jpeglib|jconfig|nlohmann)' | sort -u || true)
[ -z "$stray" ] || { echo "build.sh: headers from outside the sysroot:" >&2; echo "$stray" >&2; exit 1; }
echo "build.sh: $(cat "$out"/obj/*/*.d | tr ' ' '\n' | grep -c "^$sysroot/") header uses from the sysroot, none of its libraries' headers from /usr/include"

objs() { ls "$out/obj/$1"/*.o; }
g++ -o "$out/bench-engine" $(objs bench) $(objs engine) $(objs core) $(objs shim) \
  "${ldflags[@]}" "${libs_engine[@]}" "${libs_core[@]}" "${torch_link[@]}"
echo "build.sh: linked $out/bench-engine"
if [ "$cli" = 1 ]; then
  if compile c cli -I"$root/src/core" -I"$root/shim" -I"$root/src/engine" -I"$root/src/cli" \
       -DG_LOG_DOMAIN='"plorg"' -- $(sources src/cli) &&
     g++ -o "$out/plorg" $(objs cli) $(objs engine) $(objs core) $(objs shim) \
       "${ldflags[@]}" -lcairo "${libs_engine[@]}" "${libs_core[@]}" "${torch_link[@]}"; then
    echo "build.sh: linked $out/plorg"
  else
    echo "build.sh: the CLI did not build (Cairo?); bench-engine is enough for the benchmark" >&2
  fi
fi
