#!/usr/bin/env bash
# Installs what asyncload needs on Debian 12 (only what is missing), then configures and builds
# one preset. Usage: scripts/setup.sh [preset]   (default: native)
#        scripts/setup.sh --list   prints the packages, one a line (scripts/check-deps.sh reads it)
#        scripts/setup.sh --packages-only   installs what is missing, builds nothing (scripts/docs.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-native}"

# Everything the build, the tests and the benchmarks use (scripts/check-deps.sh checks that the
# programs they run are all here): compilers and libraries, then the programs the tests start.
packages=(gcc g++ cmake ninja-build pkg-config libcurl4-openssl-dev libidn2-dev libssl-dev zlib1g-dev libbrotli-dev libzstd-dev clang libclang-rt-14-dev
          libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev doctest-dev libbenchmark-dev ca-certificates
          emscripten chromium nginx python3 time valgrind curl nodejs node-har-validator doxygen)
if [ "$preset" = --list ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
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
[ "$preset" = --packages-only ] && exit 0

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
