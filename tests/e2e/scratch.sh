#!/usr/bin/env bash
# run --scratch DIR: converted models and shared runs are written under DIR/apr-qa-<hash>/ instead
# of <out>; the run measures the same (outcomes equal to a run without it), the folders a failed
# gate keeps end up in <out> with the bytes evidence recorded, and DIR is left empty. A scratch
# folder too small for the run is refused with a warning (artifacts under <out>); --resume works
# whether or not the first run used one; --scratch with --shard is a usage error.
# F-CONV-G-S is made to fail (a threshold no model meets) so that `failed` keeps its chain.
set -euo pipefail
APR="$1"; SRC="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK/scr"
source "$(dirname "$0")/lib.sh"
conversion_suite_failing "$SRC" "$WORK" "$APR"
run() {  # run NAME [args...]: expects exit 1 (F-CONV-G-S fails)
  local name="$1"; shift
  local rc=0
  "$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" --gates-dir "$WORK/gates" -j 2 "$@" > "$WORK/$name.log" 2>&1 || rc=$?
  [[ $rc == 1 ]] || { cat "$WORK/$name.log"; fail "$name: exit $rc, expected 1"; }
}
run plain -o "$WORK/plain" -q
# What an interrupted run into the same -o left in the scratch folder: a fresh run removes it.
stale="$WORK/scr/apr-qa-$(printf '%s' "$WORK/scratch" | sha256sum | cut -c1-16)"
mkdir -p "$stale/artifacts/stale0123456789abcdef"; echo x > "$stale/artifacts/stale0123456789abcdef/model.gguf"
run scratch -o "$WORK/scratch" -v --scratch "$WORK/scr"
grep -q stale0123456789abcdef "$WORK/scratch/artifacts.json" && fail "a stale scratch file was listed as the run's"
[[ -z "$(ls -A "$WORK/scr")" ]] || fail "the scratch folder was not emptied: $(ls -A "$WORK/scr")"
grep -q "artifacts go to the scratch folder $WORK/scr/apr-qa-" "$WORK/scratch.log" || { cat "$WORK/scratch.log"; fail "no scratch note with -v"; }
python3 - "$WORK" <<'PY'
import hashlib, json, os, sys
work = sys.argv[1]
def load(name):
    out = os.path.join(work, name)
    return out, json.load(open(os.path.join(out, "artifacts.json"))), json.load(open(os.path.join(out, "evidence.json")))
def outcomes(ev):
    return sorted((e["gate_id"], e["scenario"]["backend"], e["outcome"]) for e in ev)
def on_disk(out):
    r = set()
    for top in ["artifacts", "runs"]:
        for d, _, fs in os.walk(os.path.join(out, top)):
            r.update(os.path.relpath(os.path.join(d, f), out) for f in fs)
    return r
p_out, p_doc, p_ev = load("plain")
s_out, s_doc, s_ev = load("scratch")
assert outcomes(p_ev) == outcomes(s_ev), "a scratch folder changed an outcome"
assert "F-CONV-G-S" in {e["gate_id"] for e in s_ev if e["outcome"] not in ("Corroborated", "Skipped")}
assert "scratch" not in p_doc
scr = s_doc["scratch"]
assert scr.startswith(os.path.join(work, "scr", "apr-qa-")) and not os.path.exists(scr), scr
# evidence names where each artifact was measured: converted models in the scratch folder
conv = [a["path"] for e in s_ev for a in e["artifacts"] if "/artifacts/" in a["path"]]
assert conv and all(p.startswith(scr + "/") for p in conv), conv[:3]
kept = [a for a in s_doc["artifacts"] if a["kept"]]
assert kept and len(kept) < len(s_doc["artifacts"]), (len(kept), len(s_doc["artifacts"]))
for a in kept:
    assert a["measured_at"].startswith(scr + "/"), a
    assert a["path"].startswith(s_out + "/"), a
    assert os.path.relpath(a["path"], s_out) == os.path.relpath(a["measured_at"], scr), a
    h = hashlib.sha256(open(a["path"], "rb").read()).hexdigest()
    assert h == a["sha256"] and os.path.getsize(a["path"]) == a["bytes"], a["path"]
assert not any("measured_at" in a for a in s_doc["artifacts"] if not a["kept"])
assert on_disk(s_out) == {os.path.relpath(a["path"], s_out) for a in kept}, sorted(on_disk(s_out))[:4]
# the same folders are kept as without a scratch folder (content-keyed names)
assert on_disk(s_out) == on_disk(p_out), sorted(on_disk(s_out) ^ on_disk(p_out))[:4]
assert len(s_doc["artifacts"]) == len(p_doc["artifacts"])
print("scratch: %d of %d files kept and moved into -o, outcomes equal to the plain run" % (len(kept), len(s_doc["artifacts"])))
PY
# --resume of a scratch run without --scratch: the same plan (the journal's guard ignores where the
# artifacts are); the conversions its remaining nodes need run again, under -o.
lines=$(wc -l < "$WORK/scratch/evidence.jsonl")
head -n $((lines - 3)) "$WORK/scratch/evidence.jsonl" > "$WORK/cut.jsonl"; cp "$WORK/cut.jsonl" "$WORK/scratch/evidence.jsonl"
run resume -o "$WORK/scratch" -q --resume
python3 - "$WORK/plain/evidence.json" "$WORK/scratch/evidence.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
o = lambda ev: sorted((e["gate_id"], e["scenario"]["backend"], e["outcome"]) for e in ev)
assert o(a) == o(b), [x for x in o(a) if x not in o(b)][:3] + [x for x in o(b) if x not in o(a)][:3]
PY
# A scratch folder with less room than the run may write: a warning, artifacts under -o.
APR_QA_TEST_FREE_BYTES=40000000 run small -o "$WORK/small" --scratch "$WORK/scr"
grep -q -- "--scratch $WORK/scr: the run may write up to .* artifacts go under -o instead" "$WORK/small.log" \
  || { cat "$WORK/small.log"; fail "no warning for a scratch folder too small"; }
[[ -z "$(ls -A "$WORK/scr")" ]] || fail "a refused scratch folder was written to"
python3 - "$WORK/small" <<'PY'
import json, os, sys
out = sys.argv[1]
ev = json.load(open(os.path.join(out, "evidence.json")))
conv = [a["path"] for e in ev for a in e["artifacts"] if "/artifacts/" in a["path"]]
assert conv and all(p.startswith(out + "/artifacts/") for p in conv), conv[:3]
assert "scratch" not in json.load(open(os.path.join(out, "artifacts.json")))
PY
# --keep-artifacts all keeps every artifact in -o: the scratch folder is not used (a warning says so).
run all -o "$WORK/all" --keep-artifacts all --scratch "$WORK/scr"
grep -q -- "--scratch $WORK/scr is not used with --keep-artifacts all" "$WORK/all.log" \
  || { cat "$WORK/all.log"; fail "no warning for --scratch with --keep-artifacts all"; }
[[ -z "$(ls -A "$WORK/scr")" ]] || fail "--keep-artifacts all wrote to the scratch folder"
grep -q '"path": "'"$WORK/all/artifacts/" "$WORK/all/evidence.json" || fail "--keep-artifacts all: artifacts not under -o"
# Usage errors.
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" -o "$WORK/shard" --scratch "$WORK/scr" --shard 1/2 \
  > "$WORK/shard.log" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q -- "--scratch cannot be used with --shard" "$WORK/shard.log" \
  || { cat "$WORK/shard.log"; fail "--scratch with --shard: exit $rc"; }
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" -o "$WORK/nodir" --scratch "$WORK/no-such-dir" \
  > "$WORK/nodir.log" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q "no-such-dir" "$WORK/nodir.log" || { cat "$WORK/nodir.log"; fail "--scratch missing folder: exit $rc"; }
echo "scratch: ok"
