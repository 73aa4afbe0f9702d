"""Shared helpers for the formats oracle tests (test_formats_*.py).

Not a test itself (no test_ prefix). Provides: a tiny pass/fail counter, paths from the CTest
environment, running apr-qa and the oracle_formats_write tool, and gguf-py field decoding.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import traceback


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)
        return cond

    def eq(self, a, b, what):
        ok = a == b
        if not ok:
            sa, sb = repr(a), repr(b)
            print(f"FAIL: {what}: {sa[:300]} != {sb[:300]}", flush=True)
            self.failed += 1
        else:
            self.passed += 1
        return ok

    def run(self, name, fn, *args):
        print(f"-- {name}", flush=True)
        try:
            fn(self, *args)
        except Exception:  # a crash in a section is a failure, never a skip
            self.failed += 1
            print(f"FAIL: {name} raised:\n{traceback.format_exc()}", flush=True)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


def env_path(name):
    v = os.environ.get(name)
    if not v:
        raise SystemExit(f"{name} is not set (run through ctest)")
    return v


def apr_bin():
    return env_path("APR_QA_BIN")


def tool(name):
    return os.path.join(env_path("APR_QA_TOOLS_DIR"), name)


def work_dir(tag):
    base = os.environ.get("APR_QA_WORK_DIR") or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=tag + "-", dir=base)


def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> {p.returncode}\n{p.stderr}")
    return p


def inspect_json(path):
    p = run([apr_bin(), "inspect", "--json", "--full", "--hash", path])
    return json.loads(p.stdout)


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def gguf_field_value(field):
    """(type_name, element_type_name or None, python value) of a gguf-py ReaderField."""
    from gguf import GGUFValueType as T
    main = field.types[0]
    def scalar(part, t):
        if t == T.STRING:
            return bytes(part).decode("utf-8")
        if t == T.BOOL:
            return bool(part[0])
        if t in (T.FLOAT32, T.FLOAT64):
            return float(part[0])
        return int(part[0])
    if main == T.ARRAY:
        sub = field.types[-1]
        return main.name, sub.name, [scalar(field.parts[i], sub) for i in field.data]
    return main.name, None, scalar(field.parts[field.data[0]], main)
