"""Oracle test: apr-qa's GGUF reader and writer against llama.cpp's gguf-py (PyPI `gguf`).

1. GGUF files written by apr-qa (all value types, arrays, several dtypes incl. quantized raw
   bytes, custom alignment) are read by gguf.GGUFReader with identical KV types and values,
   tensor infos, offsets and bytes.
2. GGUF files written by gguf.GGUFWriter are read by apr-qa (`apr-qa inspect --json --full
   --hash`) identically to gguf-py's own reading and to the source arrays.
3. The real SmolLM2 GGUF: every KV and tensor info read by apr-qa equals gguf-py's reading;
   a passthrough copy through apr-qa's reader+writer is byte-identical.
4. The CLI rejects malformed input with a one-line error and exit code 2 (3 when missing).
"""
import json
import math
import os
import shutil
import struct

import numpy as np

from oracle_support import (Checks, apr_bin, gguf_field_value, inspect_json, run, sha256,
                                   tool, work_dir)

import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as T

RNG = np.random.default_rng(1234)
QTYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]


def f32(x):
    return float(np.float32(x))


def all_kvs():
    kvs = [
        ("general.architecture", "STRING", None, "llama"),
        ("t.u8", "UINT8", None, 255), ("t.i8", "INT8", None, -128),
        ("t.u16", "UINT16", None, 65535), ("t.i16", "INT16", None, -32768),
        ("t.u32", "UINT32", None, 4294967295), ("t.i32", "INT32", None, -2147483648),
        ("t.f32", "FLOAT32", None, f32(0.1)), ("t.bool_t", "BOOL", None, True), ("t.bool_f", "BOOL", None, False),
        ("t.str", "STRING", None, "h\u00e9llo \u2713 \"q\"\n"), ("t.empty_str", "STRING", None, ""),
        ("t.u64", "UINT64", None, 2**64 - 1), ("t.i64", "INT64", None, -2**63),
        ("t.f64", "FLOAT64", None, math.pi),
        ("a.u8", "ARRAY", "UINT8", [0, 1, 255]), ("a.i8", "ARRAY", "INT8", [-128, 0, 127]),
        ("a.u16", "ARRAY", "UINT16", [0, 65535]), ("a.i16", "ARRAY", "INT16", [-32768, 32767]),
        ("a.u32", "ARRAY", "UINT32", [7, 4294967295]), ("a.i32", "ARRAY", "INT32", [-1, 2, -3]),
        ("a.f32", "ARRAY", "FLOAT32", [f32(0.5), f32(-1e-7), f32(3.4e38)]),
        ("a.bool", "ARRAY", "BOOL", [True, False, True]),
        ("a.str", "ARRAY", "STRING", ["a", "", "\u00fc b", "<|im_end|>"]),
        ("a.u64", "ARRAY", "UINT64", [0, 2**64 - 1]), ("a.i64", "ARRAY", "INT64", [-2**63, 2**63 - 1]),
        ("a.f64", "ARRAY", "FLOAT64", [1.5, -2.25e-300]),
        ("a.big", "ARRAY", "INT32", [int(x) for x in RNG.integers(-1000, 1000, 300)]),
    ]
    return kvs


def make_tensors(d, with_names=True):
    """(name, dtype, row-major shape, raw bytes) for every supported dtype."""
    out = []
    for k, q in enumerate(QTYPES):
        blk, size = gguf.GGML_QUANT_SIZES[Q[q]]
        rows, cols = 3, blk * 2 if blk > 1 else 5
        if q == "F32":
            raw = RNG.standard_normal((rows, cols)).astype(np.float32).tobytes()
        elif q == "F16":
            raw = RNG.standard_normal((rows, cols)).astype(np.float16).tobytes()
        else:
            raw = RNG.integers(0, 256, rows * (cols // blk) * size, dtype=np.uint8).tobytes()
        out.append((f"t{k}.{q.lower()}", q, [rows, cols], raw))
    out.append(("v.3d", "F32", [2, 3, 4], RNG.standard_normal(24).astype(np.float32).tobytes()))
    out.append(("v.1d", "F32", [7], RNG.standard_normal(7).astype(np.float32).tobytes()))
    return out


def write_spec(d, kvs, tensors):
    spec = {"kvs": [], "tensors": []}
    for key, t, et, v in kvs:
        e = {"key": key, "type": t, "value": v}
        if et:
            e["element_type"] = et
        spec["kvs"].append(e)
    for name, q, shape, raw in tensors:
        p = os.path.join(d, name + ".bin")
        with open(p, "wb") as f:
            f.write(raw)
        spec["tensors"].append({"name": name, "dtype": q, "shape": shape, "data": p})
    sp = os.path.join(d, "spec.json")
    with open(sp, "w") as f:
        json.dump(spec, f)
    return sp


def compare_reader_with_expected(c, r, kvs, tensors, tag):
    """gguf-py's reading of a file against the KVs/tensors we meant to write."""
    fields = [f for f in r.fields.values() if not f.name.startswith("GGUF.")]
    c.eq([f.name for f in fields], [k[0] for k in kvs], f"{tag}: KV keys in order")
    for key, t, et, v in kvs:
        f = r.fields.get(key)
        if not c.check(f"{tag}: key {key} present", f is not None):
            continue
        got = gguf_field_value(f)
        c.eq(got, (t, et, v), f"{tag}: KV {key} (type, element type, value)")
    c.eq(len(r.tensors), len(tensors), f"{tag}: tensor count")
    for rt, (name, q, shape, raw) in zip(r.tensors, tensors):
        c.eq(rt.name, name, f"{tag}: tensor name")
        c.eq(rt.tensor_type.name, q, f"{tag}: {name} dtype")
        c.eq([int(x) for x in rt.shape], list(reversed(shape)), f"{tag}: {name} ne (reversed row-major shape)")
        c.eq(int(rt.n_bytes), len(raw), f"{tag}: {name} n_bytes")
        c.eq(sha256(rt.data.tobytes()), sha256(raw), f"{tag}: {name} bytes")
        c.eq(int(rt.data_offset) % r.alignment, 0, f"{tag}: {name} offset aligned to {r.alignment}")


def ours_vs_ggufpy(c, path, tag, check_hash=True):
    """apr-qa inspect --json --full --hash against gguf-py's reading of the same file."""
    ours = inspect_json(path)
    r = gguf.GGUFReader(path)
    c.eq(ours["format"], "gguf", f"{tag}: format")
    c.eq(ours["version"], int(r.fields["GGUF.version"].parts[-1][0]), f"{tag}: version")
    c.eq(ours["gguf"]["alignment"], int(r.alignment), f"{tag}: alignment")
    c.eq(ours["gguf"]["data_offset"], int(r.data_offset), f"{tag}: data offset")
    fields = [f for f in r.fields.values() if not f.name.startswith("GGUF.")]
    c.eq([m["key"] for m in ours["metadata"]], [f.name for f in fields], f"{tag}: keys in order")
    mismatched = 0
    for m, f in zip(ours["metadata"], fields):
        t, et, v = gguf_field_value(f)
        mine = (m["type"], m.get("element_type"), m["value"])
        if mine != (t, et, v) or m.get("truncated"):
            mismatched += 1
            print(f"  KV {f.name}: ours {str(mine)[:200]} vs gguf-py {str((t, et, v))[:200]}")
    c.eq(mismatched, 0, f"{tag}: KVs with a different type or value ({len(fields)} compared)")
    c.eq(len(ours["tensors"]), len(r.tensors), f"{tag}: tensor count")
    bad = 0
    for mt, rt in zip(ours["tensors"], r.tensors):
        exp = {"name": rt.name, "dtype": rt.tensor_type.name, "shape": [int(x) for x in reversed(rt.shape)],
               "bytes": int(rt.n_bytes), "offset": int(rt.data_offset)}
        got = {k: mt[k] for k in exp}
        if check_hash:
            exp["sha256"] = sha256(rt.data.tobytes())
            got["sha256"] = mt["sha256"]
        if got != exp:
            bad += 1
            print(f"  tensor {rt.name}: ours {got} vs gguf-py {exp}")
    c.eq(bad, 0, f"{tag}: tensor infos/bytes differing ({len(r.tensors)} compared)")
    return ours


def test_our_writer(c):
    d = work_dir("gguf-ours")
    kvs, tensors = all_kvs(), make_tensors(d)
    out = os.path.join(d, "ours.gguf")
    run([tool("oracle_formats_write"), "gguf", write_spec(d, kvs, tensors), out])
    r = gguf.GGUFReader(out)
    c.eq(int(r.alignment), 32, "default alignment")
    compare_reader_with_expected(c, r, kvs, tensors, "ours->gguf-py")
    ours_vs_ggufpy(c, out, "ours->inspect")
    # Custom alignment from general.alignment.
    kvs2 = kvs + [("general.alignment", "UINT32", None, 64)]
    out2 = os.path.join(d, "ours64.gguf")
    run([tool("oracle_formats_write"), "gguf", write_spec(d, kvs2, tensors), out2])
    r2 = gguf.GGUFReader(out2)
    c.eq(int(r2.alignment), 64, "general.alignment honoured by gguf-py")
    compare_reader_with_expected(c, r2, kvs2, tensors, "ours(align 64)->gguf-py")
    shutil.rmtree(d)


def test_ggufpy_writer(c):
    d = work_dir("gguf-theirs")
    out = os.path.join(d, "theirs.gguf")
    w = gguf.GGUFWriter(out, arch="llama")
    kvs = [k for k in all_kvs() if k[0] != "general.architecture"]
    for key, t, et, v in kvs:
        if t == "ARRAY":
            w.add_key_value(key, v, T.ARRAY, sub_type=T[et])
        else:
            w.add_key_value(key, v, T[t])
    w.add_uint32("general.alignment", 32)
    tensors = make_tensors(d)
    for name, q, shape, raw in tensors:
        if q == "F32":
            w.add_tensor(name, np.frombuffer(raw, dtype=np.float32).reshape(shape))
        elif q == "F16":
            w.add_tensor(name, np.frombuffer(raw, dtype=np.float16).reshape(shape))
        else:
            arr = np.frombuffer(raw, dtype=np.uint8).reshape(shape[0], -1)
            w.add_tensor(name, arr, raw_shape=arr.shape, raw_dtype=Q[q])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    ours = ours_vs_ggufpy(c, out, "gguf-py->ours")
    # And against the source arrays themselves (ground truth independent of either reader).
    by_name = {t["name"]: t for t in ours["tensors"]}
    for name, q, shape, raw in tensors:
        t = by_name.get(name)
        if c.check(f"gguf-py->ours: tensor {name} present", t is not None):
            c.eq((t["dtype"], t["shape"], t["bytes"], t["sha256"]), (q, shape, len(raw), sha256(raw)),
                 f"gguf-py->ours: {name} against source")
    meta = {m["key"]: m for m in ours["metadata"]}
    for key, t, et, v in kvs:
        m = meta.get(key)
        if c.check(f"gguf-py->ours: key {key}", m is not None):
            c.eq((m["type"], m.get("element_type"), m["value"]), (t, et, v), f"gguf-py->ours: {key} against source")
    shutil.rmtree(d)


def test_real_model(c):
    models = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
    path = os.path.join(models, "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not c.check(f"real model present at {path}", os.path.isfile(path)):
        return
    ours = ours_vs_ggufpy(c, path, "SmolLM2")
    c.eq(ours["totals"]["tensors"], 272, "SmolLM2 tensor count")
    c.check("SmolLM2 vocabulary of 49152 tokens",
            any(m["key"] == "tokenizer.ggml.tokens" and m["count"] == 49152 for m in ours["metadata"]))
    # Passthrough through our reader and writer reproduces the file byte for byte.
    d = work_dir("gguf-copy")
    out = os.path.join(d, "copy.gguf")
    run([tool("oracle_formats_write"), "copy-gguf", path, out])
    with open(path, "rb") as f1, open(out, "rb") as f2:
        c.eq(sha256(f2.read()), sha256(f1.read()), "SmolLM2 passthrough copy is byte-identical")
    shutil.rmtree(d)


def test_cli_errors(c):
    d = work_dir("gguf-cli")
    good = os.path.join(d, "good.gguf")
    w = gguf.GGUFWriter(good, arch="llama")
    w.add_tensor("w", np.zeros((2, 4), dtype=np.float32))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    with open(good, "rb") as f:
        raw = bytearray(f.read())
    cases = {
        "magic": (b"GGUX" + raw[4:], "magic"),
        "version": (raw[:4] + struct.pack("<I", 7) + raw[8:], "version"),
        "truncated": (raw[:len(raw) - 40], "tensor data"),
        "kv_count": (raw[:16] + struct.pack("<Q", 1 << 50) + raw[24:], "kv_count"),
    }
    for name, (data, frag) in cases.items():
        p = os.path.join(d, f"bad-{name}.gguf")
        with open(p, "wb") as f:
            f.write(data)
        r = run([apr_bin(), "inspect", p], check=False)
        c.eq(r.returncode, 2, f"inspect {name}: exit code")
        lines = r.stderr.strip().splitlines()
        c.eq(len(lines), 1, f"inspect {name}: one-line error")
        c.check(f"inspect {name}: error names file and field: {r.stderr.strip()}", p in r.stderr and frag in r.stderr)
    r = run([apr_bin(), "inspect", os.path.join(d, "missing.gguf")], check=False)
    c.eq(r.returncode, 3, "inspect missing file: exit 3")
    # A directory with one model resolves to it; with two, the error lists both.
    sub = os.path.join(d, "Qwen2.5-Coder-0.5B-Instruct")
    os.makedirs(sub)
    shutil.copy(good, os.path.join(sub, "model.gguf"))
    r = run([apr_bin(), "inspect", "--json", sub], check=False)
    c.eq(r.returncode, 0, "inspect directory with one GGUF")
    if r.returncode == 0:
        c.eq(json.loads(r.stdout)["file"], os.path.join(sub, "model.gguf"), "dotted directory resolved to its file")
    shutil.copy(good, os.path.join(sub, "other.gguf"))
    r = run([apr_bin(), "inspect", sub], check=False)
    c.eq(r.returncode, 2, "inspect ambiguous directory: exit 2")
    c.check(f"ambiguity lists both: {r.stderr.strip()}", "model.gguf" in r.stderr and "other.gguf" in r.stderr)
    r = run([apr_bin(), "inspect", "--help"], check=False)
    c.check("inspect --help explains options", r.returncode == 0 and "--json" in r.stdout and "--full" in r.stdout)
    shutil.rmtree(d)


if __name__ == "__main__":
    c = Checks(quiet=True)
    c.run("apr-qa writer -> gguf-py reader", test_our_writer)
    c.run("gguf-py writer -> apr-qa reader", test_ggufpy_writer)
    c.run("real SmolLM2 GGUF", test_real_model)
    c.run("CLI errors", test_cli_errors)
    c.finish()
