"""Shared support for the oracle tests (the test_*.py scripts beside it). Not a test itself.

One pass/fail counter (`Checks`): every check prints a line, `finish()` prints "N passed, M failed"
and exits non-zero when anything failed *or nothing was checked* (an oracle that checked nothing
proved nothing). Paths come from the CTest environment (docs/contributing.md): a required variable
that is missing stops the script with its name. Also: running apr-qa and the oracle tools, and
gguf-py field decoding.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import traceback


class Checks:
    """Counts checks. `quiet` prints failures only (for scripts that make thousands of checks)."""

    def __init__(self, quiet=False):
        self.passed = 0
        self.failed = 0
        self.quiet = quiet

    def check(self, what, cond, detail=""):
        if cond:
            self.passed += 1
            if not self.quiet:
                print(f"PASS {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what} {detail}".rstrip()[:2000], flush=True)
        return bool(cond)

    def eq(self, a, b, what):
        ok = a == b
        if not ok:
            sa, sb = repr(a), repr(b)
            print(f"FAIL {what}: {sa[:300]} != {sb[:300]}", flush=True)
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
            print(f"FAIL {name} raised:\n{traceback.format_exc()}", flush=True)

    def summary(self):
        """Prints the tally; returns the exit code (1 when anything failed or nothing was checked)."""
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed or not self.passed else 0

    def finish(self):
        sys.exit(self.summary())


def env_path(name, default=None):
    v = os.environ.get(name) or default
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


def apr(*args):
    """Runs apr-qa with ARGS; returns its stdout, raises RuntimeError (with stderr) on a non-zero exit."""
    return run([apr_bin(), *args]).stdout


def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} -> {p.returncode}\n{p.stderr[-4000:]}")
    return p


def stdout_of(cmd):
    """Runs CMD; returns its stdout, raises RuntimeError (with the stderr tail) on a non-zero exit."""
    return run(cmd).stdout


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
