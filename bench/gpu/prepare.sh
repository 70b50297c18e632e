#!/bin/bash
# Run HERE (Debian 12, with network): downloads the Debian packages listed in
# bench/gpu/packages.txt and unpacks them into bench/gpu/sysroot (gitignored), so that
# bench/gpu/run-gpu-bench.sh can build and run the C programs on a machine without GLib,
# json-glib or Cairo and without network. Idempotent: the .debs are cached in
# bench/gpu/debs (gitignored; not carried). Prints the sysroot's size (carry limit 64 MiB).
#   bash bench/gpu/prepare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sysroot=$here/sysroot
debs=$here/debs
mkdir -p "$debs"
mapfile -t pkgs < <(grep -v '^\s*\(#\|$\)' "$here/packages.txt")

cd "$debs"
missing=()
for p in "${pkgs[@]}"; do
  ls "${p}"_*.deb >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "prepare: downloading ${#missing[@]} packages"
  apt-get download "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
fi
for p in "${pkgs[@]}"; do
  ls "${p}"_*.deb >/dev/null 2>&1 || { echo "prepare: $p did not download" >&2; exit 1; }
done

rm -rf "$sysroot.tmp"
mkdir -p "$sysroot.tmp"
for p in "${pkgs[@]}"; do
  dpkg-deb -x "$(ls "${p}"_*.deb | head -n1)" "$sysroot.tmp"
done
# Only headers, shared libraries, pkg-config files and Python modules are needed.
rm -rf "$sysroot.tmp"/usr/share/{doc,man,locale,lintian,gdb,bash-completion,gettext,aclocal,glib-2.0,info,bug,gtk-doc}
rm -rf "$sysroot.tmp"/usr/bin "$sysroot.tmp"/usr/libexec "$sysroot.tmp"/etc
find "$sysroot.tmp" -name '*.a' -delete
lib=$sysroot.tmp/usr/lib/x86_64-linux-gnu
# Debian's postinst makes these through update-alternatives; dpkg-deb -x does not.
ln -sf blas/libblas.so.3 "$lib/libblas.so.3"
ln -sf lapack/liblapack.so.3 "$lib/liblapack.so.3"
# Package lists for the record.
for p in "${pkgs[@]}"; do basename "$(ls "$debs/${p}"_*.deb | head -n1)"; done > "$sysroot.tmp/PACKAGES"
rm -rf "$sysroot"
mv "$sysroot.tmp" "$sysroot"
echo "prepare: $sysroot: $(du -sm "$sysroot" | cut -f1) MiB, ${#pkgs[@]} packages"
