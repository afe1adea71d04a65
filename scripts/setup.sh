#!/usr/bin/env bash
# Installs what asyncload needs on Debian 12 (only what is missing), then configures and builds
# one preset. Usage: scripts/setup.sh [preset]   (default: native)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-native}"

packages=(g++ cmake ninja-build pkg-config libcurl4-openssl-dev libidn2-dev libssl-dev zlib1g-dev clang libclang-rt-14-dev
          libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev doctest-dev libbenchmark-dev nginx ca-certificates
          emscripten chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "asyncload: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
