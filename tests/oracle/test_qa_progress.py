"""`apr-qa run` on a terminal, driven through a pseudo-terminal 60 columns wide (COLUMNS=200 in the
environment, to show the window size wins): the live progress line never wraps (every redraw fits
59 columns), it is cleared at the end (no stale "running:" row on the final screen), and the
summary (verdict line, evidence and report paths) is printed. `-q` on the same terminal prints the
summary and no progress; with pipes (not a terminal) there is no live line and no escape sequence,
and the summary is on stdout. Uses the fake worker (tests/oracle/tools/qa_fake_worker.cpp) on the
seed playbook's DAG, so it needs no model code. Env: APR_QA_BIN, APR_QA_TOOLS_DIR,
APR_QA_SHARED_DIR, APR_QA_WORK_DIR."""
import fcntl, json, os, pty, re, shutil, struct, subprocess, termios

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
WORKER = os.path.join(os.environ["APR_QA_TOOLS_DIR"], "oracle_qa_fake_worker")
SHARED = os.environ["APR_QA_SHARED_DIR"]
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-progress")
PLAYBOOK = os.path.join(SHARED, "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml")
COLS = 60

C = Checks()

shutil.rmtree(WORK, ignore_errors=True)
snap = os.path.join(WORK, "snapshot")
os.makedirs(snap)
with open(os.path.join(snap, "model.safetensors"), "wb") as f:
    f.write(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
open(os.path.join(snap, "config.json"), "w").write("{}")
ENV = dict(os.environ, FAKE_SLEEP_MS="30", COLUMNS="200", TERM="xterm")


def cmd(out, extra=()):
    return [BIN, "run", PLAYBOOK, "--model-path", snap, "-o", out, "--worker", WORKER, "-j", "4",
            "--failure-policy", "collect-all"] + list(extra)


def run_in_pty(argv):
    """Runs argv with stdin/stdout/stderr on one pty of COLS columns; returns (exit code, text)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLS, 0, 0))
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=ENV, start_new_session=True)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child side closed
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return p.wait(), data.decode("utf-8", "replace")


CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def emulate(text, cols):
    """A minimal terminal: printable characters, CR, LF, CSI K (erase to end of line); other CSI
    sequences are ignored. Returns (final screen lines, number of automatic wraps)."""
    lines, row, col, wraps, i = [[]], 0, 0, 0, 0
    while i < len(text):
        m = CSI.match(text, i)
        if m:
            if m.group(2) == "K":
                del lines[row][col:]
            i = m.end()
            continue
        c = text[i]
        i += 1
        if c == "\r":
            col = 0
        elif c == "\n":
            row += 1
            col = 0
            if row == len(lines):
                lines.append([])
        elif c >= " ":
            if col >= cols:  # the terminal wraps onto a new row
                wraps += 1
                row += 1
                col = 0
                if row == len(lines):
                    lines.append([])
            line = lines[row]
            while len(line) < col:
                line.append(" ")
            if col < len(line):
                line[col] = c
            else:
                line.append(c)
            col += 1
    return ["".join(l).rstrip() for l in lines], wraps


def redraws(text):
    """Every progress line drawn: the text after each CR+erase up to the next control character."""
    return [s for s in re.findall(r"\r\x1b\[K([^\r\n\x1b]*)", text) if s.startswith("[")]


def headline_of(out):
    return json.load(open(os.path.join(out, "mqs.json")))["verdict"]["headline"]


# 1. A terminal 60 columns wide.
out = os.path.join(WORK, "tty")
rc, text = run_in_pty(cmd(out))
C.check("tty run exits 0 (got %d)" % rc, rc == 0)
draws = redraws(text)
C.check("the live progress line was drawn (%d redraws)" % len(draws), len(draws) > 5)
C.check("some redraw lists running nodes", any("running:" in d for d in draws))
widest = max((len(d) for d in draws), default=0)
C.check("every progress redraw fits %d columns (widest %d)" % (COLS - 1, widest), widest <= COLS - 1)
C.check("a redraw that was cut ends in '...'", any(d.endswith("...") for d in draws))
screen, _ = emulate(text, COLS)
stale = [l for l in screen if "running:" in l or "ETA" in l]
C.check("no stale progress row on the final screen: %r" % stale[:2], not stale)
head = headline_of(out)
C.check("the verdict line is printed: %s" % head, head in text)
# The summary may wrap like any printed text; the progress before it must not have.
_, wraps = emulate(text[:text.find(head)], COLS)
C.check("no progress redraw wrapped: %d wraps before the summary" % wraps, wraps == 0)
C.check("the verdict line starts a row of its own (the progress line was cleared first)",
        any(l == head[:COLS].rstrip() for l in screen))
C.check("evidence and report paths are the last lines",
        text.replace("\r\n", "\n").rstrip("\n").split("\n")[-2:]
        == ["evidence: " + os.path.join(out, "evidence.json"), "report: " + os.path.join(out, "report.html")])

# 2. -q on the same terminal: the summary, no progress.
out = os.path.join(WORK, "tty_q")
rc, text = run_in_pty(cmd(out, ["-q"]))
C.check("-q exits 0 (got %d)" % rc, rc == 0)
C.check("-q draws no progress", "running:" not in text and "ETA" not in text and "\x1b[" not in text)
C.check("-q prints the verdict line", headline_of(out) in text)
C.check("-q prints the evidence path", "evidence: " + os.path.join(out, "evidence.json") in text)

# 3. Not a terminal (pipes): plain per-node lines on stderr, no live line, the summary on stdout.
out = os.path.join(WORK, "pipe")
r = subprocess.run(cmd(out), env=ENV, capture_output=True, text=True)
C.check("piped run exits 0 (got %d)" % r.returncode, r.returncode == 0)
C.check("no live line and no escape sequence when not a terminal",
        "running:" not in r.stderr and "\x1b[" not in r.stderr and "\x1b[" not in r.stdout)
C.check("one plain line per finished node on stderr", len([l for l in r.stderr.splitlines() if l.startswith("[")]) > 5)
lines = r.stdout.splitlines()
C.check("stdout ends with the summary: %r" % lines[-3:],
        len(lines) >= 3 and lines[-3] == headline_of(out) and lines[-2].startswith("evidence: ") and lines[-1].startswith("report: "))
C.check("the verdict of an all-pass run: CERTIFIED", headline_of(out).startswith("CERTIFIED"))

C.finish()
