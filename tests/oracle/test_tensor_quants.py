#!/usr/bin/env python3
"""Oracle test for apr-qa's tensor layer (src/tensor): dequantization, reference quantizers and
fp16/bf16 conversions, each compared bit for bit with independent implementations.

  (a) dequantize_row for every supported type == gguf.quants.dequantize (gguf-py) and ==
      ggml's dequantize_row_* (libggml-base.so), on 10,000 random blocks per type;
  (b) quantize_row for every quantizable type == ggml's quantize_row_<type>_ref (IQ4_NL: no _ref, see CHUNK_ONLY) and
      ggml_quantize_chunk (no imatrix), byte for byte, on >= 10,000 blocks per type covering
      random and edge blocks (zeros, constants, tiny/huge/subnormal magnitudes, one outlier,
      one-signed, mixed ranges, exact rounding ties, fp16 overflow);
  (c) fp32->fp16 and fp32->bf16 on all 2^32 f32 bit patterns (sha256 per 2^24-pattern chunk,
      fast and portable paths) == ggml_fp32_to_fp16_row / ggml_fp32_to_bf16_row(_ref);
      fp16->fp32 and bf16->fp32 on all 65536 patterns == ggml and numpy.

Our side runs through the helper executable oracle_tensor_quant_tool ($APR_QA_TOOLS_DIR);
data is exchanged through files in $APR_QA_WORK_DIR. Prints "N passed, N failed"; any mismatch
names the type, block and first differing byte/element, and makes the exit status non-zero.
A missing tool, work dir, gguf package or ggml library is a failure, never a skip.
"""
import ctypes
import hashlib
import importlib.util
import pathlib
import subprocess
import time

import numpy as np

from oracle_support import Checks, env_path as oracle_env_path

C = Checks(quiet=True)


def env_path(var):
    return pathlib.Path(oracle_env_path(var))


TOOLS = env_path("APR_QA_TOOLS_DIR")
WORK = env_path("APR_QA_WORK_DIR")
WORK.mkdir(parents=True, exist_ok=True)
TOOL = TOOLS / "oracle_tensor_quant_tool"
if not TOOL.is_file():
    C.check("helper tool", False, f"{TOOL} does not exist (build target oracle_tensor_quant_tool)")
    C.finish()

try:
    import gguf
    from gguf import GGMLQuantizationType as QT
    from gguf import quants as gq
except ImportError as e:  # a missing oracle is a failure
    C.check("import gguf", False, str(e))
    C.finish()


def load_ggml():
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    lib = pathlib.Path(list(spec.submodule_search_locations)[0]) / "lib" / "libggml-base.so"
    return ctypes.CDLL(str(lib)) if lib.is_file() else None


GGML = load_ggml()
if GGML is None:
    C.check("libggml-base.so", False, "llama_cpp/lib/libggml-base.so not found in the oracle venv")
    C.finish()

VP, I64 = ctypes.c_void_p, ctypes.c_int64

# name: (ggml id, block elems, block bytes, offsets of fp16 scale fields)
TYPES = {
    "F32": (0, 1, 4, []), "F16": (1, 1, 2, []), "BF16": (30, 1, 2, []),
    "Q4_0": (2, 32, 18, [0]), "Q4_1": (3, 32, 20, [0, 2]), "Q5_0": (6, 32, 22, [0]),
    "Q5_1": (7, 32, 24, [0, 2]), "Q8_0": (8, 32, 34, [0]),
    "Q2_K": (10, 256, 84, [80, 82]), "Q3_K": (11, 256, 110, [108]), "Q4_K": (12, 256, 144, [0, 2]),
    "Q5_K": (13, 256, 176, [0, 2]), "Q6_K": (14, 256, 210, [208]), "IQ4_NL": (20, 32, 18, [0]),
}
QUANT_TYPES = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL"]
# Types ggml has no plain reference quantizer for: what ggml_quantize_chunk writes (its scale
# search) is the reference. IQ4_NL is the fallback of Q2_K/Q3_K rows not a multiple of 256.
CHUNK_ONLY = {"IQ4_NL"}
N_BLOCKS = 10_000


def ggml_fn(name, argtypes, restype=None):
    f = getattr(GGML, name, None)
    if f is None:
        C.check(f"symbol {name}", False, "not exported by libggml-base.so")
        return None
    f.argtypes, f.restype = argtypes, restype
    return f


def sym(t):  # quantize_row_q4_K_ref / dequantize_row_q4_K naming
    return t.lower().replace("_k", "_K")


def run_tool(*args):
    r = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tool {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def first_diff(a, b):
    idx = np.nonzero(a != b)[0]
    return int(idx[0]) if idx.size else -1


def f32_bits(x):
    return np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)


# ---------------------------------------------------------------------------------------------
# (a) dequantization
# ---------------------------------------------------------------------------------------------
def random_finite_f16(rng, n):
    h = rng.integers(0, 1 << 16, n, dtype=np.uint32).astype(np.uint16)
    inf_nan = (h & 0x7C00) == 0x7C00
    h[inf_nan] &= np.uint16(0xBFFF)  # clear the top exponent bit: finite
    return h


def dequant_blocks(rng, t, nb):
    _, be, bb, scale_offsets = TYPES[t]
    raw = rng.integers(0, 256, (nb, bb), dtype=np.uint32).astype(np.uint8)
    for off in scale_offsets:
        raw[:, off:off + 2] = random_finite_f16(rng, nb).view(np.uint8).reshape(nb, 2)
    if t == "F16":  # every half bit pattern, NaNs and infs included
        raw = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.uint8).reshape(-1, 2)
    return raw


def test_dequantize(rng):
    for t, (tid, be, bb, _) in TYPES.items():
        raw = dequant_blocks(rng, t, N_BLOCKS if be > 1 else 65536)
        nb = raw.shape[0]
        src, dst = WORK / f"deq_{t}.bin", WORK / f"deq_{t}.f32"
        raw.tofile(src)
        try:
            run_tool("dequantize", t, src, dst)
        except RuntimeError as e:
            C.check(f"dequantize {t}", False, str(e))
            continue
        ours = np.fromfile(dst, dtype=np.uint32)
        if ours.size != nb * be:
            C.check(f"dequantize {t}", False, f"expected {nb * be} floats, found {ours.size}")
            continue
        # gguf-py (numpy)
        ref = f32_bits(gq.dequantize(raw.reshape(-1), QT(tid)).reshape(-1))
        if t == "F16":  # numpy keeps signalling NaNs signalling; ggml and F16C quiet them
            nan = np.isnan(ref.view(np.float32))
            same = (ours == ref) | (nan & np.isnan(ours.view(np.float32)))
            C.check("dequantize F16 == gguf (non-NaN bitwise, NaN as NaN)", bool(same.all()),
                  f"first mismatch at pattern {first_diff(same, True)}")
        else:
            i = first_diff(ours, ref)
            C.check(f"dequantize {t} == gguf.quants.dequantize ({nb} blocks)", i < 0,
                  f"block {i // be} element {i % be}: ours 0x{ours[max(i,0)]:08x} gguf 0x{ref[max(i,0)]:08x}")
        # ggml-base
        out = np.zeros(nb * be, dtype=np.float32)
        if t in ("F16", "BF16"):
            f = ggml_fn("ggml_fp16_to_fp32_row" if t == "F16" else "ggml_bf16_to_fp32_row", [VP, VP, I64])
        elif t == "F32":
            f = None
            out = raw.reshape(-1).view(np.float32).copy()
        else:
            f = ggml_fn(f"dequantize_row_{sym(t)}", [VP, VP, I64])
        if f is not None:
            f(raw.ctypes.data, out.ctypes.data, nb * be)
        g = f32_bits(out)
        i = first_diff(ours, g)
        C.check(f"dequantize {t} == ggml ({nb} blocks)", i < 0,
              f"block {i // be} element {i % be}: ours 0x{ours[max(i,0)]:08x} ggml 0x{g[max(i,0)]:08x}")


# ---------------------------------------------------------------------------------------------
# (b) quantizers
# ---------------------------------------------------------------------------------------------
def gen_blocks(rng, kind, k, be):
    g = rng.standard_normal((k, be)).astype(np.float32)
    if kind == "gauss":
        return g * (10.0 ** rng.uniform(-4, 4, (k, 1))).astype(np.float32)
    if kind == "weights":
        return g * np.float32(0.02)
    if kind == "uniform":
        return rng.uniform(-1, 1, (k, be)).astype(np.float32)
    if kind == "zeros":
        return np.zeros((k, be), np.float32)
    if kind == "const":
        c = (rng.uniform(0.1, 10, (k, 1)) * rng.choice([-1, 1], (k, 1))).astype(np.float32)
        return np.repeat(c, be, axis=1)
    if kind == "tiny":
        return g * np.float32(1e-30)
    if kind == "huge":
        return g * np.float32(1e30)
    if kind == "subnormal":
        return g * np.float32(1e-40)
    if kind == "fp16_overflow":
        return g * np.float32(1e6)
    if kind == "outlier":
        x = g.copy()
        pos = rng.integers(0, be, k)
        x[np.arange(k), pos] *= np.float32(1000) * rng.choice([-1, 1], k).astype(np.float32)
        return x
    if kind == "neg_only":
        return -np.abs(g)
    if kind == "pos_only":
        return np.abs(g) + np.float32(0.5)
    if kind == "mixed_range":
        mag = (10.0 ** rng.uniform(-8, 8, (k, be))).astype(np.float32)
        return mag * rng.choice([-1, 1], (k, be)).astype(np.float32)
    if kind == "sparse":
        x = np.zeros((k, be), np.float32)
        for r in range(k):
            idx = rng.choice(be, 3, replace=False)
            x[r, idx] = g[r, idx]
        return x
    if kind == "one_nonzero":
        x = np.zeros((k, be), np.float32)
        x[np.arange(k), rng.integers(0, be, k)] = g[:, 0]
        return x
    if kind == "grid_ties":  # multiples of 0.5 in [-8, 8]: many exact .5 ties
        return (rng.integers(-16, 17, (k, be)) * 0.5).astype(np.float32)
    if kind == "absmax_tie":  # +a and -a both present: the first one wins the signed max
        x = g.copy()
        a = np.abs(x).max(axis=1) * np.float32(2)
        i, j = rng.choice(be, 2, replace=False)
        x[:, i], x[:, j] = a, -a
        return x
    raise ValueError(kind)


KINDS = ["gauss", "weights", "uniform", "zeros", "const", "tiny", "huge", "subnormal", "fp16_overflow",
         "outlier", "neg_only", "pos_only", "mixed_range", "sparse", "one_nonzero", "grid_ties", "absmax_tie"]


def quant_inputs(rng, be, blocks_per_row):
    per_kind = -(-N_BLOCKS // len(KINDS))  # ceil: >= N_BLOCKS in total, whole rows per kind
    per_kind = -(-per_kind // blocks_per_row) * blocks_per_row
    parts, labels = [], []
    for kind in KINDS:
        parts.append(gen_blocks(rng, kind, per_kind, be))
        labels += [kind] * per_kind
    return np.ascontiguousarray(np.concatenate(parts).astype(np.float32)), labels


def report_blocks(t, what, ours, ref, bb, labels):
    ours, ref = ours.reshape(-1, bb), ref.reshape(-1, bb)
    bad_rows = np.nonzero((ours != ref).any(axis=1))[0]
    for kind in KINDS:
        rows = [r for r in bad_rows if labels[r] == kind]
        n_kind = labels.count(kind)
        detail = ""
        if rows:
            r = rows[0]
            b = first_diff(ours[r], ref[r])
            detail = (f"{len(rows)}/{n_kind} blocks differ; first: block {r} byte {b}: "
                      f"ours 0x{ours[r, b]:02x} {what} 0x{ref[r, b]:02x}")
        C.check(f"quantize {t} [{kind}] == {what} ({n_kind} blocks)", not rows, detail)


def test_quantize(rng):
    chunk = ggml_fn("ggml_quantize_chunk", [ctypes.c_int, VP, VP, I64, I64, I64, VP], ctypes.c_size_t)
    for t in QUANT_TYPES + ["F16", "BF16", "F32"]:
        tid, be, bb, _ = TYPES[t]
        n_per_row = 1024 if be > 1 else 256  # several blocks per row: exercises row stepping
        x, labels = quant_inputs(rng, 256 if be == 1 else be, 1 if be == 1 else n_per_row // be)
        if be == 1:
            labels = [lab for lab in labels for _ in range(256)]
        x = x.reshape(-1)
        nb = x.size // be
        src, dst = WORK / f"q_{t}.f32", WORK / f"q_{t}.bin"
        x.tofile(src)
        try:
            run_tool("quantize", t, src, dst, n_per_row)
        except RuntimeError as e:
            C.check(f"quantize {t}", False, str(e))
            continue
        ours = np.fromfile(dst, dtype=np.uint8)
        if ours.size != nb * bb:
            C.check(f"quantize {t}", False, f"expected {nb * bb} bytes, found {ours.size}")
            continue
        if t in QUANT_TYPES and t not in CHUNK_ONLY:
            ref = np.zeros(nb * bb, np.uint8)
            f = ggml_fn(f"quantize_row_{sym(t)}_ref", [VP, VP, I64])
            if f is not None:
                f(x.ctypes.data, ref.ctypes.data, x.size)
                report_blocks(t, f"quantize_row_{sym(t)}_ref", ours, ref, bb, labels)
        if chunk is not None:
            ref2 = np.zeros(nb * bb, np.uint8)
            rows = x.size // n_per_row
            size = chunk(tid, x.ctypes.data, ref2.ctypes.data, 0, rows, n_per_row, None)
            C.check(f"ggml_quantize_chunk {t} size", size == nb * bb, f"{size} != {nb * bb}")
            report_blocks(t, "ggml_quantize_chunk", ours, ref2, bb, labels)


# ---------------------------------------------------------------------------------------------
# (c) fp16 / bf16 conversions
# ---------------------------------------------------------------------------------------------
CHUNK_BITS = 24


def sweep_chunk(start, n, base, bits):
    np.add(base, np.uint32(start), out=bits)
    return bits


def locate_sweep_diff(kind, start, fn, portable):
    n = 1 << CHUNK_BITS
    x = sweep_chunk(start, n, np.arange(n, dtype=np.uint32), np.empty(n, np.uint32)).view(np.float32)
    ref = np.empty(n, np.uint16)
    fn(x.ctypes.data, ref.ctypes.data, n)
    src, dst = WORK / "sweep.f32", WORK / "sweep.u16"
    x.tofile(src)
    run_tool("f32-to-f16" if kind == "f16" else "f32-to-bf16", src, dst, *(["--portable"] if portable else []))
    ours = np.fromfile(dst, np.uint16)
    i = first_diff(ours, ref)
    return f"f32 0x{start + i:08x}: ours 0x{ours[i]:04x} ggml 0x{ref[i]:04x}" if i >= 0 else "no element differs?"


def test_sweeps():
    """All 2^32 f32 patterns. The tool runs concurrently with the ggml side (2 processes)."""
    to_f16 = ggml_fn("ggml_fp32_to_fp16_row", [VP, VP, I64])
    to_bf16 = ggml_fn("ggml_fp32_to_bf16_row", [VP, VP, I64])
    to_bf16_ref = ggml_fn("ggml_fp32_to_bf16_row_ref", [VP, VP, I64])
    if None in (to_f16, to_bf16, to_bf16_ref):
        return
    proc = subprocess.Popen([str(TOOL), "sweep", str(CHUNK_BITS)], stdout=subprocess.PIPE, text=True)
    n = 1 << CHUNK_BITS
    base, bits = np.arange(n, dtype=np.uint32), np.empty(n, np.uint32)
    h16, hb, hb2 = np.empty(n, np.uint16), np.empty(n, np.uint16), np.empty(n, np.uint16)
    ref = []
    bf16_row_vs_ref = -1  # first pattern where ggml's two bf16 paths disagree (they should not)
    for start in range(0, 1 << 32, n):
        x = sweep_chunk(start, n, base, bits)
        to_f16(x.ctypes.data, h16.ctypes.data, n)
        to_bf16_ref(x.ctypes.data, hb.ctypes.data, n)
        to_bf16(x.ctypes.data, hb2.ctypes.data, n)
        if bf16_row_vs_ref < 0 and not np.array_equal(hb, hb2):
            bf16_row_vs_ref = start + first_diff(hb, hb2)
        ref.append((f"{start:08x}", hashlib.sha256(h16.tobytes()).hexdigest(), hashlib.sha256(hb.tobytes()).hexdigest()))
    out, _ = proc.communicate()
    if proc.returncode != 0:
        C.check("sweep tool", False, f"exit status {proc.returncode}")
        return
    ours = [line.split() for line in out.splitlines()]
    C.check("tool sweep covers all 2^32 patterns", len(ours) == len(ref) and all(len(o) == 4 for o in ours),
          f"{len(ours)} chunk lines, expected {len(ref)}")
    if len(ours) != len(ref):
        return
    C.check("ggml_fp32_to_bf16_row == ggml_fp32_to_bf16_row_ref (oracle self-consistency)", bf16_row_vs_ref < 0,
          f"first difference at f32 0x{bf16_row_vs_ref:08x}")
    for col, kind, ref_col, fn, fname, portable in [(1, "f16", 1, to_f16, "ggml_fp32_to_fp16_row", False),
                                                     (2, "f16", 1, to_f16, "ggml_fp32_to_fp16_row", True),
                                                     (3, "bf16", 2, to_bf16_ref, "ggml_fp32_to_bf16_row_ref", False)]:
        bad = [i for i, (o, r) in enumerate(zip(ours, ref)) if o[0] != r[0] or o[col] != r[ref_col]]
        detail = ""
        if bad:
            detail = f"{len(bad)} of {len(ref)} chunks differ; first: " + locate_sweep_diff(
                kind, int(ref[bad[0]][0], 16), fn, portable)
        path = "portable" if portable else "fast"
        C.check(f"fp32->{kind} ({path} path) == {fname} on all 2^32 patterns", not bad, detail)


def test_half_to_f32():
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    src = WORK / "h.u16"
    h.tofile(src)
    for kind in ("f16", "bf16"):
        fn = ggml_fn(f"ggml_{'fp16' if kind == 'f16' else 'bf16'}_to_fp32_row", [VP, VP, I64])
        ref = np.zeros(1 << 16, np.float32)
        if fn is not None:
            fn(h.ctypes.data, ref.ctypes.data, h.size)
        for portable in (False, True):
            dst = WORK / f"h_{kind}.f32"
            run_tool(f"{kind}-to-f32", src, dst, *(["--portable"] if portable else []))
            ours = np.fromfile(dst, np.uint32)
            i = first_diff(ours, f32_bits(ref))
            C.check(f"{kind}->fp32 ({'portable' if portable else 'fast'}) == ggml on all 65536 patterns", i < 0,
                  f"pattern 0x{max(i,0):04x}: ours 0x{ours[max(i,0)]:08x} ggml 0x{f32_bits(ref)[max(i,0)]:08x}")
            if kind == "f16":
                npv = h.view(np.float16).astype(np.float32)
            else:
                npv = (h.astype(np.uint32) << 16).view(np.float32)
            nan = np.isnan(npv)
            same = (ours == f32_bits(npv)) | (nan & np.isnan(ours.view(np.float32)))
            C.check(f"{kind}->fp32 ({'portable' if portable else 'fast'}) == numpy (NaN as NaN)", bool(same.all()),
                  f"pattern 0x{first_diff(same, True):04x}")


def test_f32_to_half_numpy(rng):
    """Independent second opinion on fp32->fp16/bf16 rounding for non-NaN values (numpy)."""
    special = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.996, 65520.0, -65520.0, 6.1035156e-05, 5.9604645e-08,
               2.9802322e-08, 2.9802326e-08, 8.940697e-08, 1e-45, -1e-45, 1.17549435e-38, 3.4028235e38,
               np.inf, -np.inf, 1.0009765625, 1.00048828125, 1.00146484375, 2049.0, 2051.0]
    x = np.concatenate([np.array(special, np.float32),
                        rng.integers(0, 1 << 32, 1 << 20, dtype=np.uint64).astype(np.uint32).view(np.float32)])
    x = x[~np.isnan(x)]
    src = WORK / "x.f32"
    x.tofile(src)
    for portable in (False, True):
        run_tool("f32-to-f16", src, WORK / "x.u16", *(["--portable"] if portable else []))
        ours = np.fromfile(WORK / "x.u16", np.uint16)
        with np.errstate(over="ignore"):
            ref = x.astype(np.float16).view(np.uint16)
        i = first_diff(ours, ref)
        C.check(f"fp32->f16 ({'portable' if portable else 'fast'}) == numpy astype on specials + 1M random", i < 0,
              f"f32 0x{f32_bits(x)[max(i,0)]:08x}: ours 0x{ours[max(i,0)]:04x} numpy 0x{ref[max(i,0)]:04x}")
    # bf16: torch's round-to-nearest-even conversion (torch is part of the oracle venv)
    run_tool("f32-to-bf16", src, WORK / "x.u16")
    ours = np.fromfile(WORK / "x.u16", np.uint16)
    try:
        import torch
    except ImportError:
        C.check("import torch", False, "torch missing from the oracle venv")
        return
    ref = torch.from_numpy(x.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    i = first_diff(ours, ref)
    C.check("fp32->bf16 == torch on specials + 1M random (non-NaN)", i < 0,
          f"f32 0x{f32_bits(x)[max(i,0)]:08x}: ours 0x{ours[max(i,0)]:04x} torch 0x{ref[max(i,0)]:04x}")


def main():
    rng = np.random.default_rng(20260126)
    steps = [("dequantize", lambda: test_dequantize(rng)), ("quantize", lambda: test_quantize(rng)),
             ("half->f32", test_half_to_f32), ("f32->half numpy", lambda: test_f32_to_half_numpy(rng)),
             ("f32->half sweeps", test_sweeps)]
    for name, fn in steps:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # an oracle or tool crash is a failure of that step, not a skip
            C.check(name, False, f"{type(e).__name__}: {e}")
        print(f"[{name}: {time.monotonic() - t0:.1f} s]", flush=True)
    C.finish()


if __name__ == "__main__":
    main()
