#!/usr/bin/env bash
# scripts/consumer.sh — the `consumer` stage of scripts/test.sh: asyncload as a game team uses it.
# Needs build/native and build/web built (the earlier stages do that). Everything goes under
# build/consumer/ (made afresh):
#   1. installs build/native and build/web (`cmake --install`) and moves each installed tree
#      elsewhere before using it (the packages must be relocatable);
#   2. natively: builds each example below as its own CMake project against the installed package
#      (find_package), hello once more through add_subdirectory and once through FetchContent
#      (from this source folder), and hello and hello_c with pkg-config and plain `c++`/`cc`; runs
#      each against a loopback `asyncload serve` and checks what it prints;
#   3. for the web: builds each example with Emscripten's toolchain against the installed web
#      package (asyncload_DIR; one through CMAKE_FIND_ROOT_PATH instead; hello once more compiled
#      with -fno-exceptions) and runs each page in headless Chromium (web_runner), checking the
#      page's log.
# The examples' pages are made from examples/shell.html, a clean template for games; the test
# page of each adds ../page_log.js, which passes the printed lines and the exit code to
# web_runner (what every page of the web build does), just before the game's script.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/consumer
toolchain=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake
runner=$root/build/native/tests/browser/web_runner
jobs=2

# The examples: folder | program | native arguments (BASE: the test server's URL) | a line each
# run (native and web) must print. One line per example; the web page is <program>.html.
examples=(
  "hello|hello|BASE/echo|hello: HTTP 200"
  "downloader|downloader|BASE/drip?bytes=2000000&chunks=20&interval_ms=50 downloads/file.bin|downloader: saved 2000000 bytes"
  "leaderboard|leaderboard_game|BASE|leaderboard: done"
  "hello_c|hello_c|BASE/bytes/1000|status 0, http_status 200, body 1000 bytes"
)

for need in build/native/asyncload "$runner" build/web/CMakeCache.txt; do
  [[ -e $need ]] || { echo "consumer: $need is missing: build the native and web presets first" >&2; exit 1; }
done

step() { echo "--- consumer: $*"; }
fail() { echo "consumer: FAILED: $*" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"

# --- 1. the packages ---------------------------------------------------------------------------
step "install build/native and build/web, then move the installed trees"
cmake --install build/native --prefix "$out/staging/native" >"$out/install-native.log"
cmake --install build/web --prefix "$out/staging/web" >"$out/install-web.log"
mv "$out/staging/native" "$out/native-prefix"
mv "$out/staging/web" "$out/web-prefix"
native_prefix=$out/native-prefix
web_prefix=$out/web-prefix
for prefix in "$native_prefix" "$web_prefix"; do
  [[ -f $prefix/lib/cmake/asyncload/asyncloadConfigVersion.cmake ]] || fail "$prefix has no version file"
  [[ ! -e $prefix/include/asyncload/testing ]] || fail "$prefix installs the tests' helpers"
  if grep -rqF "$root/build" "$prefix/lib/cmake/asyncload"; then fail "$prefix's CMake files name the build folder"; fi
done
[[ -f $native_prefix/lib/pkgconfig/asyncload.pc ]] || fail "no asyncload.pc"

common=(-G Ninja -DCMAKE_BUILD_TYPE=Release -Wno-dev)
configure_build() {  # source build-folder cmake-arguments...
  local src=$1 dir=$2
  shift 2
  if ! cmake -S "$src" -B "$dir" "${common[@]}" "$@" >"$dir.log" 2>&1 ||
     ! cmake --build "$dir" -j"$jobs" >>"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    fail "building $src in $dir"
  fi
}

# A version the package is not must be refused, one it is accepted (0.x: same minor version).
step "find_package version checks"
mkdir -p "$out/version"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(v CXX)\nfind_package(asyncload ${V} CONFIG QUIET)\nif(NOT asyncload_FOUND STREQUAL EXPECT)\n  message(FATAL_ERROR "asyncload ${V}: found=${asyncload_FOUND}, expected ${EXPECT}")\nendif()\n' \
  >"$out/version/CMakeLists.txt"
for check in "0.1 1" "0.1.0 1" "0.2 0" "1.0 0"; do
  set -- $check
  rm -rf "$out/version/build"
  cmake -S "$out/version" -B "$out/version/build" "${common[@]}" -DCMAKE_PREFIX_PATH="$native_prefix" -DV="$1" \
        -DEXPECT="$2" >"$out/version/$1.log" 2>&1 || { cat "$out/version/$1.log" >&2; fail "version $1"; }
done

# --- 2. native ---------------------------------------------------------------------------------
mkdir -p "$out/native"
for entry in "${examples[@]}"; do
  IFS='|' read -r folder program args expect <<<"$entry"
  step "native: $folder (find_package)"
  configure_build "$root/examples/$folder" "$out/native/$folder" -DCMAKE_PREFIX_PATH="$native_prefix"
done

step "native: hello through add_subdirectory"
mkdir -p "$out/subdir-src"
cat >"$out/subdir-src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(game LANGUAGES CXX)
add_subdirectory("$root" asyncload)
add_subdirectory("$root/examples/hello" hello)
EOF
configure_build "$out/subdir-src" "$out/native/subdir" -DCMAKE_BUILD_TYPE=
# The web build makes helper folders (boost-include, doctest-include) and page_log.js: under
# add_subdirectory they belong in asyncload's own build folder, never the game's top level.
step "web: add_subdirectory keeps asyncload's helper files in its own build folder (configure only)"
mkdir -p "$out/web-subdir"
if ! NODE_PATH=/usr/share/nodejs cmake -S "$out/subdir-src" -B "$out/web-subdir" "${common[@]}" \
       -DCMAKE_TOOLCHAIN_FILE="$toolchain" >"$out/web-subdir.log" 2>&1; then
  cat "$out/web-subdir.log" >&2
  fail "configuring the add_subdirectory game for the web"
fi
[[ -e $out/web-subdir/asyncload/boost-include ]] || fail "the web configure made no asyncload/boost-include (has it moved? update this check)"
for helper in boost-include doctest-include host-headers page_log.js; do
  [[ ! -e $out/web-subdir/$helper ]] || fail "asyncload's $helper landed in the game's top-level build folder"
done

step "native: hello through FetchContent (from $root)"
mkdir -p "$out/fetch-src"
cat >"$out/fetch-src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(game LANGUAGES CXX)
include(FetchContent)
FetchContent_Declare(asyncload SOURCE_DIR "$root")
FetchContent_MakeAvailable(asyncload)
add_subdirectory("$root/examples/hello" hello)
EOF
configure_build "$out/fetch-src" "$out/native/fetch" -DCMAKE_BUILD_TYPE=

step "native: hello with pkg-config and c++"
mkdir -p "$out/native/pkgconfig"
pc_flags=$(PKG_CONFIG_PATH="$native_prefix/lib/pkgconfig" pkg-config --cflags --libs asyncload)
echo "pkg-config --cflags --libs asyncload: $pc_flags"
# shellcheck disable=SC2086  # the flags are words
c++ -std=c++20 -O1 "$root/examples/hello/hello.cpp" -o "$out/native/pkgconfig/hello" $pc_flags
# The C program: compiled as C99, linked by the C++ driver (the library is C++).
# shellcheck disable=SC2086
cc -std=c99 -O1 -c "$root/examples/hello_c/main.c" -o "$out/native/pkgconfig/hello_c.o" \
  $(PKG_CONFIG_PATH="$native_prefix/lib/pkgconfig" pkg-config --cflags asyncload)
# shellcheck disable=SC2086
c++ "$out/native/pkgconfig/hello_c.o" -o "$out/native/pkgconfig/hello_c" $pc_flags

step "native: run each against asyncload serve"
# The server prints its URL as its first line on stdout: read it from the pipe.
exec 3< <(exec build/native/asyncload serve 2>"$out/serve.err")
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
read -r -t 30 base <&3 || { cat "$out/serve.err" >&2; fail "asyncload serve printed no URL"; }
[[ $base == http* ]] || fail "asyncload serve printed '$base', not its URL"
run_native() {  # label program-path arguments expect
  local label=$1 program=$2 expect=$4 log argv
  read -ra argv <<<"${3//BASE/$base}"  # words, never globbed
  log="$out/native/run-$label.log"
  (cd "$out/native" && "$program" "${argv[@]}") >"$log" 2>&1 || { cat "$log" >&2; fail "$label exited with $?"; }
  grep -qF "$expect" "$log" || { cat "$log" >&2; fail "$label did not print '$expect'"; }
  echo "$label: $(grep -F "$expect" "$log" | head -n 1 | cut -c1-120)"
}
for entry in "${examples[@]}"; do
  IFS='|' read -r folder program args expect <<<"$entry"
  run_native "$folder" "$out/native/$folder/$program" "$args" "$expect"
done
run_native hello-subdir "$out/native/subdir/hello/hello" "BASE/echo" "hello: HTTP 200"
run_native hello-fetch "$out/native/fetch/hello/hello" "BASE/echo" "hello: HTTP 200"
run_native hello-pkgconfig "$out/native/pkgconfig/hello" "BASE/echo" "hello: HTTP 200"
run_native hello_c-pkgconfig "$out/native/pkgconfig/hello_c" "BASE/bytes/1000" "status 0, http_status 200, body 1000 bytes"
kill "$serve_pid"
exec 3<&-
trap - EXIT

# --- 3. web ------------------------------------------------------------------------------------
# Debian's emscripten needs Debian's acorn for a Release link when `node` is not Debian's.
export NODE_PATH=/usr/share/nodejs
web=$out/web
mkdir -p "$web"
cp apps/testserver/page_log.js "$web/page_log.js"
web_build() {  # label folder cmake-arguments...
  local label=$1 folder=$2
  shift 2
  step "web: $label"
  configure_build "$root/examples/$folder" "$web/$label" -DCMAKE_TOOLCHAIN_FILE="$toolchain" "$@"
}
first=1
for entry in "${examples[@]}"; do
  IFS='|' read -r folder program args expect <<<"$entry"
  if ((first)); then
    # The other way to find a web package: its prefix as a find root (Emscripten's toolchain
    # searches packages only under CMAKE_FIND_ROOT_PATH: its sysroot, and this).
    web_build "$folder" "$folder" -DCMAKE_FIND_ROOT_PATH="$web_prefix"
    first=0
  else
    web_build "$folder" "$folder" -Dasyncload_DIR="$web_prefix/lib/cmake/asyncload"
  fi
done
web_build hello-noexcept hello -Dasyncload_DIR="$web_prefix/lib/cmake/asyncload" -DCMAKE_CXX_FLAGS=-fno-exceptions
grep -q -- "-fno-exceptions" "$web/hello-noexcept/build.ninja" || fail "hello-noexcept was not compiled with -fno-exceptions"

# The test page: the game's page with page_log.js and a hook before the game's script.
test_page() {  # folder program
  local page=$web/$1/$2.html
  [[ -f $page ]] || fail "$page is missing"
  sed "s|^<script src=\"$2.js\"></script>|<script src=\"../page_log.js\"></script>\n<script>\n  // web_runner's hook: each printed line into the page log, the exit code (or an abort) to /done.\n  (function (print, printErr, onExit) {\n    Module.print = function (text) { line(text); print(text); };\n    Module.printErr = function (text) { line(text); printErr(text); };\n    Module.onExit = function (code) { onExit(code); report(code); };\n    Module.onAbort = function (what) { report(134, 'abort: ' + what); };\n  })(Module.print, Module.printErr, Module.onExit);\n</script>\n&|" \
    "$page" >"$web/$1/$2.test.html"
  grep -q page_log.js "$web/$1/$2.test.html" || fail "no <script src=\"$2.js\"> line in $page"
}
run_web() {  # label folder program expect
  local label=$1 folder=$2 program=$3 expect=$4
  test_page "$folder" "$program"
  step "chromium: $label"
  "$runner" --docroot "$web" --page "$folder/$program.test.html" --timeout 60 --expect "$expect" \
    >"$web/run-$label.log" 2>&1 || { cat "$web/run-$label.log" >&2; fail "$label in Chromium"; }
  echo "$label: $(grep -F "$expect" "$web/run-$label.log" | head -n 1 | cut -c1-120)"
}
for entry in "${examples[@]}"; do
  IFS='|' read -r folder program args expect <<<"$entry"
  run_web "$folder" "$folder" "$program" "$expect"
done
run_web hello-noexcept hello-noexcept hello "hello: HTTP 200"

echo "consumer: every example built and ran against the installed packages (native and web)"
