#!/usr/bin/env bash
# The Windows build, proven on Debian 12: MinGW-w64 cross build, every suite run under Wine.
# Usage: scripts/windows.sh [build|test]   (default: test = build, then run the suites)
#   1. installs what is missing (MinGW-w64 posix-thread compilers, Wine, zlib for MinGW, and the
#      Boost and doctest headers the build uses),
#   2. cross-builds a static libcurl (Schannel TLS, static zlib, Windows IDN) from Debian's own
#      curl source, once: cached under build/windows-curl, rebuilt only when missing or when its
#      version or options change. Debian's source comes through a private deb-src list; the
#      system's apt configuration is not touched,
#   3. configures and builds the `windows` preset (cmake/mingw-w64.cmake),
#   4. runs its ctest preset under Wine (a private prefix in build/windows/wineprefix), against
#      two test servers of the native build (build/native/asyncload serve) on loopback.
# Measured facts behind each step: README "Windows".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what="${1:-test}"

packages=(g++-mingw-w64-x86-64-posix wine64 wine libz-mingw-w64-dev dpkg-dev debian-archive-keyring
          cmake ninja-build libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev doctest-dev)
if [ "$what" = --list ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "asyncload windows: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -q
  # --no-install-recommends, and never the `mingw-w64` metapackages: they pull the win32 thread
  # model, whose compilers then take over the plain x86_64-w64-mingw32-g++ names.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- libcurl for MinGW: Debian has no package, so Debian's source (with its patches) ---------
curl_options=(-DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF
  -DHTTP_ONLY=ON -DCURL_DISABLE_LDAP=ON -DCURL_USE_SCHANNEL=ON -DCURL_USE_OPENSSL=OFF
  -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DUSE_LIBIDN2=OFF -DUSE_WIN32_IDN=ON
  -DUSE_NGHTTP2=OFF -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF
  -DZLIB_USE_STATIC_LIBS=ON -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none)
curl_dir=build/windows-curl
curl_prefix=$root/$curl_dir/prefix
curl_stamp="source bookworm curl; options ${curl_options[*]}"
if [ ! -f "$curl_prefix/lib/libcurl.a" ] || [ "$(cat "$curl_prefix/stamp" 2>/dev/null)" != "$curl_stamp" ]; then
  start=$SECONDS
  rm -rf "$curl_dir"
  mkdir -p "$curl_dir/aptsrc/lists/partial"
  cd "$curl_dir"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >aptsrc/src.sources
  apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$PWD/aptsrc"
       -o "Dir::State::Lists=$PWD/aptsrc/lists" -o APT::Sandbox::User=root)
  apt-get "${apt[@]}" -q update >/dev/null
  apt-get "${apt[@]}" -q source --download-only curl >/dev/null
  # Debian's patches (CVE fixes among them) are applied; "cannot verify inline signature" only
  # means debian-keyring is not installed (apt checked the archive's signature already).
  dpkg-source -x curl_*.dsc curl >/dev/null 2>&1
  cmake -S curl -B curl-build -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$curl_prefix" "${curl_options[@]}" >/dev/null
  cmake --build curl-build -j2 --target install >/dev/null
  echo "$curl_stamp" >"$curl_prefix/stamp"
  rm -rf curl-build aptsrc
  cd "$root"
  echo "asyncload windows: libcurl for MinGW built in $((SECONDS - start)) s ($(ls "$curl_dir"/curl_*.dsc | xargs -n1 basename))" >&2
fi
[ "$what" = curl ] && exit 0

# --- Wine: a private prefix, one persistent server for the whole run ----------------------------
# The build needs it too: doctest_discover_tests lists each suite's cases by running it.
# Wine stores a Windows (UTF-16) file name on disk in the charset of the Unix locale: under the C
# locale of a minimal Debian a name such as café.bin cannot be made (ERROR_FILE_NOT_FOUND). C.UTF-8
# is in every Debian (libc-bin).
export LC_ALL=C.UTF-8
export WINEPREFIX=$root/build/windows/wineprefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree=;mshtml="
mkdir -p build/windows
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  wineboot --init </dev/null >/dev/null 2>&1
fi
wineserver -k 2>/dev/null || true
wineserver -w
wineserver -p  # persistent: each .exe starts in 0.05 s instead of 1.5 s
trap 'wineserver -k 2>/dev/null || true' EXIT
# Wine's services (services.exe, winedevice.exe...) inherit the standard streams of the program
# that starts them and keep them open: started by a program whose output is captured (ctest,
# doctest_discover_tests), the reader would never see the end. Start them here, on /dev/null.
/usr/lib/wine/wine64 cmd /c exit </dev/null >/dev/null 2>&1

cmake --preset windows >/dev/null
cmake --build --preset windows -j2
[ "$what" = build ] && exit 0

# The test servers run natively, outside Wine (Wine programs share the loopback): two of the
# native build's `asyncload serve`, the suites' server_url() and foreign_url()
# (tests/support/game_loop.hpp): the Windows client against a Linux server. Each serve prints
# its base URL as its first stdout line; read from a pipe, that line is also the sign that it
# listens. Stopped (SIGTERM, then reaped) on
# any exit. The fault suite's scripted servers (RawServer) stay inside the Wine process.
serve=build/native/asyncload
if [ ! -x "$serve" ]; then
  echo "asyncload windows: $serve is missing: the suites run against the native build's test server (scripts/setup.sh native builds it)" >&2
  exit 1
fi
server_pids=()
stop_servers() {
  local pid
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  server_pids=()
}
trap 'stop_servers; wineserver -k 2>/dev/null || true' EXIT
trap 'exit 130' INT  # a stopped run exits through the EXIT trap too
trap 'exit 143' TERM
start_server() {  # $1: the variable that gets its base URL; $2: its log file
  local fd base
  exec {fd}< <(exec "$serve" serve --port 0 </dev/null 2>"$2")
  server_pids+=("$!")
  if ! read -r -t 30 -u "$fd" base; then
    echo "asyncload windows: $serve serve did not print its URL within 30 s (see $2)" >&2
    exit 1
  fi
  printf -v "$1" %s "$base"
}
start_server ASYNCLOAD_TEST_SERVER build/windows/serve.log
start_server ASYNCLOAD_TEST_FOREIGN build/windows/serve-foreign.log
export ASYNCLOAD_TEST_SERVER ASYNCLOAD_TEST_FOREIGN
echo "asyncload windows: test servers (native) at $ASYNCLOAD_TEST_SERVER and $ASYNCLOAD_TEST_FOREIGN" >&2
ctest --preset windows -j2
stop_servers
unset ASYNCLOAD_TEST_SERVER ASYNCLOAD_TEST_FOREIGN  # the CLI tests below run their own

# The CLI tests: the native build's cli_tests (the native stage builds it) drive asyncload.exe
# under Wine through a wrapper, against their native in-process test server. Left out, as
# listed in README "Windows": serve stopping on SIGTERM (Windows has no SIGTERM: Wine ends the
# process), arguments that are not UTF-8 (Windows passes arguments as UTF-16) and the result
# path of --file-root (a Windows path there, Z:\...), and a self-signed TLS server refused
# without --ca-file (Wine's Schannel accepts an untrusted certificate when no CA file is given;
# with --ca-file, its own certificate trusted and another refused, it runs).
cli_tests=build/native/tests/cli_tests
if [ -x "$cli_tests" ]; then
  printf '#!/bin/sh\nexec /usr/lib/wine/wine64 "$(dirname "$0")/asyncload.exe" "$@"\n' >build/windows/asyncload-under-wine
  chmod +x build/windows/asyncload-under-wine
  ASYNCLOAD_CLI=$root/build/windows/asyncload-under-wine "$cli_tests" '-tc=cli: *' \
    '-tce=cli: serve prints its URL*,cli: serve --docroot serves*,cli: a refused URL*,cli: --file-root confines*,cli: without --ca-file*' </dev/null
else
  echo "asyncload windows: CLI tests not run: $cli_tests is missing (scripts/setup.sh native builds it)" >&2
fi
