#!/usr/bin/env bash
# run --keep-artifacts all|failed|none (default failed): during and after the run, the artifact files under
# <out>/artifacts and <out>/runs that no failed gate used are removed (failed), all are removed
# (none) or none are (all); <out>/artifacts.json lists every artifact file with its sha256 and size
# either way, and evidence.json keeps its artifact entries. F-CONV-G-S is made to fail (a
# threshold no model meets, --gates-dir) so that its conversion chain is what `failed` keeps.
set -euo pipefail
APR="$1"; SRC="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$(dirname "$0")/lib.sh"
conversion_suite_failing "$SRC" "$WORK" "$APR"
for mode in all failed none default; do
  args=(--keep-artifacts "$mode"); [[ $mode == default ]] && args=()
  rc=0
  "$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" -o "$WORK/$mode" --gates-dir "$WORK/gates" -q -j 2 "${args[@]}" \
    > "$WORK/$mode.log" 2>&1 || rc=$?
  [[ $rc == 1 ]] || { cat "$WORK/$mode.log"; fail "--keep-artifacts $mode: exit $rc, expected 1 (F-CONV-G-S fails)"; }
done
python3 - "$WORK" <<'PY'
import json, os, sys
work = sys.argv[1]
def files(out):
    r = set()
    for top in ["artifacts", "runs"]:
        for d, _, fs in os.walk(os.path.join(out, top)):
            r.update(os.path.abspath(os.path.join(d, f)) for f in fs)
    return r
def check(mode):
    out = os.path.join(work, mode)
    doc = json.load(open(os.path.join(out, "artifacts.json")))
    ev = json.load(open(os.path.join(out, "evidence.json")))
    listed = {a["path"]: a for a in doc["artifacts"]}
    assert all(len(a["sha256"]) == 64 and a["bytes"] > 0 for a in listed.values()), mode
    on_disk = files(out)
    assert on_disk == {p for p, a in listed.items() if a["kept"]}, (mode, sorted(on_disk ^ {p for p, a in listed.items() if a["kept"]})[:4])
    # evidence.json keeps path, sha256 and size of every artifact it names, and agrees with the list
    for e in ev:
        for a in e["artifacts"]:
            assert len(a["sha256"]) == 64 and a["bytes"] > 0, (mode, a)
            if a["path"] in listed:
                assert listed[a["path"]]["sha256"] == a["sha256"] and listed[a["path"]]["bytes"] == a["bytes"], (mode, a)
    failed = [e for e in ev if e["outcome"] not in ("Corroborated", "Skipped")]
    return doc, ev, listed, on_disk, failed
d_all, ev_all, l_all, disk_all, f_all = check("all")
assert "F-CONV-G-S" in {e["gate_id"] for e in f_all}, sorted({e["gate_id"] for e in f_all})
assert len(l_all) >= 4 and all(a["kept"] for a in l_all.values()), len(l_all)
assert any("/runs/" in p for p in l_all) and any("/artifacts/" in p for p in l_all)
n_all = len(l_all)
for mode in ["failed", "default"]:
    doc, ev, listed, disk, failed = check(mode)
    assert doc["keep_artifacts"] == "failed", doc["keep_artifacts"]
    assert len(listed) == n_all, (mode, len(listed), n_all)
    used = {a["path"] for e in failed for a in e["artifacts"] if "/artifacts/" in a["path"] or "/runs/" in a["path"]}
    assert used and all(os.path.isfile(p) for p in used), (mode, "a failed gate's artifact was removed")
    assert 0 < len(disk) < n_all, (mode, len(disk), n_all)
    print("%s: kept %d of %d artifact files (%d bytes of %d)" % (mode, len(disk), n_all,
          doc["bytes_kept"], doc["bytes_kept"] + doc["bytes_removed"]))
doc, ev, listed, disk, failed = check("none")
assert not disk and len(listed) == n_all and not any(a["kept"] for a in listed.values()), (len(disk), len(listed))
# Folders nothing could need any more went during the run (their entries taken before removal,
# checked above with the rest); keep=all removes none, keep=failed never the failed gate's.
rel = {m: json.load(open(os.path.join(work, m, "timing.json")))["released_during_run"] for m in ["all", "failed", "none"]}
assert rel["all"]["files"] == 0, rel
assert 0 < rel["none"]["files"] <= n_all and rel["none"]["bytes"] > 0, rel
assert 0 < rel["failed"]["files"] < n_all, rel
print("removed during the run: none %d files, failed %d files" % (rel["none"]["files"], rel["failed"]["files"]))
print("all: %d files kept; none: 0 kept, %d listed with sha256 and bytes" % (n_all, len(listed)))
PY
# A resumed run whose journal was cut after the artifacts were removed reruns the conversions it needs.
lines=$(wc -l < "$WORK/none/evidence.jsonl")
head -n $((lines - 2)) "$WORK/none/evidence.jsonl" > "$WORK/cut.jsonl"; cp "$WORK/cut.jsonl" "$WORK/none/evidence.jsonl"
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" -o "$WORK/none" --gates-dir "$WORK/gates" -q -j 2 --resume \
  --keep-artifacts none > "$WORK/resume.log" 2>&1 || rc=$?
[[ $rc == 1 ]] || { cat "$WORK/resume.log"; fail "resume after removal: exit $rc, expected 1"; }
python3 - "$WORK/all/evidence.json" "$WORK/none/evidence.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
oa = sorted((e["gate_id"], e["scenario"]["backend"], e["outcome"]) for e in a)
ob = sorted((e["gate_id"], e["scenario"]["backend"], e["outcome"]) for e in b)
assert oa == ob, [x for x in oa if x not in ob][:3] + [x for x in ob if x not in oa][:3]
PY
# Converted models are scratch files (never forced to the disk): a resumed run checks a
# journaled conversion's file against its recorded size and sha256 before trusting it. Keep only
# the conversions in the journal, change one byte of every converted model (same size), resume:
# the conversions run again and every gate judges what the converter writes.
python3 - "$WORK/all" <<'PY'
import json, os, sys
out = sys.argv[1]
lines = open(os.path.join(out, "evidence.jsonl")).read().splitlines()
keep = [l for l in lines if json.loads(l).get("type") != "node" or "-convert-" in json.loads(l).get("node", "")]
assert len(keep) < len(lines), "no check node to resume"
open(os.path.join(out, "evidence.jsonl"), "w").write("\n".join(keep) + "\n")
n = 0
for d, _, fs in os.walk(os.path.join(out, "artifacts")):
    for f in fs:
        if f.startswith("model."):
            p = os.path.join(d, f)
            with open(p, "r+b") as h:
                h.seek(os.path.getsize(p) // 2); b = h.read(1); h.seek(-1, 1); h.write(bytes([b[0] ^ 0x5A]))
            n += 1
assert n >= 3, n
PY
cp "$WORK/all/evidence.json" "$WORK/all-before.json"
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" -o "$WORK/all" --gates-dir "$WORK/gates" -q -j 2 --resume \
  --keep-artifacts all > "$WORK/resume-stale.log" 2>&1 || rc=$?
[[ $rc == 1 ]] || { cat "$WORK/resume-stale.log"; fail "resume over changed artifacts: exit $rc, expected 1"; }
python3 - "$WORK/all-before.json" "$WORK/all/evidence.json" "$WORK/all/artifacts.json" <<'PY'
import hashlib, json, sys
a, b, lst = (json.load(open(p)) for p in sys.argv[1:4])
oa = sorted((e["gate_id"], e["scenario"]["backend"], e["outcome"]) for e in a)
ob = sorted((e["gate_id"], e["scenario"]["backend"], e["outcome"]) for e in b)
assert oa == ob, ([x for x in oa if x not in ob][:3], [x for x in ob if x not in oa][:3])
for f in lst["artifacts"]:
    if "/model." in f["path"]:
        assert hashlib.sha256(open(f["path"], "rb").read()).hexdigest() == f["sha256"], f["path"]
print("resume over changed artifacts: conversions rerun, %d outcomes as before" % len(ob))
PY
rc=0; "$APR" run "$WORK/pb.yaml" --keep-artifacts some -o "$WORK/x" > "$WORK/bad.log" 2>&1 || rc=$?
[[ $rc == 2 ]] || { cat "$WORK/bad.log"; fail "--keep-artifacts some: exit $rc, expected 2"; }
echo "keep artifacts: ok"
