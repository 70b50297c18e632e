#!/bin/sh
# Installs every Debian 12 package PLoRG Studio needs to build, run and test.
# Idempotent: packages already present are left alone; apt lists are refreshed only
# when something is missing.
set -eu

PACKAGES="
build-essential pkg-config meson ninja-build git
libglib2.0-dev libgtk-4-dev libcairo2-dev libjson-glib-dev
liblapacke-dev libopenblas-dev libfftw3-dev libpng-dev libjpeg-dev
libtorch-dev nlohmann-json3-dev python3-torch python3-numpy python3-pil python3-yaml
xvfb xauth desktop-file-utils appstream
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
