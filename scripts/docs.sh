#!/usr/bin/env bash
# The reference docs: runs Doxygen (docs/Doxyfile) over the public headers and the guides in
# docs/, HTML into build/docs/html, and fails on any warning (an undocumented public type,
# function, field or enum value among them). Then the guides' own checks (scripts/check-docs.py):
# the porting guide names every GameMaker function and async_load key, and only identifiers the
# public headers declare; the capability matrix matches platform/src/profiles.cpp.
# Installs nothing of its own: doxygen and python3 are in scripts/setup.sh's list.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --packages-only  # doxygen, python3: only what is missing (test.sh runs this stage before any build)

# A public header without a @file comment would have its free functions (the C API's) left out
# of the reference silently: Doxygen warns about undocumented members of documented files only.
status=0
for header in core/include/asyncload/*.hpp core/include/asyncload/*.h \
              platform/include/asyncload/backend.hpp replay/include/asyncload/replay.hpp; do
  [ -e "$header" ] || continue
  grep -q '@file' "$header" || { echo "docs: $header has no @file comment" >&2; status=1; }
done

rm -rf build/docs
mkdir -p build/docs
version=$(sed -nE 's/.*inline constexpr std::string_view version = "([^"]+)".*/\1/p' core/include/asyncload/types.hpp)
if ! ASYNCLOAD_VERSION="$version" doxygen docs/Doxyfile; then status=1; fi
if [ -s build/docs/warnings.log ]; then
  cat build/docs/warnings.log >&2
  echo "docs: doxygen warned $(grep -c . build/docs/warnings.log) time(s) (build/docs/warnings.log)" >&2
  status=1
fi
python3 scripts/check-docs.py || status=1
[ "$status" -eq 0 ] && echo "docs: build/docs/html/index.html, no warnings"
exit "$status"
