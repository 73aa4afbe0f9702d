#!/usr/bin/env bash
# Output folders (issue 11 item 6): every command that writes into a folder (run/report/fixture/
# certify -o, merge OUT, convert's target folder) refuses, before it writes, with the README's exit
# codes and one line naming the path:
#   a file, or a path below a file        -> 2 (the user named a wrong path)
#   a place that cannot be created/written -> 3 (environment): /proc/x, and a read-only folder
#     (a read-only tmpfs where the test may mount one, else a chmod 555 folder when not root).
# Never exit 4, never a partial output.
set -euo pipefail
APR="$1"; PB="$2"; WORK="$3"
if mountpoint -q "$WORK/ro" 2>/dev/null; then umount "$WORK/ro" || true; fi
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # $1 expected exit, $2 pattern of the one stderr line, rest: command
  local want="$1" pat="$2"; shift 2
  local rc=0; "$APR" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
  [[ $rc == "$want" ]] || { cat "$WORK/err"; fail "apr-qa $*: exit $rc, expected $want"; }
  [[ $(grep -c . "$WORK/err") == 1 ]] || { cat "$WORK/err"; fail "apr-qa $*: expected one error line"; }
  grep -Eq -- "$pat" "$WORK/err" || { cat "$WORK/err"; fail "apr-qa $*: '$(cat "$WORK/err")' does not match /$pat/"; }
  n=$((n + 1))
}
n=0
F="$WORK/afile"; touch "$F"
"$APR" fixture --arch llama --preset tiny -o "$WORK/snap" > /dev/null
"$APR" run "$PB" --dry-run -o "$WORK/dry" > /dev/null  # (only to have a playbook that plans)
EV="$WORK/evidence.json"; echo '[]' > "$EV"

# A read-only folder: a read-only tmpfs (root with CAP_SYS_ADMIN), else chmod 555 (not root).
RO="$WORK/ro"; mkdir -p "$RO"; ro=""
if mount -t tmpfs -o size=1m,ro tmpfs "$RO" 2>/dev/null; then
  trap 'umount "$RO" 2>/dev/null || true' EXIT; ro="read-only tmpfs"
elif [[ $(id -u) != 0 ]]; then
  chmod 555 "$RO"; trap 'chmod 755 "$RO"' EXIT; ro="chmod 555"
fi

for cmd in run fixture report certify merge convert; do
  case $cmd in
    run)     pre=(run "$PB" --model-path "$WORK/snap" -q -o); post=(); label="-o/--output" ;;
    fixture) pre=(fixture --arch llama --preset tiny -o); post=(); label="-o/--output" ;;
    report)  pre=(report "$EV" -o); post=(); label="-o/--output" ;;
    certify) pre=(certify --all -o); post=(); label="-o/--output" ;;
    merge)   pre=(merge); post=("$WORK/dry"); label="OUT" ;;
    convert) pre=(convert "$WORK/snap"); post=(); label="the target folder" ;;
  esac
  sub=sub; [[ $cmd == convert ]] && sub=sub/x.gguf
  expect 2 "^apr-qa $cmd: error: $F: $label must be a directory, found a file\$" "${pre[@]}" "$F" "${post[@]}"
  expect 2 "^apr-qa $cmd: error: $F/sub: $label must be a directory, but $F is a file\$" \
    "${pre[@]}" "$F/$sub" "${post[@]}"
  expect 3 "^apr-qa $cmd: error: /proc/apr-qa-no/[a-z.]*.*(No such file or directory|Permission denied|Operation not permitted)" \
    "${pre[@]}" "/proc/apr-qa-no/$sub" "${post[@]}"
  if [[ -n $ro ]]; then
    expect 3 "^apr-qa $cmd: error: $RO(/x)?(/sub)?: .*(not writable|cannot create).*(Read-only file system|Permission denied)" \
      "${pre[@]}" "$RO/$sub" "${post[@]}"
  fi
done
[[ -n $ro ]] && echo "read-only folder: $ro" || echo "read-only folder: not tested (root without a mountable tmpfs)"
echo "output paths: ok ($n cases)"
