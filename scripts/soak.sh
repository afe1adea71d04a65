#!/usr/bin/env bash
# The long-run soak (outside the default test command): 100,000 requests through one Http on
# the `native` preset's build, mixed sizes, 5% faults, 5% cancels. Usage: scripts/soak.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh native
ASYNCLOAD_SOAK_REQUESTS="${1:-100000}" build/native/tests/soak_tests
