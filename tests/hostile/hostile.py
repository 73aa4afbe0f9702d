#!/usr/bin/env python3
"""Hostile-input regression corpus for apr-qa: generate each input, run the CLI on it, check.

Every case is one command on one crafted input (most generated here, at test time, so nothing
big is committed). A case passes when apr-qa exits with the expected code, prints exactly one
line on stderr containing the expected fragment, stays under the time and memory bounds, and
never needs to be killed. Used by CTest (hostile.corpus) and bench/hostile.sh (--markdown).

usage: hostile.py --bin APR_QA --work DIR [--markdown] [--only SUBSTR] [--max-seconds S] [--max-rss-mb M]
"""
import argparse
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib


def deep(n, open_="[", close="]"):
    return open_ * n + close * n


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def safetensors(header_text, data=b""):
    h = header_text.encode()
    return struct.pack("<Q", len(h)) + h + data


def apr_with_metadata(src, meta_text):
    """Rewrites an APR v2 file (from apr-qa convert) with new metadata JSON, fixing offsets and CRCs."""
    b = open(src, "rb").read()
    (meta_size,) = struct.unpack_from("<I", b, 20)
    (index_off, data_off) = struct.unpack_from("<QQ", b, 24)
    meta = meta_text.encode()
    new_index = 64 + (len(meta) + 63) // 64 * 64
    new_data = new_index + (data_off - index_off)
    head = bytearray(b[:64])
    struct.pack_into("<I", head, 20, len(meta))
    struct.pack_into("<QQ", head, 24, new_index, new_data)
    struct.pack_into("<I", head, 40, 0)
    crc = zlib.crc32(bytes(head[:40]) + bytes(head[44:64])) & 0xFFFFFFFF
    struct.pack_into("<I", head, 40, crc)
    body = bytes(head) + meta + b"\0" * (new_index - 64 - len(meta)) + b[index_off:len(b) - 4]
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def run(cmd, cwd=None, timeout=20):
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)


def generate(apr_bin, w):
    """Returns a list of (name, argv, expected_rc, fragment)."""
    cases = []

    def case(name, argv, rc, fragment):
        cases.append((name, [apr_bin] + argv, rc, fragment))

    # A valid tiny checkpoint to derive model-level cases from.
    # (regenerated every time: the inputs follow the apr-qa under test)
    fx = os.path.join(w, "fixture")
    gguf = os.path.join(w, "tiny.gguf")
    aprf = os.path.join(w, "tiny.apr")
    shutil.rmtree(fx, ignore_errors=True)
    for f in (gguf, aprf):
        if os.path.exists(f):
            os.remove(f)
    run([apr_bin, "fixture", "--arch", "llama", "--preset", "tiny", "-o", fx])
    run([apr_bin, "convert", fx, gguf])
    run([apr_bin, "convert", fx, aprf])

    def fixture_copy(name, replace):
        d = os.path.join(w, name)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(fx, d)
        for fname, text in replace.items():
            write(os.path.join(d, fname), text)
        return d

    # --- 1. deeply nested JSON (depth 100k) -----------------------------------------------
    p = write(f"{w}/st_deep_meta.safetensors", safetensors('{"__metadata__":{"x":' + deep(100000) + "}}"))
    case("safetensors header value nested 100k deep", ["inspect", p], 2, "nested deeper than 128")
    p = write(f"{w}/st_deep_dtype.safetensors", safetensors('{"a":{"dtype":' + deep(100000) + ',"shape":[1],"data_offsets":[0,4]}}', b"\0" * 4))
    case("safetensors tensor field nested 100k deep", ["inspect", p], 2, "nested deeper than 128")
    p = write(f"{w}/idx_deep/model.safetensors.index.json", '{"weight_map":{"a":' + deep(100000) + "}}")
    case("index.json weight_map nested 100k deep", ["inspect", p], 2, "nested deeper than 128")
    d = fixture_copy("cfg_deep", {"config.json": '{"model_type":' + deep(100000) + "}"})
    case("config.json nested 100k deep", ["convert", d, f"{w}/out_cfg_deep.gguf"], 2, "nested deeper than 128")
    d = fixture_copy("tokcfg_deep", {"tokenizer_config.json": '{"chat_template":' + deep(100000) + "}"})
    case("tokenizer_config.json nested 100k deep", ["tokenize", d, "hi"], 2, "nested deeper than 128")
    p = write(f"{w}/apr_deep.apr", apr_with_metadata(aprf, '{"x":' + deep(100000) + "}"))
    case("APR metadata nested 100k deep (inspect)", ["inspect", p], 2, "nested deeper than 128")
    # --- 2. pre_tokenizer Sequence nested 200k deep ----------------------------------------
    tj = json.load(open(f"{fx}/tokenizer.json"))
    seq = '{"type":"Sequence","pretokenizers":[' * 200000 + "]}" * 200000
    text = json.dumps({k: v for k, v in tj.items() if k != "pre_tokenizer"})[:-1] + ',"pre_tokenizer":' + seq + "}"
    d = fixture_copy("tok_deep_seq", {"tokenizer.json": text})
    case("tokenizer.json pre_tokenizer Sequence 200k deep", ["tokenize", d, "hi"], 2, "nested deeper than 128")
    # --- 3. 20k-character playbook scalars --------------------------------------------------
    base = 'name: ok-pb\nversion: "1.0.0"\nmodel:\n  hf_repo: "org/name"\ntest_matrix:\n  scenario_count: 1\n'
    big = "a" * 20000
    for label, text, frag in [
        ("name", base.replace("ok-pb", big), "at most 64"),
        ("hf_repo", base.replace("org/name", big + "/" + big), "model.hf_repo"),
        ("version", base.replace('"1.0.0"', '"1.0.' + "1" * 20000 + '"'), "semantic version"),
        ("integer", base.replace("scenario_count: 1", "scenario_count: " + "9" * 20000), "scenario_count"),
    ]:
        p = write(f"{w}/pb_long_{label}.yaml", text)
        case(f"playbook {label} of 20k characters", ["validate", p], 2, frag)
    # --- 4. YAML alias cycle and billion laughs -------------------------------------------
    p = write(f"{w}/pb_alias_cycle.yaml", base + "metadata:\n  self: &a [*a]\n")
    case("playbook self-referential alias", ["validate", p], 2, "self-referential YAML alias")
    lol = "metadata:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        lol += f"  l{i}: &l{i} [" + ", ".join([f"*l{i-1}"] * 10) + "]\n"
    p = write(f"{w}/pb_billion_laughs.yaml", base + lol)
    case("playbook billion laughs under metadata", ["validate", p], 2, "after expanding aliases")
    # --- 5. chat templates ----------------------------------------------------------------
    tcfg = json.load(open(f"{fx}/tokenizer_config.json"))
    for label, tpl, rc, frag in [
        ("format index 1e20", "{{ '{99999999999999999999}'.format(1) }}", 2, "Replacement index"),
        ("nested range(100000) loops", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", 2, "template"),
        ("step budget", "{% set r = range(100) %}{% for i in r %}{% for j in r %}{% for k in r %}{{ '' }}{{ '' }}{% endfor %}{% endfor %}{% endfor %}", 2, "evaluation steps"),
        ("string doubling", "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", 2, "string of"),
        ("list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}", 2, "list of"),
        ("center width 4e9", "{{ 'x' | center(4000000000) }}", 2, "string of"),
        ("indent width 4e9", "{{ 'a\nb' | indent(4000000000) }}", 2, "string of"),
        ("tojson indent 4e9", "{{ [1, [2]] | tojson(indent=4000000000) }}", 2, "string of"),
        ("namespace holding itself", "{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}", 2, "storing a namespace"),
        ("lists nested 800k deep", "{% set ns = namespace(x=[]) %}{% for j in range(8) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{% endfor %}ok", 2, "nested more than 256"),
    ]:
        c = dict(tcfg)
        c["chat_template"] = tpl
        d = fixture_copy("tpl_" + label.replace(" ", "_").replace("(", "").replace(")", ""), {"tokenizer_config.json": json.dumps(c)})
        case(f"chat template: {label}", ["tokenize", d, "hi", "--chat"], rc, frag)
    for label, tpl in [("1e999 literal", "{{ 1e999 }}"), ("map attribute 1e20", "{{ [[1]] | map(attribute='99999999999999999999') | list }}")]:
        c = dict(tcfg)
        c["chat_template"] = tpl
        d = fixture_copy("tpl_" + label.replace(" ", "_"), {"tokenizer_config.json": json.dumps(c)})
        case(f"chat template: {label} renders", ["tokenize", d, "hi", "--chat"], 0, "")
    # --- 6. allocations justified by the file ----------------------------------------------
    tj2 = json.load(open(f"{fx}/tokenizer.json"))
    tj2["model"]["vocab"]["far_away"] = 100000000
    d = fixture_copy("tok_sparse", {"tokenizer.json": json.dumps(tj2)})
    case("tokenizer.json token at id 100,000,000", ["tokenize", d, "hi"], 2, "ids up to 100000000")
    g = bytearray(open(gguf, "rb").read())
    k = g.find(b"llama.block_count")
    assert k > 0
    vt, = struct.unpack_from("<I", g, k + len(b"llama.block_count"))
    assert vt == 4, vt  # UINT32
    struct.pack_into("<I", g, k + len(b"llama.block_count") + 4, 0xFFFFFFFF)
    p = write(f"{w}/gguf_block_count.gguf", bytes(g))
    case("GGUF block_count = 2^32-1", ["convert", p, f"{w}/out_bc.safetensors"], 2, "num_hidden_layers")
    cfg = json.load(open(f"{fx}/config.json"))
    cfg["num_hidden_layers"] = 1000000000
    d = fixture_copy("cfg_layers", {"config.json": json.dumps(cfg)})
    case("config.json num_hidden_layers = 1e9", ["convert", d, f"{w}/out_layers.gguf"], 2, "num_hidden_layers")
    b = open(aprf, "rb").read()
    (ms,) = struct.unpack_from("<I", b, 20)
    meta = json.loads(b[64:64 + ms])
    meta["num_layers"] = 2 ** 40
    p = write(f"{w}/apr_layers.apr", apr_with_metadata(aprf, json.dumps(meta)))
    case("APR num_layers = 2^40", ["convert", p, f"{w}/out_apr_layers.gguf"], 2, "num_hidden_layers")
    # --- 7. SafeTensors header with 100k entries (linear parse) -----------------------------
    ents = ",".join(f'"t{i}":{{"dtype":"F32","shape":[1],"data_offsets":[{4*i},{4*i+4}]}}' for i in range(100000))
    p = write(f"{w}/st_100k_dup.safetensors", safetensors("{" + ents + ',"t0":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 400000))
    case("safetensors header of 100k entries + a duplicate", ["inspect", p], 2, "duplicate key 't0'")
    # --- 8. FIFOs ---------------------------------------------------------------------------
    fifo_dir = os.path.join(w, "fifo")
    shutil.rmtree(fifo_dir, ignore_errors=True)
    os.makedirs(fifo_dir)
    for name in ["model.gguf", "tokenizer.json", "pb.yaml"]:
        os.mkfifo(os.path.join(fifo_dir, name))
    case("FIFO as model (inspect)", ["inspect", f"{fifo_dir}/model.gguf"], 2, "FIFO")
    case("FIFO as model (tokenize)", ["tokenize", f"{fifo_dir}/model.gguf", "hi"], 2, "FIFO")
    case("FIFO as model (detokenize)", ["detokenize", f"{fifo_dir}/model.gguf", "1"], 2, "FIFO")
    case("FIFO as tokenizer.json (tokenize)", ["tokenize", f"{fifo_dir}/tokenizer.json", "hi"], 2, "FIFO")
    case("FIFO as playbook (validate)", ["validate", f"{fifo_dir}/pb.yaml"], 2, "FIFO")
    case("FIFO as playbook (run --dry-run)", ["run", f"{fifo_dir}/pb.yaml", "--dry-run", "-o", f"{w}/out_fifo_run"], 2, "FIFO")
    # --- 9-12. playbook mistakes (issue 11) ---------------------------------------------------
    p = write(f"{w}/pb_typo.yaml", base + "failure_polcy: collect_all\n")
    case("playbook key one edit from failure_policy", ["validate", p], 2, "did you mean 'failure_policy'?")
    p = write(f"{w}/pb_typo_required.yaml", base.replace("hf_repo", "hf_rpo"))
    case("playbook typo'd required key", ["validate", p], 2, "found 'model.hf_rpo' (line 4): did you mean 'hf_repo'?")
    p = write(f"{w}/pb_dup.yaml", base + "name: other\n")
    case("playbook duplicate key", ["validate", p], 2, "duplicate key 'name': first at line 1, again at line 7")
    p = write(f"{w}/pb_two_docs.yaml", base + "---\nname: second\n")
    case("playbook with a second YAML document", ["validate", p], 2, "expected one YAML document, found 2")
    case("GGUF model given as playbook", ["validate", gguf], 2, "this is a GGUF model, not a playbook")
    case("APR model given as playbook", ["validate", aprf], 2, "this is an APR model, not a playbook")
    case("SafeTensors model given as playbook", ["validate", f"{fx}/model.safetensors"], 2, "this is a SafeTensors model, not a playbook")
    case("directory given as playbook", ["validate", fx], 3, "is a directory, expected a playbook")
    # --- escaped error text -------------------------------------------------------------------
    p = write(f"{w}/st_escape.safetensors", safetensors('{"a\\u001b[2J\\r\\nFAKE":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4))
    case("control characters in a tensor name are escaped", ["inspect", p], 2, "\\x1b[2J\\r\\nFAKE")
    # ESC[31m and a newline in a GGUF tensor name (same length as the name it replaces)
    g = bytearray(open(gguf, "rb").read())
    k = g.find(b"output_norm.weight")
    assert k > 0
    g[k:k + 18] = b"out\x1b[31m\nrm.weight"
    p = write(f"{w}/gguf_escape.gguf", bytes(g))
    case("ESC[31m and LF in a GGUF tensor name are escaped (convert)", ["convert", p, f"{w}/out_gguf_escape.apr"], 2, "out\\x1b[31m\\nrm.weight")
    # ... and in a SafeTensors checkpoint's tensor name (the model-level check, not the header parser)
    st = open(f"{fx}/model.safetensors", "rb").read()
    (hl,) = struct.unpack_from("<Q", st, 0)
    hdr = json.loads(st[8:8 + hl])
    end = max(v["data_offsets"][1] for k, v in hdr.items() if k != "__metadata__")
    hdr["model.norm\x1b[31m\n.weight"] = {"dtype": "F32", "shape": [1], "data_offsets": [end, end + 4]}  # one extra tensor
    d = fixture_copy("st_name_escape", {})
    with open(f"{d}/model.safetensors", "wb") as f:
        f.write(safetensors(json.dumps(hdr), st[8 + hl:8 + hl + end] + b"\0" * 4))
    case("ESC[31m and LF in a SafeTensors tensor name are escaped (convert)", ["convert", d, f"{w}/out_st_escape.gguf"], 2, "\\x1b[31m\\n")
    # ... and in a playbook key, which `run --dry-run` reports as a warning on stderr (exit 0)
    p = write(f"{w}/pb_key_escape.yaml", base + "metadata:\n  tier: smoke\nzz\x1b[31mzz: 1\n")
    case("ESC[31m in a playbook key is escaped (run --dry-run)", ["run", p, "--dry-run", "-o", f"{w}/out_pb_escape"], 0, "\\x1b[31m")
    return cases


def run_case(argv, max_seconds):
    """Runs argv; returns (exit code, stderr text, wall seconds, killed, max RSS in MB of this child)."""
    with tempfile.TemporaryFile() as errf:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errf, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = t0 + max(30.0, 5 * max_seconds)
        killed = False
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        errf.seek(0)
        err = errf.read().decode("utf-8", "replace")
    return proc.returncode, err, wall, killed, ru.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--max-seconds", type=float, default=2.0)
    ap.add_argument("--max-rss-mb", type=float, default=256.0)
    ap.add_argument("--generate-only", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if a.generate_only:
        with open(a.generate_only, "w") as f:
            json.dump(generate(os.path.abspath(a.bin), os.path.abspath(a.work)), f)
        return 0
    # Generate in a child process: the big strings never live in this (measuring) process, whose
    # resident size every forked child inherits into its max RSS until exec.
    listing = os.path.join(a.work, "cases.json")
    subprocess.run([sys.executable, __file__, "--bin", a.bin, "--work", a.work, "--generate-only", listing], check=True)
    cases = [tuple(c) for c in json.load(open(listing)) if a.only in c[0]]
    cases.insert(0, ("baseline: apr-qa --version", [os.path.abspath(a.bin), "--version"], 0, ""))
    passed = failed = 0
    rows = []
    for name, argv, want_rc, frag in cases:
        rc, err, wall, killed, rss_mb = run_case(argv, a.max_seconds)
        lines = [l for l in err.splitlines() if l.strip()]
        problems = []
        if killed:
            problems.append("killed after the hang timeout")
        if rc != want_rc:
            problems.append(f"exit {rc}, expected {want_rc}")
        if want_rc != 0 and len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines, expected 1")
        if any((ord(c) < 0x20 and c != "\n") or ord(c) == 0x7f for c in err):
            problems.append("raw control character in stderr")
        if frag and frag not in err:
            problems.append(f"message lacks {frag!r}")
        if wall > a.max_seconds:
            problems.append(f"{wall:.2f} s > {a.max_seconds} s")
        if rss_mb > a.max_rss_mb:
            problems.append(f"max RSS {rss_mb:.0f} MB > {a.max_rss_mb} MB")
        ok = not problems
        passed += ok
        failed += not ok
        msg = lines[0] if lines else ""
        rows.append((name, want_rc, rc, wall, rss_mb, msg, problems))
        if not a.markdown:
            print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {rc}, {wall:.2f} s, {rss_mb:.0f} MB"
                  + ("" if ok else " -- " + "; ".join(problems) + f" | {msg[:200]}"))
    if a.markdown:
        print("| case | command | expected exit | exit | time (s) | max RSS (MB) | message (first 140 chars) |")
        print("|---|---|---|---|---|---|---|")
        for (name, want, rc, wall, rss, msg, problems), c in zip(rows, cases):
            cmd = c[1][1]
            m = msg.replace(a.work, "W").replace("|", "\\|")[:140]
            flag = "" if not problems else " **FAIL: " + "; ".join(problems) + "**"
            print(f"| {name}{flag} | `{cmd}` | {want} | {rc} | {wall:.2f} | {rss:.0f} | `{m}` |")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
