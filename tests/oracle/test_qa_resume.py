"""Kill the runner with SIGKILL at several points of a run: evidence.json is absent or valid
JSON, the journal holds every completed node (each line parses), and `--resume` finishes with
the same verdicts as an uninterrupted run. Uses the fake worker (tests/oracle/tools/
qa_fake_worker.cpp, slowed with FAKE_SLEEP_MS) on the seed playbook's full DAG, so it needs no
model code. Also: Crashed/Timeout through `run` and the exit code. Env: APR_QA_BIN,
APR_QA_TOOLS_DIR, APR_QA_SHARED_DIR, APR_QA_WORK_DIR."""
import json, os, shutil, signal, subprocess, time

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
WORKER = os.path.join(os.environ["APR_QA_TOOLS_DIR"], "oracle_qa_fake_worker")
SHARED = os.environ["APR_QA_SHARED_DIR"]
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-resume")
PLAYBOOK = os.path.join(SHARED, "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml")

C = Checks(quiet=True)


shutil.rmtree(WORK, ignore_errors=True)
snap = os.path.join(WORK, "snapshot")
os.makedirs(snap)
with open(os.path.join(snap, "model.safetensors"), "wb") as f:
    f.write(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
open(os.path.join(snap, "config.json"), "w").write("{}")


def cmd(out, extra=()):
    return [BIN, "run", PLAYBOOK, "--model-path", snap, "-o", out, "--worker", WORKER, "-j", "2",
            "--failure-policy", "collect-all", "-q"] + list(extra)


def verdicts(out):
    ev = json.load(open(os.path.join(out, "evidence.json")))
    return sorted((e["node"], e["gate_id"], e["outcome"]) for e in ev)


env = dict(os.environ, FAKE_SLEEP_MS="40")
ref = os.path.join(WORK, "ref")
t0 = time.time()
r = subprocess.run(cmd(ref), env=env, capture_output=True, text=True)
full_s = time.time() - t0
C.check("uninterrupted fake run exits 0: %d %s" % (r.returncode, r.stderr[-500:]), r.returncode == 0)
base = verdicts(ref)
C.check("fake run produced %d entries" % len(base), len(base) > 50)

for frac in (0.1, 0.35, 0.6, 0.85):
    out = os.path.join(WORK, "kill%02d" % int(frac * 100))
    p = subprocess.Popen(cmd(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(full_s * frac)
    p.send_signal(signal.SIGKILL)
    p.wait()
    evp = os.path.join(out, "evidence.json")
    if os.path.exists(evp):
        try:
            json.load(open(evp))
            C.check("evidence.json after SIGKILL at %.2f is valid JSON" % frac, True)
        except ValueError:
            C.check("evidence.json after SIGKILL at %.2f is not valid JSON" % frac, False)
    else:
        C.check("evidence.json after SIGKILL at %.2f is absent (allowed)" % frac, True)
    lines = open(os.path.join(out, "evidence.jsonl"), "rb").read().split(b"\n")
    complete = [l for l in lines[:-1] if l]
    ok = all(json.loads(l) is not None for l in complete)
    C.check("journal lines parse after SIGKILL at %.2f" % frac, ok and json.loads(complete[0])["type"] == "header")
    done_nodes = {json.loads(l)["node"] for l in complete[1:]}
    # every node whose result.json exists finished; journaled nodes are a subset of started ones
    started = set(os.listdir(os.path.join(out, "nodes"))) if os.path.isdir(os.path.join(out, "nodes")) else set()
    C.check("journaled nodes were started (%.2f)" % frac, done_nodes <= started | {n for n in done_nodes if "gpu" in n})
    r = subprocess.run(cmd(out, ["--resume"]), env=env, capture_output=True, text=True)
    C.check("resume after kill at %.2f exits 0: %s" % (frac, r.stderr[-300:]), r.returncode == 0)
    C.check("resume after kill at %.2f gives the same verdicts" % frac, verdicts(out) == base)
    print("kill at %.0f%%: %d nodes journaled before the kill" % (frac * 100, len(done_nodes)))

# Crashed, Timeout, non-zero exit through `run`; exit code 1; G2/G3 ids for matrix cells.
out = os.path.join(WORK, "faults")
env2 = dict(os.environ, FAKE_CRASH="run-cpu-safetensors", FAKE_HANG="conversion_pair-GA-cpu")
r = subprocess.run(cmd(out, ["--timeout", "1500"]), env=env2, capture_output=True, text=True)
C.check("faulty run exits 1 (got %d)" % r.returncode, r.returncode == 1)
ev = json.load(open(os.path.join(out, "evidence.json")))
g3 = [e for e in ev if e["gate_id"] == "G3-STABLE"]
C.check("matrix crashes are G3-STABLE Crashed", len(g3) == 10 and all(e["outcome"] == "Crashed" and e["metadata"].get("gate") == "F-A1-001" for e in g3))
ga = [e for e in ev if e["gate_id"] == "F-CONV-G-A" and e["scenario"]["backend"] == "cpu"]
C.check("hung check is Timeout", len(ga) == 1 and ga[0]["outcome"] == "Timeout" and ga[0]["reason"] == "Timed out after 1500ms")
mqs = json.load(open(os.path.join(out, "mqs.json")))
anchor = mqs["anchor_mqs"]  # the anchor's MQS, kept under its own key (docs/scoring.md)
C.check("a crash fails the anchor's gateway G3", anchor["raw_score"] == 0 and not anchor["gateways_passed"])
verdict = mqs["verdict"]
C.check("crashes and a timeout: NOT CERTIFIED, named as such (%s)" % verdict["headline"],
        verdict["status"] == "NOT CERTIFIED" and verdict["counts"]["crashed"] == sum(e["outcome"] == "Crashed" for e in ev)
        and verdict["counts"]["timeout"] == sum(e["outcome"] == "Timeout" for e in ev) >= 1
        and verdict["grade"] == "F")
C.check("-q prints the summary: the verdict line is on stdout", verdict["headline"] in r.stdout.splitlines())
# every scheduled node got exactly one journal record
recs = [json.loads(l) for l in open(os.path.join(out, "evidence.jsonl")) if l.strip()]
nodes = [x["node"] for x in recs if x["type"] == "node"]
C.check("one outcome per node", len(nodes) == len(set(nodes)))
dry = subprocess.run([BIN, "run", PLAYBOOK, "--model-path", snap, "--dry-run", "-o", out], capture_output=True, text=True)
C.check("journal covers every planned node", dry.returncode == 0 and len(nodes) == dry.stdout.count("\n  n"))

# Ctrl-C: children stopped, completed entries written, the rest Skipped "run interrupted", exit 130.
out = os.path.join(WORK, "sigint")
p = subprocess.Popen(cmd(out), env=dict(os.environ, FAKE_SLEEP_MS="200"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(2)
p.send_signal(signal.SIGINT)
rc = p.wait()
C.check("SIGINT exits 130 (got %d)" % rc, rc == 130)
ev = json.load(open(os.path.join(out, "evidence.json")))
C.check("completed entries kept after SIGINT", any(e["outcome"] == "Corroborated" for e in ev))
C.check("the rest is Skipped 'run interrupted'", all(e["outcome"] == "Corroborated" or e["reason"] in ("run interrupted", "no CUDA device") for e in ev))
v = json.load(open(os.path.join(out, "mqs.json")))["verdict"]
C.check("an interrupted run is NOT CERTIFIED, its unrun gates named (%s)" % v["headline"],
        v["status"] == "NOT CERTIFIED" and v.get("not_run") and "gates not run before the run stopped" in v["headline"])
left = subprocess.run(["pgrep", "-f", out], capture_output=True, text=True).stdout.strip()
C.check("no worker left running after SIGINT: " + left, left == "")

C.finish()
