"""Cross-check of apr-qa's APR v2 reader and writer against an independent Python codec.

APR has no PyPI implementation, so this file carries a second, independent implementation of the
byte layout written from the reference description (anchor-conversion.md §3), with CRC32 from
zlib (an implementation apr-qa does not share). Both directions:
1. APR files written by apr-qa parse here: magic, version, flags (LAYOUT_ROW_MAJOR, QUANTIZED),
   header CRC and footer CRC via zlib, metadata JSON, sorted index, 64-byte alignment, every
   tensor's bytes equal to the source, GGML dtype ids.
2. APR files written here are read by `apr-qa inspect --json --full --hash` identically, and a
   flipped byte in header or data makes `apr-qa inspect` fail with exit code 2.
"""
import json
import os
import shutil
import struct
import zlib

import numpy as np

from oracle_support import Checks, apr_bin, inspect_json, run, sha256, tool, work_dir

# GGML ids and (block elements, block bytes), from the public ggml type table.
GGML = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q4_1": (3, 32, 20), "Q5_0": (6, 32, 22),
        "Q5_1": (7, 32, 24), "Q8_0": (8, 32, 34), "Q2_K": (10, 256, 84), "Q3_K": (11, 256, 110),
        "Q4_K": (12, 256, 144), "Q5_K": (13, 256, 176), "Q6_K": (14, 256, 210), "BF16": (30, 1, 2)}
BY_ID = {v[0]: k for k, v in GGML.items()}
RNG = np.random.default_rng(11)


def a64(x):
    return (x + 63) // 64 * 64


def apr_encode(metadata, tensors):
    """tensors: list of (name, dtype, shape, raw). Returns the file bytes."""
    meta = json.dumps(metadata, separators=(",", ":"), sort_keys=True).encode()
    tensors = sorted(tensors, key=lambda t: t[0].encode())
    index, data, off = b"", b"", 0
    quant = False
    for name, dt, shape, raw in tensors:
        tid, blk, _ = GGML[dt]
        quant |= blk > 1
        nb = name.encode()
        index += struct.pack("<H", len(nb)) + nb + struct.pack("<BB", tid, len(shape))
        index += b"".join(struct.pack("<Q", d) for d in shape) + struct.pack("<QQ", off, len(raw))
        data += raw + b"\0" * (a64(len(raw)) - len(raw))
        off += a64(len(raw))
    idx_off = 64 + a64(len(meta))
    data_off = idx_off + a64(len(index))
    flags = 0x0400 | (0x0020 if quant else 0)
    head = b"APR\0" + struct.pack("<BBHIQIQQ", 2, 0, flags, len(tensors), 64, len(meta), idx_off, data_off)
    assert len(head) == 40
    crc = zlib.crc32(head + b"\0" * 20)
    body = head + struct.pack("<I", crc) + b"\0" * 20
    body += meta + b"\0" * (idx_off - 64 - len(meta)) + index + b"\0" * (data_off - idx_off - len(index)) + data
    return body + struct.pack("<I", zlib.crc32(body))


def apr_decode(b):
    """Independent parse with every check the layout implies; raises AssertionError on violation."""
    assert b[:4] == b"APR\0", "magic"
    major, minor, flags, count, meta_off, meta_len, idx_off, data_off = struct.unpack_from("<BBHIQIQQ", b, 4)
    (hcrc,) = struct.unpack_from("<I", b, 40)
    assert hcrc == zlib.crc32(b[:40] + b[44:64]), "header crc"
    assert b[44:64] == b"\0" * 20, "reserved"
    assert (struct.unpack_from("<I", b, len(b) - 4)[0]) == zlib.crc32(b[:-4]), "footer crc"
    assert (major, meta_off, idx_off) == (2, 64, 64 + a64(meta_len)), "offsets"
    meta = json.loads(b[64:64 + meta_len])
    p, tensors, off = idx_off, [], 0
    for _ in range(count):
        (n,) = struct.unpack_from("<H", b, p); p += 2
        name = b[p:p + n].decode(); p += n
        tid, nd = struct.unpack_from("<BB", b, p); p += 2
        shape = list(struct.unpack_from(f"<{nd}Q", b, p)); p += 8 * nd
        o, size = struct.unpack_from("<QQ", b, p); p += 16
        assert o == off and o % 64 == 0, f"offset of {name}"
        off += a64(size)
        dt = BY_ID[tid]
        _, blk, bb = GGML[dt]
        assert size == int(np.prod(shape[:-1], dtype=np.int64)) * (shape[-1] // blk) * bb if shape else bb, "size"
        tensors.append((name, dt, shape, bytes(b[data_off + o:data_off + o + size]), data_off + o))
    assert data_off == a64(p), "data offset"
    assert [t[0].encode() for t in tensors] == sorted(t[0].encode() for t in tensors), "sorted"
    assert data_off + off == len(b) - 4, "data region"
    return flags, meta, tensors


def sample():
    out = []
    for k, (dt, (_, blk, bb)) in enumerate(GGML.items()):
        rows, cols = 2, blk * 2 if blk > 1 else 6
        out.append((f"model.layers.{k}.{dt.lower()}.weight", dt, [rows, cols],
                    RNG.integers(0, 256, rows * cols // blk * bb, dtype=np.uint8).tobytes()))
    out.append(("model.norm.weight", "F32", [6], RNG.standard_normal(6).astype(np.float32).tobytes()))
    return out


def test_ours_decoded_here(c):
    d = work_dir("apr-ours")
    tensors = sample()
    meta = {"architecture": "llama", "hidden_size": 6, "tokenizer": {"vocabulary": ["a", "b"]}}
    spec = {"metadata": meta, "tensors": []}
    for name, dt, shape, raw in tensors:
        p = os.path.join(d, name + ".bin")
        open(p, "wb").write(raw)
        spec["tensors"].append({"name": name, "dtype": dt, "shape": shape, "data": p})
    sp = os.path.join(d, "spec.json")
    json.dump(spec, open(sp, "w"))
    out = os.path.join(d, "ours.apr")
    run([tool("oracle_formats_write"), "apr", sp, out])
    b = open(out, "rb").read()
    try:
        flags, m, got = apr_decode(b)
    except AssertionError as e:
        c.check(f"independent decoder rejects our APR: {e}", False)
        return
    c.eq(flags, 0x0420, "flags LAYOUT_ROW_MAJOR|QUANTIZED")
    c.eq(m, meta, "metadata JSON")
    want = sorted(tensors, key=lambda t: t[0].encode())
    c.eq([(t[0], t[1], t[2], sha256(t[3])) for t in got], [(t[0], t[1], t[2], sha256(t[3])) for t in want],
         "tensors (name, GGML dtype, row-major shape, bytes)")
    c.eq(b, apr_encode(meta, tensors), "our writer and the independent encoder produce identical bytes")
    run([tool("oracle_formats_write"), "apr", sp, out + "2"])
    c.eq(sha256(open(out + "2", "rb").read()), sha256(b), "deterministic: a second write is identical")
    shutil.rmtree(d)


def test_here_read_by_ours(c):
    d = work_dir("apr-theirs")
    tensors = sample()
    meta = {"architecture": "qwen2", "rope_theta": 1000000.0, "big": list(range(40))}
    p = os.path.join(d, "theirs.apr")
    raw = apr_encode(meta, tensors)
    open(p, "wb").write(raw)
    ours = inspect_json(p)
    c.eq(ours["format"], "apr", "format")
    c.eq(ours["apr"]["flags"], 0x0420, "flags")
    c.eq({m["key"]: m["value"] for m in ours["metadata"]}, meta, "metadata (--full)")
    _, _, dec = apr_decode(raw)
    c.eq([(t["name"], t["dtype"], t["shape"], t["bytes"], t["offset"], t["sha256"]) for t in ours["tensors"]],
         [(n, dt, s, len(r), o, sha256(r)) for n, dt, s, r, o in dec], "tensor table and bytes")
    # Corruption: a flipped byte in the header, index or data is an error (exit 2, one line).
    for where, pos in [("header", 10), ("index", 64 + a64(len(json.dumps(meta))) + 3), ("data", len(raw) - 9)]:
        bad = bytearray(raw)
        bad[pos] ^= 0x10
        bp = os.path.join(d, f"bad-{where}.apr")
        open(bp, "wb").write(bad)
        r = run([apr_bin(), "inspect", bp], check=False)
        c.eq(r.returncode, 2, f"flipped {where} byte: exit 2")
        c.check(f"flipped {where}: {r.stderr.strip()}", "CRC32" in r.stderr and len(r.stderr.strip().splitlines()) == 1)
    shutil.rmtree(d)


if __name__ == "__main__":
    c = Checks(quiet=True)
    c.run("apr-qa writer -> independent decoder", test_ours_decoded_here)
    c.run("independent encoder -> apr-qa reader", test_here_read_by_ours)
    c.finish()
