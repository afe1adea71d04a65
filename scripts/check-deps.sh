#!/usr/bin/env bash
# Checks that a fresh Debian 12 machine gets every program the build, the tests, the benchmarks
# and the scripts run (scripts/test.sh runs this first). Prints each program with its Debian
# package, and fails if
#   - a package is neither in scripts/setup.sh's list nor part of every Debian system
#     (Essential or Priority required: what even `debootstrap --variant=minbase` installs), or
#   - the sources run a program this table does not know (then add it, with its package).
# The sources are scanned by content, wherever they live: absolute program paths and shebangs,
# exec/spawn/system calls, subprocess argument lists, find_program, COMMAND and CC/CXX in
# CMake, and the first word of every shell command. Needs only bash, grep, sed, awk and dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."

# program      package                why, where not obvious
table='
bash           bash
sh             dash
chmod          coreutils
rm             coreutils
xargs          findutils
dpkg-source    dpkg-dev               scripts/windows.sh: unpacks the curl source
wineboot       wine                   scripts/windows.sh
wineserver     wine                   scripts/windows.sh
env            coreutils
cat            coreutils
chroot         coreutils
cp             coreutils
dirname        coreutils
id             coreutils
ls             coreutils
mkdir          coreutils
pwd            coreutils
sort           coreutils
cmp            diffutils              bench/run.py: a resumed file against its source
tail           coreutils
head           coreutils
cut            coreutils
mv             coreutils
tee            coreutils
wc             coreutils
grep           grep
sed            sed
awk            mawk
find           findutils
tar            tar
mount          mount
umount         mount
apt-get        apt
dpkg-query     dpkg
cmake          cmake
ctest          cmake
ninja          ninja-build            the presets generator
c++            g++                    CMake default C++ compiler
cc             gcc                    CMake default C compiler (the C API tests, examples/hello_c)
clang          clang                  scripts/fuzz.sh
clang++        clang                  scripts/fuzz.sh
emcc           emscripten             the web preset toolchain
python3        python3                bench/run.py
time           time                   GNU time: peak RSS of each benchmark run
valgrind       valgrind               bench/run.py: instructions per request (callgrind)
nginx          nginx                  interop test, benchmark server
chromium       chromium               browser tests
node           nodejs                 benchmark peer; tests/support/validate_har.js (node-har-validator)
curl           curl                   benchmark peer
curl-config    libcurl4-openssl-dev   benchmark report
pkg-config     pkg-config             scripts/consumer.sh: the asyncload.pc build
doxygen        doxygen                scripts/docs.sh: the reference
sudo           -                      setup.sh when not root: a user who is not root has it
debootstrap    -                      scripts/minroot.sh, on the developer machine
git            -                      scripts/minroot.sh clones with the machine git
'
implicit='cmake ctest ninja c++ emcc'  # run by CMake for a preset, named nowhere in the sources

# Prints "FILE<TAB>WORD" for the first word of every shell command. Quoted text, comments, here
# documents, arithmetic, arrays and ${...} are skipped; $(...) is read as code, also in quotes.
shell_words='
function top() { return sp ? stack[sp] : "" }
function push(m) { stack[++sp] = m }
function flush(file,   n, parts, i, w, words, j, x) {
  gsub(/\{[A-Za-z_][A-Za-z0-9_]*\}[<>]/, "<", code)  # exec {fd}< file: a redirection, not a command
  n = split(code, parts, /[;|&(){}`]/)
  for (i = 1; i <= n; i++) {
    w = split(parts[i], words, /[ \t]+/)
    for (j = 1; j <= w; j++) {
      x = words[j]
      if (x == "" || x ~ /^[A-Za-z_][A-Za-z0-9_]*\+?=/ || x ~ /^\$[A-Za-z_]+$/ ||
          x ~ /^(if|then|else|elif|do|while|until|!|exec|time|sudo)$/) continue
      if (x ~ /^[a-z][a-z0-9_.+-]*$/ && !(x in funcs) && !(x in builtins)) print file "\t" x
      break
    }
  }
  code = ""; sp = 0; heredoc = ""; delete funcs
}
BEGIN {
  n = split("cd set shift echo printf local exit return trap read export source test true false " \
            "wait kill mapfile declare case esac for in fi done function eval unset break continue " \
            "readonly getopts let type command hash umask", b, " ")
  for (i = 1; i <= n; i++) builtins[b[i]] = 1
  q = "\047"
}
FNR == 1 && NR > 1 { flush(previous) }
heredoc != "" { if ($0 ~ "^[ \t]*" heredoc "$") heredoc = ""; next }
{
  previous = FILENAME
  line = $0
  if (match(line, /^[ \t]*(function[ \t]+)?[A-Za-z_][A-Za-z0-9_-]*[ \t]*\(\)/)) {
    f = substr(line, RSTART, RLENGTH); sub(/^[ \t]*(function[ \t]+)?/, "", f); sub(/[ \t]*\(\)$/, "", f)
    funcs[f] = 1
  }
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1); t = top()
    if (t == q) { if (c == q) sp--; continue }
    if (t == "((") { if (substr(line, i, 2) == "))") { sp--; i++ }; continue }
    if (t == "${" || t == "=(") { if (c == (t == "${" ? "}" : ")")) sp--; continue }
    if (c == "\\") { i++; continue }
    if (t == "\"" && c == "\"") { sp--; continue }
    if (substr(line, i, 3) == "$((" || (t != "\"" && substr(line, i, 2) == "((")) { push("(("); i += 1 + (c == "$"); continue }
    if (substr(line, i, 2) == "${") { push("${"); i++; continue }
    if (substr(line, i, 2) == "$(") { push("("); code = code ";"; i++; continue }
    if (t == "\"") continue
    if (c == q || c == "\"") { push(c); code = code "Q"; continue }
    if (substr(line, i, 2) == "=(") { push("=("); code = code "="; i++; continue }
    if (c == "#" && (i == 1 || substr(line, i - 1, 1) ~ /[ \t;]/)) break
    if (substr(line, i, 2) == "<<" && substr(line, i, 3) != "<<<" &&
        match(substr(line, i), /^<<-?[ \t]*["\047]?[A-Za-z_]+/)) {
      heredoc = substr(line, i, RLENGTH); sub(/^<<-?[ \t]*["\047]?/, "", heredoc)
    }
    if (c == "(") { push("("); code = code ";"; continue }
    if (c == ")") {
      if (t == "(") { sp--; code = code ";" } else sub(/[^;]*$/, ";", code)  # a case pattern
      continue
    }
    code = code c
  }
  t = top()
  if (t == "" || t == "(") code = code (line ~ /\\$/ ? " " : ";")
}
END { if (NR) flush(previous) }
'

# Code files only (docs name programs in prose); build trees, fuzz inputs and this file's own
# patterns skipped (its shell commands are still read).
mapfile -t files < <(find . \( -path ./.git -o -path './build*' -o -path ./fuzz/corpus -o -path ./fuzz/regressions \) -prune -o \
  -type f \( -name '*.sh' -o -name '*.py' -o -name '*.mjs' -o -name '*.js' -o -name '*.cpp' -o -name '*.hpp' \
  -o -name CMakeLists.txt -o -name '*.cmake' -o -name CMakePresets.json -o -path './.ci/*' \) -print | sort)
code_files=() shell_files=() cmake_files=()
for f in "${files[@]}"; do
  [ "$f" = ./scripts/check-deps.sh ] || code_files+=("$f")
  case "$f" in
    *.sh | ./.ci/*) shell_files+=("$f") ;;
    *CMakeLists.txt | *.cmake) cmake_files+=("$f") ;;
  esac
done
targets=$(grep -ohP '\badd_executable\(\s*\K[\w-]+' "${files[@]}" || true)  # built here, not installed

# Every program the sources run, as "FILE<TAB>PROGRAM".
found() {
  {
    grep -oHP '(?<![\w./-])(/usr)?/s?bin/(env )?\K[A-Za-z][\w.+-]*' "${code_files[@]}"
    grep -oHP '\b(shutil\.which\("|command -v )\K[A-Za-z][\w.+-]*' "${code_files[@]}"
    grep -oHP '\(\[\s*"\K[A-Za-z][\w.+-]*(?=")' "${code_files[@]}"          # run(["x", ...])
    grep -oHP '\b(system|popen|exec[lv]p?|spawn(Sync)?|exec(File)?(Sync)?|subprocess\.\w+)\(\s*["'\'']\K[A-Za-z][\w.+-]*' "${code_files[@]}"
    grep -oHP '\bposix_spawnp?\([^,]*,\s*"\K[A-Za-z][\w.+-]*' "${code_files[@]}"
    grep -oHP '\b(COMMAND\s+|find_program\(\w+\s+)\K[A-Za-z][\w.+-]*' "${cmake_files[@]}"
    grep -oHP '\bC(C|XX)=\K[A-Za-z][\w.+-]*' "${code_files[@]}"
    grep -oHP 'find_package\(Python3\b[^)]*Interpreter' "${cmake_files[@]}" | sed 's/:.*/:python3/'
    true  # a pattern that finds nothing is fine
  } | sed 's/:/\t/'
  awk "$shell_words" "${shell_files[@]}"
  for program in $implicit; do printf '(build)\t%s\n' "$program"; done
}
uses=$(found | awk -F'\t' 'NR == FNR { built[$1] = 1; next } !($2 in built)' <(printf '%s\n' $targets) - |
       sort -t$'\t' -k2,2 -k1,1 -u)

mapfile -t listed < <(scripts/setup.sh --list; scripts/windows.sh --list)  # windows.sh installs its own
status=0
printf '%-14s %-22s %-20s %s\n' program package verdict " used in"
while read -r program package _; do
  [ -n "$program" ] || continue
  where=$(awk -F'\t' -v p="$program" '$2 == p { n++; if (n <= 3) w = w " " $1 } END { print w (n > 3 ? " ..." : "") }' <<<"$uses" | sed 's| \./| |g')
  if [ "$package" = - ]; then
    verdict="not for the tests"
  elif printf '%s\n' "${listed[@]}" | grep -qx -- "$package"; then
    verdict="setup.sh"
  elif dpkg-query -W -f='${Essential} ${Priority}' "$package" 2>/dev/null | grep -qE '^yes|required$'; then
    verdict="in every Debian"
  else
    verdict="MISSING"
    echo "check-deps: $program comes from $package, which scripts/setup.sh does not install" >&2
    status=1
  fi
  printf '%-14s %-22s %-20s %s\n' "$program" "$package" "$verdict" "${where:- not found in the sources}"
done <<<"$table"

known=$(awk 'NF { print $1 }' <<<"$table")
while IFS=$'\t' read -r file program; do
  grep -qxF -- "$program" <<<"$known" && continue
  echo "check-deps: $file runs '$program', unknown to the table in scripts/check-deps.sh: add it with its package" >&2
  status=1
done <<<"$uses"
exit "$status"
