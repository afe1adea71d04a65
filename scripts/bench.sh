#!/usr/bin/env bash
# The benchmark command: installs what is missing, builds the native-release preset (the native
# programs and web_runner) and the web preset (the browser page), then runs every case for
# asyncload and its peers (raw libcurl multi, curl, Node's fetch; plain XHR in headless Chromium)
# against Debian's nginx or web_runner's server on loopback and writes docs/benchmarks.md. Takes
# ~12 minutes and ~1 GiB of disk under build/bench. Extra arguments go to bench/run.py
# (--reps N, --cases small,latency,browser ...).
set -euo pipefail
cd "$(dirname "$0")/.."

# What only the benchmarks need, on top of setup.sh's list: the peers and the driver.
need=()
command -v curl >/dev/null || need+=(curl)
command -v node >/dev/null || need+=(nodejs)      # any node on PATH will do; Debian's if none
[ -x /usr/bin/python3 ] || need+=(python3)
[ -x /usr/bin/time ] || need+=(time)              # GNU time: each run's peak RSS
if ((${#need[@]})); then
  echo "asyncload bench: installing ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

scripts/setup.sh web             # build/web: bench/browser_bench.html and its wasm
scripts/setup.sh native-release  # also builds web_runner (tests/browser/), which the browser case drives
exec /usr/bin/python3 bench/run.py --build-dir build/native-release --web-dir build/web --command "scripts/bench.sh${*:+ $*}" "$@"
