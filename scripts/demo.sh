#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run `asyncload demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh native
exec build/native/asyncload demo "$@"
