#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, with clang) into build-fuzz and runs each one.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
#
# Per target: first replays every input in fuzz/regressions/<target>/ (crashes found before,
# which must stay fixed), then fuzzes for the given time starting from the seed corpus in
# fuzz/corpus/<target>/. New corpus entries go to build-fuzz/corpus/<target>/ (not the tree);
# a crash leaves build-fuzz/artifacts/<target>-crash-* and fails the script. Prints the
# executions per target and in total.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
targets=(fuzz_validate fuzz_raw_headers fuzz_command_line)

CC=clang CXX=clang++ cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p build-fuzz/artifacts build-fuzz/tmp
export TMPDIR="$PWD/build-fuzz/tmp"  # fuzz_validate's scratch file_root lives here
total=0
status=0
for target in "${targets[@]}"; do
  name="${target#fuzz_}"
  dict=""
  case "$name" in
    validate) dict="-dict=fuzz/dict/url.dict" ;;
    command_line) dict="-dict=fuzz/dict/command_line.dict" ;;
  esac
  regressions=(fuzz/regressions/"$name"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "== $target: replaying ${#regressions[@]} regression input(s)"
    build-fuzz/"$target" "${regressions[@]}" >build-fuzz/"$target".replay.log 2>&1 ||
      { cat build-fuzz/"$target".replay.log; echo "$target: a regression input fails again" >&2; status=1; }
  fi
  mkdir -p build-fuzz/corpus/"$name"
  echo "== $target: fuzzing for ${seconds}s"
  if build-fuzz/"$target" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix=build-fuzz/artifacts/"$target"- $dict \
       build-fuzz/corpus/"$name" fuzz/corpus/"$name" >build-fuzz/"$target".log 2>&1; then
    :
  else
    tail -n 60 build-fuzz/"$target".log
    echo "$target: FOUND A CRASH (input in build-fuzz/artifacts/); add it to fuzz/regressions/$name/" >&2
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/"$target".log | tail -n 1)
  corpus=$(ls build-fuzz/corpus/"$name" | wc -l)
  echo "$target: ${runs:-0} executions, corpus $corpus entries"
  total=$((total + ${runs:-0}))
done
echo "fuzz: $total executions in total over ${#targets[@]} targets (${seconds}s each)"
exit "$status"
