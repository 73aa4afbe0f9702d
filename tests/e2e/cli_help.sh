#!/usr/bin/env bash
# --help names the program "apr-qa", never the build path it was started from, and `fixture --help`
# shows no --shared default baked in from the build tree.
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
build_dir=$(dirname "$(dirname "$APR")")
for cmd in "" run fixture tokenize convert; do
  "$APR" $cmd --help > "$WORK/help.txt"
  grep -Eq "^Usage: apr-qa( |$)" "$WORK/help.txt" || { head -3 "$WORK/help.txt"; fail "apr-qa $cmd --help: usage does not start with 'apr-qa'"; }
  if grep -Fq "$APR" "$WORK/help.txt" || grep -Fq "$build_dir" "$WORK/help.txt"; then
    fail "apr-qa $cmd --help prints the build path"
  fi
done
"$APR" fixture --help > "$WORK/fixture.txt"
grep -F -- "--shared" "$WORK/fixture.txt" > "$WORK/shared.txt" || fail "fixture --help: no --shared"
grep -Fq "the build's ../shared" "$WORK/shared.txt" || { cat "$WORK/shared.txt"; fail "fixture --help: --shared default not described"; }
if grep -Eq "default: /|[[:space:]]/[^ ]*/shared" "$WORK/shared.txt"; then cat "$WORK/shared.txt"; fail "fixture --help: a baked-in --shared path"; fi
echo "cli help: ok"
