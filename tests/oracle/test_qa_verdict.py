"""The verdict through the CLI (docs/scoring.md), checked with jsonschema and the stdlib XML parser:
`score --json` on the anchor's real evidence files and tests/qa/data fixtures validates against
schemas/mqs.schema.json and its `anchor_mqs` equals the golden files made by the pre-verdict code;
a fake-worker run (tests/oracle/tools/qa_fake_worker.cpp, seed playbook DAG) with a failing
G0-INTEGRITY node prints the failed gates with only violated measurements, then one verdict line,
with -q; an entry turned into Error validates against schemas/evidence.schema.json and is reported
apart from Falsified by `score` and `report` (JUnit EvaluationError, verdict NOT CERTIFIED).
Env: APR_QA_BIN, APR_QA_TOOLS_DIR, APR_QA_SHARED_DIR, APR_QA_SOURCE_DIR, APR_QA_WORK_DIR."""
import json, os, shutil, subprocess
import xml.etree.ElementTree as ET

import jsonschema

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
WORKER = os.path.join(os.environ["APR_QA_TOOLS_DIR"], "oracle_qa_fake_worker")
SHARED = os.environ["APR_QA_SHARED_DIR"]
SRC = os.environ["APR_QA_SOURCE_DIR"]
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-verdict")
PLAYBOOK = os.path.join(SHARED, "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml")
DATA = os.path.join(SRC, "tests/qa/data")

C = Checks()
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

mschema = json.load(open(os.path.join(SRC, "schemas/mqs.schema.json")))
eschema = json.load(open(os.path.join(SRC, "schemas/evidence.schema.json")))
jsonschema.Draft202012Validator.check_schema(mschema)
MV = jsonschema.Draft202012Validator(mschema)
EV = jsonschema.Draft202012Validator(eschema)


def schema_errors(v, doc):
    return [e.message for e in v.iter_errors(doc)][:2]


# 1. score --json on every evidence fixture: schema, and anchor_mqs equal to the golden file.
cases = [(os.path.join(SHARED, "anchor/evidence/qwen2.5-coder-0.5b-mvp.evidence.json"), "", "qwen2.5-coder-0.5b-mvp.anchor_mqs.json"),
         (os.path.join(SHARED, "anchor/evidence/qwen2.5-coder-0.5b-mvp.evidence.json"), "mvp", "qwen2.5-coder-0.5b-mvp.mvp.anchor_mqs.json"),
         (os.path.join(SHARED, "anchor/evidence/smollm2-135m-instruct.evidence.json"), "", "smollm2-135m-instruct.anchor_mqs.json"),
         (os.path.join(DATA, "mixed.evidence.json"), "", "mixed.anchor_mqs.json"),
         (os.path.join(DATA, "timeout.evidence.json"), "mvp", "timeout.mvp.anchor_mqs.json")]
for ev, tier, golden in cases:
    r = subprocess.run([BIN, "score", ev, "--json"] + (["--tier", tier] if tier else []), capture_output=True, text=True)
    C.check("score --json %s exits 0" % golden, r.returncode == 0)
    j = json.loads(r.stdout)
    errs = schema_errors(MV, j)
    C.check("%s: mqs.json schema %s" % (golden, errs), not errs)
    C.check("%s: anchor_mqs unchanged" % golden, j["anchor_mqs"] == json.load(open(os.path.join(DATA, golden))))
    C.check("%s: verdict %s" % (golden, j["verdict"]["headline"]), j["verdict"]["status"] == "NOT CERTIFIED" and j["verdict"]["grade"] == "F")
    text = subprocess.run([BIN, "score", ev] + (["--tier", tier] if tier else []), capture_output=True, text=True).stdout
    C.check("%s: score prints the headline first" % golden, text.splitlines()[0].endswith(j["verdict"]["headline"]))

# 2. A run with a failing G0-INTEGRITY node, -q, not a terminal.
snap = os.path.join(WORK, "snapshot")
os.makedirs(snap)
with open(os.path.join(snap, "model.safetensors"), "wb") as f:
    f.write(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
open(os.path.join(snap, "config.json"), "w").write("{}")
out = os.path.join(WORK, "fail")
r = subprocess.run([BIN, "run", PLAYBOOK, "--model-path", snap, "-o", out, "--worker", WORKER, "-j", "2",
                    "--failure-policy", "collect-all", "-q"], env=dict(os.environ, FAKE_FAIL="G0-INTEGRITY-HIDDEN"),
                   capture_output=True, text=True)
C.check("failing run exits 1 (got %d)" % r.returncode, r.returncode == 1)
mqs = json.load(open(os.path.join(out, "mqs.json")))
errs = schema_errors(MV, mqs)
C.check("run's mqs.json validates %s" % errs, not errs)
lines = r.stdout.splitlines()
C.check("-q prints the summary: %r" % lines[:1], len(lines) >= 4 and lines[-3] == mqs["verdict"]["headline"])
fails = [l for l in lines if l.startswith("  G0-INTEGRITY-")]
C.check("one failure line per G0-INTEGRITY gate: %d" % len(fails), len(fails) == 5)
C.check("the failure lines name violated measurements only: %r" % fails[:1],
        fails and all("violates" in l and "measured" not in l for l in fails))
C.check("the verdict: NOT CERTIFIED with the five P0 gates named: %s" % mqs["verdict"]["headline"],
        mqs["verdict"]["headline"].startswith("NOT CERTIFIED (quick): 5 P0 failures (G0-INTEGRITY-"))
C.check("no second score on the line", "MQS" not in r.stdout and "/1000" not in r.stdout)

# 3. Error: schema, score, report.
ev = json.load(open(os.path.join(out, "evidence.json")))
i = next(k for k, e in enumerate(ev) if e["outcome"] == "Corroborated" and e["gate_id"].startswith("F-CONV-G-A"))
ev[i]["outcome"] = "Error"
ev[i]["reason"] = "worker threw: std::bad_alloc"
errs = schema_errors(EV, ev)
C.check("evidence with an Error entry validates %s" % errs, not errs)
bad = json.loads(json.dumps(ev))
bad[i]["outcome"] = "Unresolved"
C.check("evidence schema rejects an unknown outcome", bool(schema_errors(EV, bad)))
errfile = os.path.join(WORK, "error.evidence.json")
json.dump(ev, open(errfile, "w"))
j = json.loads(subprocess.run([BIN, "score", errfile, "--json", "--tier", "quick"], capture_output=True, text=True).stdout)
C.check("score counts the Error apart: %s" % j["verdict"]["counts"], j["verdict"]["counts"]["error"] == 1
        and j["verdict"]["errors"] == [{"gate_id": "F-CONV-G-A", "count": 1}] and "1 error (F-CONV-G-A)" in j["verdict"]["headline"])
C.check("the anchor's MQS counts it as a failure", j["anchor_mqs"]["tests_failed"] == mqs["anchor_mqs"]["tests_failed"] + 1)
rep = os.path.join(WORK, "report")
r = subprocess.run([BIN, "report", errfile, "-o", rep, "--tier", "quick"], capture_output=True, text=True)
C.check("report exits 0 and prints the headline", r.returncode == 0 and j["verdict"]["headline"] in r.stdout)
suite = ET.parse(os.path.join(rep, "junit.xml")).getroot()
props = {p.get("name"): p.get("value") for p in suite.iter("property")}
C.check("junit verdict properties", props.get("verdict.status") == "NOT CERTIFIED" and props.get("verdict.headline") == j["verdict"]["headline"]
        and "anchor_mqs.raw_score" in props and "mqs.raw_score" not in props)
errors = [tc for tc in suite.iter("testcase") if tc.find("error") is not None and tc.find("error").get("type") == "EvaluationError"]
C.check("junit: the Error is an <error type=EvaluationError>", len(errors) == 1)
C.check("junit errors attribute counts it", int(suite.get("errors")) == sum(e["outcome"] in ("Error", "Timeout", "Crashed") for e in ev))
md = open(os.path.join(rep, "summary.md")).read()
C.check("summary.md shows the verdict before the failures", 0 <= md.find("**" + j["verdict"]["headline"] + "**") < md.find("## Failures"))

C.finish()
