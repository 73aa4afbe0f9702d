"""serve matrix cells (F-A5-001 cpu, F-A6-001 gpu) end to end: `apr-qa run` on a playbook with
modalities [serve] and the real SmolLM2-135M Q4_1 GGUF. The worker must start `apr-qa serve`,
see it healthy, get a completion over HTTP that passes the garbage oracle (F-A5 Corroborated,
generated_tokens >= 1, http_status 200), Skip the gpu cell "no CUDA device", and leave no server
process behind. Independent check: the completion text is compared with a direct request to our
own `apr-qa serve` started by this script (same greedy output). Negative cases through the
APR_QA_SERVE_EXE knob: a server that exits at once, one that never answers /health, one whose
/generate answers HTTP 500 -> Falsified with the cause; a worker killed on node timeout takes its
hanging server with it. Env: APR_QA_BIN, APR_QA_MODELS_DIR, APR_QA_WORK_DIR."""
import json, os, shutil, socket, stat, subprocess, sys, time, urllib.request

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
MODELS = os.environ.get("APR_QA_MODELS_DIR", "/root/.cache/apr-qa/models")
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-serve-test")
MODEL = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
PROMPT = "The capital of France is"

C = Checks(quiet=True)


def playbook(path, timeout_ms=300000):
    with open(path, "w") as f:
        f.write(f"""name: serve-test
version: "1.0.0"
model:
  hf_repo: "HuggingFaceTB/SmolLM2-135M-Instruct"
  formats: [gguf]
  size_category: tiny
test_matrix:
  modalities: [serve]
  backends: [cpu, gpu]
  scenario_count: 1
  seed: 0
  timeout_ms: {timeout_ms}
  prompts:
    - "{PROMPT}"
oracles:
  - type: garbage
failure_policy: collect_all
""")
    return path


def processes_with(marker):
    """pids whose command line contains every string in `marker` (ours excluded)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        text = [a.decode(errors="replace") for a in args]
        if all(any(m == a for a in text) for m in marker):
            found.append(int(d))
    return found


def no_survivor(marker, what):
    deadline = time.time() + 3
    while time.time() < deadline and processes_with(marker):
        time.sleep(0.1)
    left = processes_with(marker)
    C.check(f"{what}: process(es) {left} with {marker} survived the run", not left)


def run_qa(name, env_extra=None, timeout_ms=300000):
    out = os.path.join(WORK, name)
    pb = playbook(os.path.join(WORK, name + ".playbook.yaml"), timeout_ms)
    env = dict(os.environ)
    env["TMPDIR"] = TMP  # the worker's scratch files for the server must not outlive it
    env.update(env_extra or {})
    r = subprocess.run([BIN, "run", pb, "--model-path", MODEL, "-o", out, "-j", "1", "-q"],
                       capture_output=True, text=True, env=env, timeout=600)
    path = os.path.join(out, "evidence.json")
    if not os.path.isfile(path):
        C.check(f"{name}: no evidence.json (exit {r.returncode}): {r.stderr[-2000:]}", False)
        return r, []
    return r, json.load(open(path))


def entries(ev, gate):
    return [e for e in ev if e["gate_id"] == gate]


def measure(e, name):
    for m in e.get("measurements", []):
        if m["name"] == name:
            return m["value"]
    return None


def script(name, body):
    p = os.path.join(WORK, name)
    with open(p, "w") as f:
        f.write(body)
    os.chmod(p, os.stat(p).st_mode | stat.S_IXUSR)
    return p


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
TMP = os.path.join(WORK, "tmp")
os.makedirs(TMP)
if not os.path.isfile(MODEL):
    print("FAIL: model not found:", MODEL)
    print("0 passed, 1 failed")
    sys.exit(1)

# --- positive: the real server ---------------------------------------------------------------
r, ev = run_qa("real")
C.check(f"real: exit {r.returncode}: {r.stderr[-2000:]}", r.returncode in (0, 1))  # other gates may fail; the serve cells are judged below
a5 = entries(ev, "F-A5-001")
a6 = entries(ev, "F-A6-001")
C.check(f"real: {len(a5)} F-A5-001 entries, expected 1", len(a5) == 1)
C.check(f"real: {len(a6)} F-A6-001 entries, expected 1", len(a6) == 1)
served_text = None
for e in a5:
    C.check(f"F-A5-001 {e['outcome']}: {e['reason']} / {e['output'][-800:]}", e["outcome"] == "Corroborated")
    C.check(f"F-A5-001 generated_tokens {measure(e, 'generated_tokens')}", (measure(e, "generated_tokens") or 0) >= 1)
    C.check(f"F-A5-001 http_status {measure(e, 'http_status')}", measure(e, "http_status") == 200)
    C.check(f"F-A5-001 server_healthy {measure(e, 'server_healthy')}", measure(e, "server_healthy") == 1)
    C.check(f"F-A5-001 oracle_pass {measure(e, 'oracle_pass')}", measure(e, "oracle_pass") == 1)
    C.check("F-A5-001 latency_ms recorded", (measure(e, "latency_ms") or 0) > 0)
    C.check("F-A5-001 tokens_per_second recorded", (measure(e, "tokens_per_second") or 0) > 0)
    C.check(f"F-A5-001 scenario {e['scenario']}", e["scenario"]["modality"] == "serve" and e["scenario"]["backend"] == "cpu")
    served_text = e["output"].rsplit("\n[", 1)[0]
    C.check("F-A5-001 output holds the generated text", len(served_text.strip()) > 0)
for e in a6:
    C.check(f"F-A6-001 {e['outcome']}: {e['reason']}", e["outcome"] == "Skipped" and "no CUDA device" in e["reason"])
no_survivor(["serve", MODEL], "real")

# Independent of the worker: our own request to a server this script starts gives the same text.
port = free_port()
srv = subprocess.Popen([BIN, "serve", MODEL, "--host", "127.0.0.1", "--port", str(port)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    body = None
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as h:
                if b"healthy" in h.read():
                    break
        except OSError:
            time.sleep(0.2)
    req = urllib.request.Request(f"http://127.0.0.1:{port}/generate",
                                 data=json.dumps({"prompt": PROMPT, "max_tokens": 32, "temperature": 0}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as g:
        body = json.loads(g.read())
    C.check(f"direct /generate text {body['text']!r} != cell output {served_text!r}",
          served_text is not None and body["text"] == served_text)
finally:
    srv.terminate()
    srv.wait(10)

# --- negative: a server that exits at once ----------------------------------------------------
dies = script("fake_dies.sh", "#!/bin/sh\necho 'fake server: cannot load model' >&2\nexit 3\n")
r, ev = run_qa("dies", {"APR_QA_SERVE_EXE": dies})
C.check(f"dies: exit {r.returncode}, expected 1", r.returncode == 1)
for e in entries(ev, "F-A5-001"):
    C.check(f"dies: F-A5-001 {e['outcome']}", e["outcome"] == "Falsified")
    C.check(f"dies: reason {e['reason']!r}", "server_healthy" in e["reason"])
    C.check(f"dies: output {e['output']!r}", "exited with status 3" in e["output"] and "cannot load model" in e["output"])
    C.check("dies: generated_tokens 0", measure(e, "generated_tokens") == 0)
C.check("dies: one F-A5-001 entry", len(entries(ev, "F-A5-001")) == 1)

# --- negative: announces a port where nothing listens, never healthy --------------------------
dead = free_port()
hangs = script("fake_hangs.sh", f"#!/bin/sh\necho 'apr-qa serve: listening on http://127.0.0.1:{dead} (fake)'\nexec sleep 3117\n")
t0 = time.time()
r, ev = run_qa("hangs", {"APR_QA_SERVE_EXE": hangs, "APR_QA_SERVE_HEALTH_TIMEOUT_MS": "1500"})
C.check(f"hangs: exit {r.returncode}, expected 1", r.returncode == 1)
for e in entries(ev, "F-A5-001"):
    C.check(f"hangs: F-A5-001 {e['outcome']}", e["outcome"] == "Falsified")
    C.check(f"hangs: output {e['output']!r}", "not healthy within 1500 ms" in e["output"] and "cannot connect" in e["output"])
C.check("hangs: one F-A5-001 entry", len(entries(ev, "F-A5-001")) == 1)
no_survivor(["sleep", "3117"], "hangs")

# --- negative: healthy, but /generate answers HTTP 500 ----------------------------------------
py = sys.executable
err500 = script("fake_500.py", f"""#!{py}
import http.server, sys

class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self.reply(200, '{{"status":"healthy"}}')
    def do_POST(self):
        self.reply(500, '{{"error":"engine exploded"}}')
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print("apr-qa serve: listening on http://127.0.0.1:%d (fake)" % s.server_address[1], flush=True)
s.serve_forever()
""")
r, ev = run_qa("err500", {"APR_QA_SERVE_EXE": err500})
C.check(f"err500: exit {r.returncode}, expected 1", r.returncode == 1)
for e in entries(ev, "F-A5-001"):
    C.check(f"err500: F-A5-001 {e['outcome']}", e["outcome"] == "Falsified")
    C.check(f"err500: measurements {e['measurements']}", measure(e, "server_healthy") == 1 and measure(e, "http_status") == 500)
    C.check(f"err500: reason {e['reason']!r} output {e['output']!r}", "http_status" in e["reason"] and "engine exploded" in e["output"])
no_survivor([err500], "err500")

# --- the worker is killed on node timeout: its hanging server dies with it ---------------------
r, ev = run_qa("timeout", {"APR_QA_SERVE_EXE": hangs, "APR_QA_SERVE_HEALTH_TIMEOUT_MS": "60000"}, timeout_ms=2000)
outs = [e["outcome"] for e in ev if e["scenario"]["modality"] == "serve" and e["scenario"]["backend"] == "cpu"]
C.check(f"timeout: serve cell outcomes {outs}, expected ['Timeout']", outs == ["Timeout"])
no_survivor(["sleep", "3117"], "timeout")

C.check(f"scratch files left in TMPDIR: {os.listdir(TMP)}", os.listdir(TMP) == [])

C.finish()
