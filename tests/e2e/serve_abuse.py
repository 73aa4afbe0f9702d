#!/usr/bin/env python3
"""apr-qa serve under abuse (issue 13): raw sockets only (stdlib), so that every byte is ours.

Checks (CTest e2e.serve_abuse, tiny fixture model unless --model):
  1. /health answers within a bound while --max-queue generations are admitted (and reports
     p50/p99 of its latency);
  2. one more generation request gets 503 with Retry-After and a JSON error;
  3. trickling clients (1 byte every 0.5 s) get 408 or are dropped after --read-timeout, and
     /health stays fast while 12 of them trickle;
  4. a POST with a non-JSON Content-Type gets 415;
  5. a Range request gets the whole JSON (200, no multipart, Accept-Ranges: none), and 2,000
     ranges get a small answer (431), never a multipart body;
  6. a client that disconnects from a non-streamed (and a streamed) generation stops it:
     /metrics counts it cancelled, the engine goes idle within a bound and tokens stop;
  7. connections beyond --max-connections get 503; the server exits 0 on SIGTERM.
--bench prints the Markdown table of docs/reliability.md ("serve under abuse") instead of only
pass/fail lines; bench/serve_abuse.sh runs it on the real SmolLM2 GGUF.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FAILS = []


def check(label, ok):
    print(("ok   " if ok else "FAIL ") + label, flush=True)
    if not ok:
        FAILS.append(label)


class Resp:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body.decode("utf-8", "replace"))


def parse_response(raw, seconds):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return Resp(status, headers, body, seconds)


def request(port, method, path, body=None, headers=None, timeout=30.0):
    """One request on a fresh connection (Connection: close); reads to EOF."""
    t0 = time.monotonic()
    h = {"Host": "127.0.0.1", "Connection": "close"}
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    data = body.encode() if isinstance(body, str) else (body or b"")
    if body is not None:
        h["Content-Length"] = str(len(data))
    msg = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items() if v is not None) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(msg.encode("latin-1") + data)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    return parse_response(b"".join(chunks), time.monotonic() - t0)


def metrics(port):
    return request(port, "GET", "/metrics").json()


def wait_for(pred, seconds, step=0.02):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def health_latencies(port, n, interval):
    out = []
    for _ in range(n):
        try:
            r = request(port, "GET", "/health", timeout=10)
            out.append(r.seconds if r.status == 200 else float("inf"))
        except OSError:
            out.append(float("inf"))
        time.sleep(interval)
    return out


def gen_body(tokens, stream=False):
    if stream:
        return json.dumps({"messages": [{"role": "user", "content": "Count."}], "max_tokens": tokens,
                           "ignore_eos": True, "stream": True})
    return json.dumps({"prompt": "Count to a thousand:", "max_tokens": tokens, "ignore_eos": True})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model", help="model to serve (default: a tiny llama fixture)")
    ap.add_argument("--work", help="scratch folder (default: a temporary one)")
    ap.add_argument("--queue", type=int, default=4, help="--max-queue and the number of queued generations")
    ap.add_argument("--gen-tokens", type=int, default=3000, help="max_tokens of each queued generation")
    ap.add_argument("--long-tokens", type=int, default=14000, help="max_tokens of the abandoned generation")
    ap.add_argument("--ctx", type=int, default=16384)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--health-bound", type=float, default=1.0, help="max seconds of any /health while queued")
    ap.add_argument("--health-samples", type=int, default=40)
    ap.add_argument("--read-timeout", type=float, default=2.0)
    ap.add_argument("--bench", action="store_true", help="print the Markdown table")
    a = ap.parse_args()

    work = a.work or tempfile.mkdtemp(prefix="apr-qa-serve-abuse.")
    os.makedirs(work, exist_ok=True)
    model = a.model
    if not model:
        model = os.path.join(work, "fixture")
        subprocess.run([a.bin, "fixture", "--arch", "llama", "-o", model], check=True, stdout=subprocess.DEVNULL)
    max_conn = 32
    errlog = open(os.path.join(work, "serve.err"), "w+")
    proc = subprocess.Popen([a.bin, "serve", model, "--port", "0", "--threads", str(a.threads), "--ctx", str(a.ctx),
                             "--max-queue", str(a.queue), "--max-connections", str(max_conn),
                             "--read-timeout", str(a.read_timeout), "--max-tokens-limit", str(max(a.long_tokens, 4096))],
                            stdout=subprocess.PIPE, stderr=errlog, text=True)
    rows = []
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split()[0]) if "http://127.0.0.1:" in line else 0
        check(f"serve started ({line.strip()!r})", port > 0)
        if port <= 0:
            return

        # 1-2. Queue --queue generations; /health while they run; one more gets 503.
        results = []

        def gen():
            try:
                results.append(request(port, "POST", "/generate", gen_body(a.gen_tokens), timeout=600).status)
            except OSError as e:
                results.append(repr(e))

        t_start = time.monotonic()
        ths = [threading.Thread(target=gen) for _ in range(a.queue)]
        for t in ths:
            t.start()
        m = wait_for(lambda: (lambda m: m if m["queue"]["waiting"] + m["queue"]["running"] == a.queue else None)(metrics(port)), 30)
        check(f"{a.queue} generation requests admitted (queue {m and m['queue']})", bool(m))
        extra = request(port, "POST", "/generate", gen_body(4))
        ok503 = extra.status == 503 and extra.headers.get("retry-after") == "1" and "queue" in extra.json()["error"]["message"]
        check(f"request {a.queue + 1} while the queue is full: HTTP {extra.status}, Retry-After {extra.headers.get('retry-after')}", ok503)
        lat = health_latencies(port, a.health_samples, 0.05)
        still = metrics(port)["queue"]
        check(f"the queue was still busy after the /health samples ({still})", still["running"] == 1)
        p50, p99, mx = pct(lat, 50) * 1000, pct(lat, 99) * 1000, max(lat) * 1000
        check(f"/health while {a.queue} generations queue: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {mx:.1f} ms "
              f"(bound {a.health_bound * 1000:.0f} ms)", max(lat) <= a.health_bound)
        rows.append((f"/health while {a.queue} generations are admitted ({a.health_samples} requests, 50 ms apart)",
                     f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {mx:.1f} ms"))
        rows.append((f"generation request {a.queue + 1} (queue full)", f"HTTP {extra.status}, Retry-After: 1, {extra.seconds * 1000:.1f} ms"))
        for t in ths:
            t.join()
        busy_s = time.monotonic() - t_start
        check(f"the {a.queue} queued generations all completed ({results})", results == [200] * a.queue)

        # 3. Trickling clients.
        trick = []

        def trickle(i):
            msg = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
            t0 = time.monotonic()
            got = b""
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    for b in msg:
                        s.sendall(bytes([b]))
                        s.settimeout(0.5)
                        try:
                            got = s.recv(4096)
                            break
                        except socket.timeout:
                            pass
                    s.settimeout(10)
                    while True:
                        c = s.recv(4096)
                        if not c:
                            break
                        got += c
            except OSError:
                pass
            trick.append((time.monotonic() - t0, got.split(b"\r\n")[0].decode("latin-1")))

        tt = [threading.Thread(target=trickle, args=(i,)) for i in range(12)]
        for t in tt:
            t.start()
        time.sleep(0.3)
        lat_t = health_latencies(port, 20, 0.05)
        for t in tt:
            t.join()
        worst = max(s for s, _ in trick)
        got408 = all(st.startswith("HTTP/1.1 408") or st == "" for _, st in trick)
        check(f"12 trickling clients: answered {sorted(set(st for _, st in trick))} within {worst:.2f} s "
              f"(read timeout {a.read_timeout} s)", got408 and len(trick) == 12 and worst <= a.read_timeout + 3)
        check(f"/health while 12 clients trickle: max {max(lat_t) * 1000:.1f} ms", max(lat_t) <= a.health_bound)
        rows.append(("12 clients trickling 1 byte / 0.5 s", f"all get 408 after {min(s for s, _ in trick):.2f}–{worst:.2f} s "
                     f"(--read-timeout {a.read_timeout:g}); /health meanwhile p50 {pct(lat_t, 50) * 1000:.1f} ms, "
                     f"max {max(lat_t) * 1000:.1f} ms"))

        # 4. Content-Type.
        r415 = request(port, "POST", "/generate", gen_body(2), headers={"Content-Type": "text/plain"})
        r415b = request(port, "POST", "/v1/chat/completions", "{}", headers={"Content-Type": None})
        check(f"non-JSON Content-Type: HTTP {r415.status}; none: HTTP {r415b.status}",
              r415.status == 415 and r415b.status == 415 and "Content-Type" in r415.json()["error"]["message"])
        rows.append(("POST with Content-Type text/plain / none", f"HTTP {r415.status} / {r415b.status}, JSON error"))

        # 5. Range.
        rr = request(port, "GET", "/health", headers={"Range": "bytes=" + ",".join(f"{i}-{i}" for i in range(200))})
        ok_range = (rr.status == 200 and "multipart" not in rr.headers.get("content-type", "")
                    and rr.headers.get("accept-ranges") == "none" and rr.json().get("status") == "healthy")
        check(f"Range with 200 ranges: HTTP {rr.status}, {rr.headers.get('content-type')}, Accept-Ranges "
              f"{rr.headers.get('accept-ranges')}, {len(rr.body)} bytes", ok_range)
        big = "bytes=" + ",".join(f"{i}-{i}" for i in range(2000))
        rb = request(port, "GET", "/health", headers={"Range": big})
        check(f"Range with 2,000 ranges ({len(big)} bytes): HTTP {rb.status}, {len(rb.body)} bytes",
              rb.status in (200, 431) and len(rb.body) < 1024 and b"multipart" not in rb.body)
        rows.append(("GET /health with 200 / 2,000 Range entries", f"HTTP {rr.status} whole JSON ({len(rr.body)} B, "
                     f"Accept-Ranges: none) / HTTP {rb.status} ({len(rb.body)} B); never multipart"))

        # 6. Disconnect cancellation, non-streamed and streamed.
        for streamed in (False, True):
            before = metrics(port)
            path = "/v1/chat/completions" if streamed else "/generate"
            body = gen_body(a.long_tokens, stream=streamed).encode()
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            if streamed:
                s.recv(4096)
            started = wait_for(lambda: metrics(port)["queue"]["running"] == 1, 30)
            time.sleep(1.0)
            tok_before_close = metrics(port)["tokens_generated"]
            s.close()
            t0 = time.monotonic()
            idle = wait_for(lambda: metrics(port)["queue"]["running"] == 0, 30, step=0.005)
            stop_ms = (time.monotonic() - t0) * 1000
            after = metrics(port)
            time.sleep(0.3)
            later = metrics(port)
            gen_tokens = after["tokens_generated"] - before["tokens_generated"]
            kind = "streamed" if streamed else "non-streamed"
            check(f"{kind} generation abandoned after 1 s: engine idle {stop_ms:.0f} ms after the disconnect, "
                  f"{gen_tokens} of {a.long_tokens} tokens, cancelled {before['generations']['cancelled']} -> "
                  f"{after['generations']['cancelled']}",
                  started and idle and after["generations"]["cancelled"] == before["generations"]["cancelled"] + 1
                  and gen_tokens < a.long_tokens and later["tokens_generated"] == after["tokens_generated"]
                  and stop_ms <= 2000)
            rows.append((f"{kind} request (max_tokens {a.long_tokens}) abandoned after 1 s",
                         f"engine idle {stop_ms:.0f} ms after the disconnect (polled every 5 ms), "
                         f"{after['tokens_generated'] - tok_before_close} tokens after the last poll before close, "
                         f"{gen_tokens} generated in all; counted cancelled"))
        err = open(os.path.join(work, "serve.err")).read()
        check("stderr names the stopped generations", err.count("client disconnected; generation stopped") == 2)

        # 7. Connection bound.
        idle_socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(max_conn - 1)]
        wait_for(lambda: metrics(port)["connections"]["open"] >= max_conn, 10)
        idle_socks.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.2)
        over = request(port, "GET", "/health")
        check(f"connection {max_conn + 1}: HTTP {over.status} ({over.body[:80]!r})",
              over.status == 503 and "connections" in over.json()["error"]["message"])
        for s in idle_socks:
            s.close()
        back = wait_for(lambda: request(port, "GET", "/health").status == 200, 10)
        check("after the idle connections close, /health answers 200 again", bool(back))
        rows.append((f"connection {max_conn + 1} with --max-connections {max_conn}", f"HTTP {over.status}, Retry-After: 1"))
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        check(f"server exited cleanly on SIGTERM (rc {proc.returncode})", proc.returncode == 0)
    if a.bench:
        print()
        print("| abuse | measured |")
        print("|---|---|")
        for k, v in rows:
            print(f"| {k} | {v} |")
    print(f"{len(FAILS)} failed" if FAILS else "all passed")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
