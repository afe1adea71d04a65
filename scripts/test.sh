#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, and run every test, in stages:
#   deps    scripts/check-deps.sh: every program the tests run is installed by scripts/setup.sh
#   names   scripts/check-test-names.sh: no test name that ctest would silently drop
#   docs    scripts/docs.sh: the Doxygen reference without a warning, and the guides' checks
#   web     the `web` preset (Emscripten): the conformance suite as wasm and the demo page
#   native  the `native` preset: unit, conformance, interop, CLI, faults, soak (20,000 requests),
#           and the browser tests, which run the web build in headless Chromium
#   consumer scripts/consumer.sh: installs both builds and builds and runs each example against
#           the installed packages as a game would (CMake, add_subdirectory, FetchContent,
#           pkg-config natively; Emscripten's toolchain and headless Chromium for the web)
#   windows scripts/windows.sh: the MinGW-w64 cross build (static Schannel libcurl from Debian's
#           curl source, cached in build/windows-curl), its unit, conformance and fault suites and
#           `asyncload.exe demo` under Wine, and the CLI tests driving asyncload.exe under Wine
#   asan    the same suites built with AddressSanitizer + UndefinedBehaviorSanitizer, leaks on
#   tsan    the same suites built with ThreadSanitizer
#   fuzz    each libFuzzer target for ASYNCLOAD_FUZZ_SECONDS (default 60) after its regressions
# Stops at the first stage that fails. Prints each stage's time and a closing tally.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds="${ASYNCLOAD_FUZZ_SECONDS:-60}"
timings=()
passed=0
failed=0

# Runs `command...`, keeping its output in build/ctest-NAME.log, and adds the counts of the last
# ctest summary it printed to the tally.
run_counted() {
  local log="build/ctest-$1.log"
  shift
  mkdir -p build
  "$@" 2>&1 | tee "$log"
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

# One ctest preset.
run_ctest() { run_counted "$1" ctest --preset "$1" -j2; }
# The Windows stage: scripts/windows.sh runs its ctest inside a Wine session.
run_windows() { run_counted windows scripts/windows.sh test; }

stage() {
  local name="$1" start=$SECONDS
  shift
  echo "=== stage $name"
  "$@"
  timings+=("$name $((SECONDS - start)) s")
  echo "=== stage $name: $((SECONDS - start)) s"
}

stage deps    scripts/check-deps.sh
stage names   scripts/check-test-names.sh
stage docs    scripts/docs.sh
stage web     bash -c 'scripts/setup.sh web'
stage native  bash -c 'scripts/setup.sh native'
stage native-tests run_ctest native
stage consumer scripts/consumer.sh
stage windows run_windows
stage asan    bash -c 'scripts/setup.sh asan'
stage asan-tests run_ctest asan
stage tsan    bash -c 'scripts/setup.sh tsan'
stage tsan-tests run_ctest tsan
stage fuzz    scripts/fuzz.sh "$fuzz_seconds"

echo "=== timings: ${timings[*]/%/;} total ${SECONDS} s"
echo "tests: $passed passed, $failed failed"
