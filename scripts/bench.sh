#!/usr/bin/env bash
# The benchmark command: installs what is missing, builds the native-release preset (the native
# programs and web_runner) and the web preset (the browser page), then runs every case for
# asyncload and its peers (raw libcurl multi, curl, Node's fetch; plain XHR in headless Chromium)
# against Debian's nginx or web_runner's server on loopback and writes docs/benchmarks.md. Takes
# ~12 minutes and ~1 GiB of disk under build/bench. Extra arguments go to bench/run.py
# (--reps N, --cases small,latency,browser ...).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh web             # build/web: bench/browser_bench.html and its wasm
scripts/setup.sh native-release  # also builds web_runner (tests/browser/), which the browser case drives
exec /usr/bin/python3 bench/run.py --build-dir build/native-release --web-dir build/web --command "scripts/bench.sh${*:+ $*}" "$@"
