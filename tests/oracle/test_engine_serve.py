#!/usr/bin/env python3
"""`apr-qa serve` driven by real HTTP clients (requests and the openai package) on a free loopback
port, on the real SmolLM2-135M-Instruct Q4_1 model: health, models, /generate (equal to
`apr-qa generate --json`), chat completions non-streaming and SSE streaming (the streamed text
equals the non-streamed text), concurrent requests (all answered, identical greedy answers),
malformed and oversized bodies (4xx JSON errors, server still healthy afterwards). The server is
always killed at the end. Prints "N passed, N failed"; exits non-zero on any failure.
"""
import json
import os
import socket
import subprocess
import threading
import time

from oracle_support import Checks

BIN = os.environ.get("APR_QA_BIN", "")
MODELS = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
MODEL = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")

C = Checks()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main(proc_holder):
    import requests
    import openai
    if not BIN or not os.path.exists(BIN):
        C.check(f"APR_QA_BIN is set to an existing binary ({BIN!r})", False)
        return
    if not os.path.exists(MODEL):
        C.check(f"real model present at {MODEL}", False)
        return
    port = free_port()
    proc = subprocess.Popen([BIN, "serve", MODEL, "--port", str(port), "--max-body", "65536"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc_holder.append(proc)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    healthy = None
    while time.time() < deadline and proc.poll() is None:
        try:
            healthy = requests.get(base + "/health", timeout=2)
            break
        except requests.exceptions.ConnectionError:
            time.sleep(0.3)
    C.check("GET /health answers {\"status\":\"healthy\"}",
          healthy is not None and healthy.status_code == 200 and healthy.json().get("status") == "healthy")
    if healthy is None:
        return
    m = requests.get(base + "/v1/models", timeout=10).json()
    C.check("GET /v1/models lists the served model", m.get("object") == "list" and len(m.get("data", [])) == 1)

    # /generate equals the CLI's greedy generation.
    g = requests.post(base + "/generate", json={"prompt": "What is 2+2?", "chat": True, "max_tokens": 24},
                      timeout=300)
    cli = json.loads(subprocess.run([BIN, "generate", MODEL, "--chat", "-p", "What is 2+2?", "--max-tokens", "24",
                                     "--json"], capture_output=True, text=True, check=True).stdout)
    gj = g.json()
    C.check(f"POST /generate matches apr-qa generate ({gj.get('text')!r})",
          g.status_code == 200 and gj["tokens"] == cli["tokens"] and gj["text"] == cli["text"] and gj["text"])

    # OpenAI client, non-streaming and streaming.
    client = openai.OpenAI(base_url=base + "/v1", api_key="unused")
    msgs = [{"role": "user", "content": "What is 2+2?"}]
    r = client.chat.completions.create(model=m["data"][0]["id"], messages=msgs, max_tokens=24, temperature=0)
    text = r.choices[0].message.content
    C.check(f"openai chat.completions non-streaming: {text!r}, finish {r.choices[0].finish_reason}",
          text == cli["text"] and r.choices[0].finish_reason in ("stop", "length") and r.usage.completion_tokens > 0)
    parts = []
    finish = None
    for chunk in client.chat.completions.create(model=m["data"][0]["id"], messages=msgs, max_tokens=24,
                                                temperature=0, stream=True):
        d = chunk.choices[0].delta
        if d.content:
            parts.append(d.content)
        if chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    C.check(f"openai streaming: {len(parts)} chunks joined equal the non-streamed text, finish {finish}",
          "".join(parts) == text and len(parts) > 1 and finish is not None)
    raw = requests.post(base + "/v1/chat/completions", json={"messages": msgs, "max_tokens": 4, "stream": True},
                        timeout=300)
    lines = [l for l in raw.text.split("\n") if l.startswith("data: ")]
    C.check("SSE stream is text/event-stream and ends with data: [DONE]",
          raw.headers.get("Content-Type", "").startswith("text/event-stream") and lines and lines[-1] == "data: [DONE]")

    # Concurrent requests: all answered, identical greedy answers.
    results = []
    errors = []

    def worker(i):
        try:
            rr = requests.post(base + "/generate", json={"prompt": "Name a color.", "chat": True, "max_tokens": 8},
                               timeout=600)
            results.append((rr.status_code, rr.json().get("tokens")))
        except Exception as e:  # noqa
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    health_during = []
    for t in threads:
        t.start()
    time.sleep(0.5)
    try:
        health_during.append(requests.get(base + "/health", timeout=30).status_code)
    except Exception as e:  # noqa
        health_during.append(repr(e))
    for t in threads:
        t.join()
    C.check(f"4 concurrent /generate requests all answered identically (errors {errors})",
          not errors and len(results) == 4 and all(s == 200 for s, _ in results)
          and len({json.dumps(t) for _, t in results}) == 1)
    C.check(f"/health answers while generation requests are queued ({health_during})", health_during == [200])

    # Malformed and oversized bodies -> 4xx JSON errors; server stays up.
    bad = [
        ("malformed JSON", "/generate", "{not json"),
        ("JSON array body", "/generate", "[1,2]"),
        ("missing prompt", "/generate", json.dumps({"max_tokens": 3})),
        ("wrong type", "/generate", json.dumps({"prompt": 5})),
        ("negative max_tokens", "/generate", json.dumps({"prompt": "x", "max_tokens": -1})),
        ("token id out of range", "/generate", json.dumps({"tokens": [1, 10 ** 9]})),
        ("messages missing", "/v1/chat/completions", json.dumps({"model": "x"})),
        ("message not an object", "/v1/chat/completions", json.dumps({"messages": ["hi"]})),
        ("oversized body", "/generate", json.dumps({"prompt": "a" * 100000})),
    ]
    for label, path, body in bad:
        rr = requests.post(base + path, data=body, headers={"Content-Type": "application/json"}, timeout=60)
        ok = 400 <= rr.status_code < 500
        try:
            ok = ok and "message" in rr.json()["error"]
        except Exception:
            ok = False
        C.check(f"{label}: HTTP {rr.status_code} with a JSON error", ok)
    C.check("server still healthy after bad requests",
          requests.get(base + "/health", timeout=10).status_code == 200 and proc.poll() is None)


if __name__ == "__main__":
    holder = []
    try:
        main(holder)
    except Exception as e:
        C.check(f"unexpected error: {e!r}", False)
    finally:
        for p in holder:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            C.check(f"server exited cleanly on SIGTERM (rc {p.returncode})", p.returncode in (0, -15))
    C.finish()
