#!/usr/bin/env bash
# `apr-qa certify` and `apr-qa compare` on a tiny synthetic model (docs/certification.md):
#   1. certify writes the record layout (six files per tier folder, models.csv, README table);
#   2. `certify --check` re-derives it and agrees, and finds a hand-edited models.csv;
#   3. certifying twice gives the same verdicts and measurements apart from timings, and a second
#      history line; `compare` of the two nights reports no regression (exit 0);
#   4. `compare` reports each planted regression (a gate turned Falsified, an exact-0 measurement
#      that became 1e-3, throughput halved) and exits 1;
#   5. bad registry entries (missing playbook, unknown tier, a tier the model lacks, wrong sha256)
#      are one-line errors naming the file, the field and what was expected, exit 2, and leave the
#      previous record byte-identical.
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK/certs" "$WORK/cache/models" "$WORK/pb"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tiny_playbook "$WORK/pb/tiny-smoke.yaml" tiny-smoke 1 '["Hello"]' profile
# A GGUF of the tiny fixture, as if a pypi package had been fetched into the cache.
"$APR" fixture --arch llama --preset tiny --seed 3 -o "$WORK/snap" >/dev/null
"$APR" convert "$WORK/snap" "$WORK/cache/models/tiny-llama.gguf" --to gguf >/dev/null
SHA=$(sha256sum "$WORK/cache/models/tiny-llama.gguf" | cut -d' ' -f1)
registry() {  # $1: sha256 of the pypi entry, $2: extra text appended to the fixture entry's tiers
  cat > "$WORK/certs/models.yaml" <<YAML
version: 1
models:
  - id: test/tiny-qwen2
    family: qwen2
    parameters: 2M
    size_category: tiny
    source:
      fixture: {arch: qwen2, preset: tiny, seed: 0}
    nightly: smoke
    tiers:
      smoke: ../pb/tiny-smoke.yaml$2
  - id: test/tiny-llama-gguf
    family: llama
    parameters: 2M
    size_category: tiny
    source:
      pypi: {package: not-fetched, version: "0.0.0", file: tiny-llama.gguf, sha256: $1}
    nightly: smoke
    tiers:
      smoke: ../pb/tiny-smoke.yaml
YAML
}
registry "$SHA" ""
certify() { "$APR" certify "$@" -o "$WORK/certs" --cache "$WORK/cache" -j 2; }

# 1. Layout.
rc=0; certify --all > "$WORK/certify1.txt" 2> "$WORK/certify1.err" || rc=$?
[[ $rc == 0 || $rc == 1 ]] || { cat "$WORK/certify1.err"; fail "certify exit $rc"; }
for m in test/tiny-qwen2 test/tiny-llama-gguf; do
  for f in evidence.json mqs.json summary.md report.html junit.xml history.jsonl; do
    [[ -s "$WORK/certs/$m/smoke/$f" ]] || fail "missing $m/smoke/$f"
  done
  [[ $(wc -l < "$WORK/certs/$m/smoke/history.jsonl") == 1 ]] || fail "$m: history.jsonl should have 1 line"
  grep -q "<h2>History (1 certification" "$WORK/certs/$m/smoke/report.html" || fail "$m: report.html has no history section"
done
[[ -z "$(find "$WORK/certs" -name 'model.*')" ]] || fail "artifacts were copied into the record"
head -1 "$WORK/certs/models.csv" | grep -q '^model_id,family,parameters,size_category,status,mqs_score,grade,certified_tier,last_certified,g1,g2,g3,g4,tps_gguf_cpu' || fail "models.csv header"
grep -q '^test/tiny-qwen2,qwen2,2M,tiny,' "$WORK/certs/models.csv" || fail "models.csv row for test/tiny-qwen2"
grep -q ',synthetic$' "$WORK/certs/models.csv" || fail "the fixture model is not labelled synthetic"
grep -q '^test/tiny-llama-gguf,.*,true$' "$WORK/certs/models.csv" || fail "the pypi model is not provenance_verified"
grep -q 'apr-qa certify: records table' "$WORK/certs/README.md" || fail "README table markers"
grep -q '| \[test/tiny-llama-gguf\]' "$WORK/certs/README.md" || fail "README table row"

# 2. Re-derivation.
"$APR" certify --check -o "$WORK/certs" > /dev/null || fail "certify --check on a fresh record"
cp -r "$WORK/certs" "$WORK/edited"
sed -i 's/,tiny,/,huge,/' "$WORK/edited/models.csv"
rc=0; "$APR" certify --check -o "$WORK/edited" --registry "$WORK/certs/models.yaml" > "$WORK/check.txt" || rc=$?
[[ $rc == 1 ]] && grep -q "models.csv" "$WORK/check.txt" || fail "certify --check missed an edited models.csv (exit $rc)"

# 3. Twice: same verdicts and measurements apart from timings.
cp -r "$WORK/certs" "$WORK/night1"
rc=0; certify --all > /dev/null 2>&1 || rc=$?
[[ $rc == 0 || $rc == 1 ]] || fail "second certify exit $rc"
[[ $(wc -l < "$WORK/certs/test/tiny-qwen2/smoke/history.jsonl") == 2 ]] || fail "history.jsonl should have 2 lines"
python3 - "$WORK/night1" "$WORK/certs" <<'PY'
import json, sys
TIMING = {"tok/s", "ms", "s"}
for m in ["test/tiny-qwen2", "test/tiny-llama-gguf"]:
    a, b = (json.load(open(f"{d}/{m}/smoke/evidence.json")) for d in sys.argv[1:3])
    key = lambda e: (e["gate_id"], e["scenario"]["id"], e["outcome"],
                     [(x["name"], x["value"]) for x in e["measurements"] if x.get("unit") not in TIMING])
    ka, kb = [key(e) for e in a], [key(e) for e in b]
    assert ka == kb, f"{m}: the second certification differs: {[p for p in zip(ka, kb) if p[0] != p[1]][:2]}"
    assert len(ka) >= 10, f"{m}: only {len(ka)} entries"
print("twice: identical verdicts and measurements")
PY
"$APR" compare "$WORK/night1" "$WORK/certs" --band tokens_per_second=1000 --band p99_ms=1000 --band p50_ms=1000 > "$WORK/cmp0.md" \
  || { cat "$WORK/cmp0.md"; fail "compare of two nights reports a regression"; }
grep -q "^OK: 0 regressions" "$WORK/cmp0.md" || fail "compare summary line"
"$APR" compare "$WORK/certs" "$WORK/certs" > /dev/null || fail "compare of a record with itself"

# 4. Planted regressions.
R="$WORK/certs/test/tiny-qwen2/smoke/evidence.json"
python3 - "$R" "$WORK/planted.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
done = {"verdict": None, "zero": None, "tps": None}
for e in ev:
    if done["verdict"] is None and e["outcome"] == "Corroborated" and e["gate_id"].startswith("G0-VALIDATE"):
        e["outcome"] = "Falsified"; e["reason"] = "planted"; done["verdict"] = e["gate_id"]; continue
    for x in e["measurements"]:
        if done["zero"] is None and e["outcome"] == "Corroborated" and x.get("threshold") is not None \
           and x["value"] == 0 and x.get("comparator") == "<=" and e["gate_id"] != done["verdict"]:
            x["value"] = 1e-3; done["zero"] = (e["gate_id"], x["name"])
        if done["tps"] is None and x["name"] == "tokens_per_second" and x.get("threshold") is not None:
            x["value"] /= 2; done["tps"] = e["gate_id"]
assert all(done.values()), done
json.dump(ev, open(sys.argv[2], "w"))
json.dump(done, open(sys.argv[2] + ".what", "w"))
PY
rc=0; "$APR" compare "$R" "$WORK/planted.json" > "$WORK/cmp1.md" || rc=$?
[[ $rc == 1 ]] || { cat "$WORK/cmp1.md"; fail "compare exit $rc on planted regressions, expected 1"; }
python3 - "$WORK/planted.json.what" "$WORK/cmp1.md" <<'PY'
import json, sys
what = json.load(open(sys.argv[1])); md = open(sys.argv[2]).read()
assert f"{what['verdict']} [" in md and "Corroborated -> Falsified" in md, md
assert f"{what['zero'][1]}: 0 -> 0.001" in md and "was exactly 0, is no longer 0" in md, md
assert "tokens_per_second" in md and "50% the wrong way" in md, md
assert "REGRESSION: 3 regressions" in md, md
print("compare: every planted regression reported")
PY
rc=0; "$APR" compare "$R" "$WORK/planted.json" --json > "$WORK/cmp1.json" || rc=$?
[[ $rc == 1 ]] || fail "compare --json exit $rc, expected 1"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['regressions']==3, j['regressions']" "$WORK/cmp1.json"

# 5. Bad registry entries: one line each, exit 2, the previous record untouched.
snapshot() { (cd "$WORK/certs" && find . -type f ! -name models.yaml -print0 | sort -z | xargs -0 sha256sum); }
before=$(snapshot)
expect_bad() {  # $1: what, $2: pattern the error must match, rest: certify args
  local what="$1" pat="$2"; shift 2
  local rc=0; certify "$@" > "$WORK/bad.out" 2> "$WORK/bad.err" || rc=$?
  [[ $rc == 2 ]] || { cat "$WORK/bad.err"; fail "$what: exit $rc, expected 2"; }
  [[ $(grep -c . "$WORK/bad.err") == 1 ]] || { cat "$WORK/bad.err"; fail "$what: expected one error line"; }
  grep -Eq "$pat" "$WORK/bad.err" || { cat "$WORK/bad.err"; fail "$what: error does not match /$pat/"; }
  [[ "$(snapshot)" == "$before" ]] || fail "$what: the previous record changed"
}
registry "$SHA" "
      mvp: ../pb/no-such-playbook.yaml"
expect_bad "missing playbook" "models.yaml:[0-9]+:[0-9]+.*models\[0\]\.tiers\.mvp.*expected an existing playbook file" --all
registry "$SHA" "
      weekly: ../pb/tiny-smoke.yaml"
expect_bad "unknown tier" "models.yaml:[0-9]+:[0-9]+.*models\[0\]\.tiers\.weekly.*unknown tier 'weekly'" --all
registry "$SHA" ""
expect_bad "tier the model lacks" "models.yaml:[0-9]+: model test/tiny-qwen2 has no playbook for tier 'mvp'" test/tiny-qwen2 --tier mvp
registry "$(printf "ab%.0s" {1..32})" ""
expect_bad "wrong sha256" "models.yaml:[0-9]+: sha256 of .*tiny-llama.gguf is $SHA, expected (ab){32}" --all
expect_bad "unknown model" "model 'test/tiny-qwen' is not in the registry; did you mean 'test/tiny-qwen2'" test/tiny-qwen
echo "certify: ok"
