"""Seed scenario (issue 6): the anchor's own quick playbook on a synthetic Qwen2.5-shaped HF
snapshot directory runs the conversion suite; every conversion gate is Corroborated on cpu with
a measured diff of exactly 0 (tolerance 1e-6), every artifact is a file, gpu cells are Skipped
"no CUDA device"; evidence.json validates against schemas/evidence.schema.json. Then corrupted
artifacts planted in the artifact cache (transposed weight, dropped bias, wrong rope theta, lost
tokenizer) make F-CONV-G-S Falsified with a measured value above its tolerance: diff (logits) for
the transposed weight and the wrong rope theta, tensors_missing (and tensor_max_abs_diff =
Infinity) for the dropped bias, tokenizer_differences for the lost tokenizer; the last two keep
the strict-load error in the reason, and diff of the model that cannot run is NaN "not
measured", never 0. Independent pieces: the safetensors library (to plant
faults) and jsonschema. Env: APR_QA_BIN, APR_QA_SOURCE_DIR, APR_QA_SHARED_DIR, APR_QA_WORK_DIR;
APR_QA_SEED_PRESET=qwen2.5-0.5b and APR_QA_SEED_LAYERS=N for the full-size variant."""
import json, os, shutil, subprocess

import jsonschema
import numpy as np
from safetensors.numpy import load_file, save_file

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
SRC = os.environ["APR_QA_SOURCE_DIR"]
SHARED = os.environ["APR_QA_SHARED_DIR"]
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-seed")
PLAYBOOK = os.path.join(SHARED, "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml")
CONV = ["F-CONV-G-A", "F-CONV-A-G", "F-CONV-G-S", "F-CONV-S-G", "F-CONV-A-S", "F-CONV-S-A",
        "F-CONV-RT-001", "F-CONV-RT-002", "F-CONV-RT-003", "F-CONV-RT-004", "F-CONV-COM-001"]
OTHER = ["F-CONV-IDEM-001", "F-CONV-RT-BYTE-001", "F-GOLDEN-RULE-001", "F-GOLDEN-RULE-002", "F-GOLDEN-RULE-003"]

C = Checks(quiet=True)


def run(args, **kw):
    return subprocess.run([BIN] + args, capture_output=True, text=True, **kw)


def measure(entry, name):
    for m in entry["measurements"]:
        if m["name"] == name:
            return m
    return None


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
fx = os.path.join(WORK, "snapshot")
preset = os.environ.get("APR_QA_SEED_PRESET", "tiny")
fargs = ["fixture", "--arch", "qwen2", "--preset", preset, "--seed", "7", "-o", fx]
if os.environ.get("APR_QA_SEED_LAYERS"):
    fargs += ["--layers", os.environ["APR_QA_SEED_LAYERS"]]
r = run(fargs)
C.check("fixture: " + r.stderr, r.returncode == 0)

out = os.path.join(WORK, "out")
r = run(["run", PLAYBOOK, "--model-path", fx, "-o", out, "-j", "2", "--failure-policy", "collect-all", "-q",
         "--keep-artifacts", "all"])  # the artifacts are inspected and planted below
# The matrix cells (F-A1) generate from random weights and are judged by the garbage oracle, so the
# run may exit 1; the conversion suite is what this test is about.
C.check("run exit code %d: %s" % (r.returncode, r.stderr[-2000:]), r.returncode in (0, 1))
ev = json.load(open(os.path.join(out, "evidence.json")))
schema = json.load(open(os.path.join(SRC, "schemas/evidence.schema.json")))
try:
    jsonschema.validate(ev, schema)
    C.check("evidence.json validates against the schema", True)
except jsonschema.ValidationError as e:
    C.check("evidence schema: %s at %s" % (e.message, list(e.absolute_path)), False)
# Fields the anchor's readers use.
for e in ev:
    for k in ["id", "gate_id", "scenario", "outcome", "reason", "output", "stderr", "exit_code", "metrics", "timestamp", "host", "metadata"]:
        if k not in e:
            C.check("entry lacks anchor field " + k, False)
    for a in e["artifacts"]:
        if not os.path.isfile(a["path"]):
            C.check("artifact is not a file: " + a["path"], False)
by = {}
for e in ev:
    by.setdefault((e["gate_id"], e["scenario"]["backend"]), []).append(e)
for g in CONV:
    cpu = by.get((g, "cpu"), [])
    gpu = by.get((g, "gpu"), [])
    C.check("%s cpu Corroborated: %s" % (g, cpu and cpu[0]["reason"]), len(cpu) == 1 and cpu[0]["outcome"] == "Corroborated")
    if cpu:
        d = measure(cpu[0], "diff")
        t = measure(cpu[0], "tensor_max_abs_diff")
        C.check("%s diff exactly 0 at 1e-6: %s" % (g, d), d is not None and d["value"] == 0 and d["threshold"] == 1e-6)
        C.check("%s tensor_max_abs_diff 0: %s" % (g, t), t is not None and t["value"] == 0)
        C.check("%s names its artifacts" % g, len(cpu[0]["artifacts"]) >= 2)
    C.check("%s gpu Skipped" % g, len(gpu) == 1 and gpu[0]["outcome"] == "Skipped" and gpu[0]["reason"] == "no CUDA device")
for g in OTHER:
    es = by.get((g, "cpu"), [])
    C.check("%s Corroborated: %s" % (g, es and es[0]["reason"]), len(es) == 1 and es[0]["outcome"] == "Corroborated")
idem = by[("F-CONV-IDEM-001", "cpu")][0]
C.check("IDEM byte-compares", measure(idem, "bytes_differing")["value"] == 0 and measure(idem, "bytes_compared")["value"] > 0)
C.check("reports written", os.path.isfile(os.path.join(out, "report.html")) and os.path.isfile(os.path.join(out, "junit.xml")))
html = open(os.path.join(out, "report.html")).read()
C.check("HTML has no external asset", "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html)

# ---- planted faults: corrupt the cached G->S artifact and rerun (fresh journal, same cache) ----
gs = by[("F-CONV-G-S", "cpu")][0]
st_art = [a["path"] for a in gs["artifacts"] if a["format"] == "safetensors"][0]
art_dir = os.path.dirname(st_art)
pristine = os.path.join(WORK, "pristine")
shutil.copytree(art_dir, pristine)


def plant(kind):
    shutil.rmtree(art_dir)
    shutil.copytree(pristine, art_dir)
    t = load_file(os.path.join(pristine, "model.safetensors"))
    if kind == "transposed weight":
        k = "model.layers.0.self_attn.o_proj.weight"
        t[k] = np.ascontiguousarray(t[k].T)
        save_file(t, os.path.join(art_dir, "model.safetensors"))
    elif kind == "dropped bias":
        del t["model.layers.0.self_attn.q_proj.bias"]
        save_file(t, os.path.join(art_dir, "model.safetensors"))
    elif kind == "wrong rope theta":
        c = json.load(open(os.path.join(pristine, "config.json")))
        c["rope_theta"] = float(c.get("rope_theta", 10000.0)) * 0.5
        json.dump(c, open(os.path.join(art_dir, "config.json"), "w"))
    elif kind == "lost tokenizer":
        os.remove(os.path.join(art_dir, "tokenizer.json"))


# fault -> (measurement that must exceed its tolerance, the tolerance)
CARRIER = {"transposed weight": ("diff", 1e-6), "wrong rope theta": ("diff", 1e-6),
           "dropped bias": ("tensors_missing", 0), "lost tokenizer": ("tokenizer_differences", 0)}


def above(v, tol):
    return v == "Infinity" or (not isinstance(v, str) and v > tol)


for kind in ["transposed weight", "wrong rope theta", "dropped bias", "lost tokenizer"]:
    plant(kind)
    for f in ["evidence.jsonl", "evidence.json"]:
        p = os.path.join(out, f)
        if os.path.exists(p):
            os.remove(p)
    r = run(["run", PLAYBOOK, "--model-path", fx, "-o", out, "-j", "2", "--failure-policy", "collect-all", "-q",
             "--reuse-artifacts", "--keep-artifacts", "all"])
    C.check("%s: run exits 1 (got %d)" % (kind, r.returncode), r.returncode == 1)
    ev2 = json.load(open(os.path.join(out, "evidence.json")))
    try:  # the failed measurements (NaN with a note) are in the schema too
        jsonschema.validate(ev2, schema)
        C.check("evidence.json validates against the schema", True)
    except jsonschema.ValidationError as ex:
        C.check("%s: evidence schema: %s at %s" % (kind, ex.message, list(ex.absolute_path)), False)
    e = [x for x in ev2 if x["gate_id"] == "F-CONV-G-S" and x["scenario"]["backend"] == "cpu"]
    C.check("%s: F-CONV-G-S Falsified (%s)" % (kind, e and e[0]["outcome"]), len(e) == 1 and e[0]["outcome"] == "Falsified")
    if e:
        # The measurement that carries each fault, with its threshold: the gate measured it.
        carrier, tol = CARRIER[kind]
        m = measure(e[0], carrier)
        C.check("%s: measured %s above tolerance %s (%s)" % (kind, carrier, tol, m),
              m is not None and m["threshold"] == tol and above(m["value"], tol))
        d = measure(e[0], "diff")
        C.check("%s: diff recorded against 1e-6 (%s)" % (kind, d), d is not None and d["threshold"] == 1e-6)
        detail = "%s=%s diff=%s" % (carrier, m and m["value"], d and d["value"])
        if kind == "dropped bias":
            # The model does not load (strict) and the engine refuses it: diff is the failed
            # measurement, NaN with the reason, never 0 and never passing.
            C.check("dropped bias: diff recorded as not measured (%s)" % d,
                  d is not None and d["value"] == "NaN" and d.get("note", "").startswith("not measured"))
            t = measure(e[0], "tensor_max_abs_diff")
            C.check("dropped bias: missing tensor is an infinite tensor diff (%s)" % t, t is not None and t["value"] == "Infinity")
        if kind in ("dropped bias", "lost tokenizer"):
            C.check("%s: the load error is kept in the reason: %s" % (kind, e[0]["reason"]), "strict load" in e[0]["reason"])
            le = measure(e[0], "load_errors")
            C.check("%s: load_errors = 1 (%s)" % (kind, le), le is not None and le["value"] == 1)
        print("planted %-18s -> F-CONV-G-S %s: %s [%s]" % (kind, e[0]["outcome"], e[0]["reason"][:120], detail))
    # gates that do not use the planted artifact stay Corroborated
    s = [x for x in ev2 if x["gate_id"] == "F-CONV-S-A" and x["scenario"]["backend"] == "cpu"]
    C.check("%s: F-CONV-S-A unaffected" % kind, len(s) == 1 and s[0]["outcome"] == "Corroborated")

C.finish()
