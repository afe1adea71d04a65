#!/usr/bin/env bash
# Fails if a doctest TEST_CASE name holds a ';'. doctest_discover_tests registers each case
# with ctest through a CMake list, and a ';' splits the name, so that case would never run
# while ctest still reports 100% passed.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -rnE 'TEST_CASE(_FIXTURE)?\([^"]*"[^"]*;' tests; then
  echo "check-test-names: the TEST_CASE names above hold ';' and would not run under ctest" >&2
  exit 1
fi
echo "check-test-names: no TEST_CASE name holds ';'"
