#!/usr/bin/env python3
"""Oracle test: lossless means all of it. Read from outside with gguf-py (llama.cpp's own reader),
every conversion path back to GGUF -- GGUF -> GGUF, -> APR -> GGUF, -> SafeTensors -> GGUF and the
chains -> APR -> SafeTensors -> GGUF, -> SafeTensors -> APR -> GGUF -- gives a GGUF whose key/value
set (names, types, array element types, values) equals the source's, and whose tensors are
byte-identical (name, type, shape, bytes). Run on the real SmolLM2-135M-Instruct Q4_1 GGUF and on
a fixture GGUF that gguf-py itself rewrote with unusual keys (arrays of strings/u8/bool/f64/i64,
u8/i8/u16/i64/u64/f64/bool scalars, an unknown vendor key, a custom alignment, a derived key in
another integer type). `apr-qa diff` of source and every output is equal (exit 0, no metadata
difference), and reports the planted keys when they are missing. Prints "N passed, N failed".
"""
import json
import os
import subprocess
import sys

import numpy as np

from oracle_support import Checks, apr, apr_bin, gguf_field_value, work_dir

C = Checks(quiet=True)
WORK = work_dir("convert-metadata")
MODELS = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
SMOL = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")


def kv_set(path):
    """{key: (type, element type, value)} of every metadata key, as gguf-py reads it."""
    import gguf
    r = gguf.GGUFReader(path)
    out = {}
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            continue
        t, et, v = gguf_field_value(f)
        if isinstance(v, float) and v != v:
            v = "nan"
        out[name] = (t, et, v)
    return out


def tensor_set(path):
    import gguf
    r = gguf.GGUFReader(path)
    return {t.name: (t.tensor_type.name, [int(x) for x in t.shape], bytes(np.asarray(t.data).tobytes())) for t in r.tensors}


def paths(src, d):
    """Every path back to GGUF: {label: output GGUF}."""
    out = {}
    def conv(a, b):
        apr("convert", a, b)
        return b
    out["G->G"] = conv(src, os.path.join(d, "gg.gguf"))
    a = conv(src, os.path.join(d, "a.apr"))
    out["G->A->G"] = conv(a, os.path.join(d, "ag.gguf"))
    s = conv(src, os.path.join(d, "s"))
    out["G->S->G"] = conv(s, os.path.join(d, "sg.gguf"))
    as_ = conv(a, os.path.join(d, "as"))
    out["G->A->S->G"] = conv(as_, os.path.join(d, "asg.gguf"))
    sa = conv(s, os.path.join(d, "sa.apr"))
    out["G->S->A->G"] = conv(sa, os.path.join(d, "sag.gguf"))
    gga = conv(out["G->G"], os.path.join(d, "gga.apr"))
    out["G->G->A->G"] = conv(gga, os.path.join(d, "ggag.gguf"))
    return out, [a, s, as_, sa, gga]


def check_paths(tag, src):
    d = os.path.join(WORK, tag)
    os.makedirs(d, exist_ok=True)
    want_kv, want_t = kv_set(src), tensor_set(src)
    C.check(f"{tag}: source has metadata and tensors", len(want_kv) > 5 and len(want_t) > 10, (len(want_kv), len(want_t)))
    outs, intermediates = paths(src, d)
    for label, g in outs.items():
        got_kv, got_t = kv_set(g), tensor_set(g)
        missing = sorted(set(want_kv) - set(got_kv))
        extra = sorted(set(got_kv) - set(want_kv))
        differ = sorted(k for k in set(want_kv) & set(got_kv) if want_kv[k] != got_kv[k])
        C.check(f"{tag} {label}: every source key present", not missing, missing[:8])
        C.check(f"{tag} {label}: no key added", not extra, extra[:8])
        C.check(f"{tag} {label}: every key's type, element type and value equal", not differ,
                [(k, str(want_kv[k])[:120], str(got_kv[k])[:120]) for k in differ[:4]])
        same_t = sum(1 for n, v in want_t.items() if got_t.get(n) == v)
        C.check(f"{tag} {label}: {same_t}/{len(want_t)} tensors byte-identical (name, type, shape, bytes)",
                same_t == len(want_t) and len(got_t) == len(want_t), (same_t, len(want_t), len(got_t)))
        print(f"     {tag} {label}: {len(got_kv)}/{len(want_kv)} keys equal-set={not (missing or extra or differ)}, "
              f"{same_t}/{len(want_t)} tensors identical", flush=True)
    for out in list(outs.values()) + intermediates:
        r = subprocess.run([apr_bin(), "diff", src, out, "--json"], capture_output=True, text=True)
        ok = r.returncode == 0
        meta = json.loads(r.stdout).get("metadata_diffs", ["?"]) if r.stdout.strip().startswith("{") else ["no json"]
        C.check(f"{tag}: apr-qa diff source {os.path.basename(out)} equal with no metadata difference",
                ok and not meta, (r.returncode, meta[:4], r.stderr[-300:]))
    return d


def plant(src, dst):
    """gguf-py rewrites src as dst with every field kept plus unusual keys (gguf_new_metadata's copy)."""
    import gguf
    T = gguf.GGUFValueType
    r = gguf.GGUFReader(src)
    arch = gguf_field_value(r.fields["general.architecture"])[2]
    w = gguf.GGUFWriter(dst, arch)
    w.add_custom_alignment(64)
    retype = next(k for k in ("tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id") if k in r.fields)
    new = {
        "general.languages": (["en", "fr", "zh"], T.ARRAY, T.STRING),
        "general.tags": (["a", "b"], T.ARRAY, T.STRING),
        retype: (None, T.INT32, None),  # same value, another integer type than apr-qa writes
        "vendor.acme.u8": (255, T.UINT8, None),
        "vendor.acme.i8": (-128, T.INT8, None),
        "vendor.acme.u16": (65535, T.UINT16, None),
        "vendor.acme.i64": (-(2 ** 63), T.INT64, None),
        "vendor.acme.u64": (2 ** 64 - 1, T.UINT64, None),
        "vendor.acme.f64": (0.1, T.FLOAT64, None),
        "vendor.acme.flag": (False, T.BOOL, None),
        "vendor.acme.note": ("caf\u00e9 \u2615", T.STRING, None),
        "vendor.acme.arr_u8": ([0, 7, 255], T.ARRAY, T.UINT8),
        "vendor.acme.arr_bool": ([True, False, True], T.ARRAY, T.BOOL),
        "vendor.acme.arr_f64": ([0.1, -2.5e300, 5e-324], T.ARRAY, T.FLOAT64),
        "vendor.acme.arr_i64": ([-1, 2 ** 63 - 1], T.ARRAY, T.INT64),
    }
    for f in r.fields.values():
        if f.name == "general.architecture" or f.name.startswith("GGUF.") or f.name == "general.alignment":
            continue
        vt = f.types[0]
        st = f.types[-1] if vt == T.ARRAY else None
        val = f.contents()
        if f.name == retype:
            vt = new[f.name][1]
        w.add_key_value(f.name, val, vt, sub_type=st)
    for k, (v, vt, st) in new.items():
        if v is not None:
            w.add_key_value(k, v, vt, sub_type=st)
    for t in r.tensors:
        w.add_tensor_info(t.name, t.data.shape, t.data.dtype, t.data.nbytes, t.tensor_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for t in r.tensors:
        w.write_tensor_data(t.data)
    w.close()
    return list(new), retype


def main():
    # 1. The planted fixture (always present: built here).
    d = os.path.join(WORK, "fixture")
    os.makedirs(d, exist_ok=True)
    for arch in ("llama", "qwen2"):
        def section(c, arch=arch):
            src = os.path.join(d, f"{arch}-src")
            apr("fixture", "--arch", arch, "--preset", "tiny", "--seed", "4", "-o", src)
            g0 = os.path.join(d, f"{arch}-g0.gguf")
            apr("convert", src, g0)
            g1 = os.path.join(d, f"{arch}-planted.gguf")
            planted, retype = plant(g0, g1)
            kv = kv_set(g1)
            c.check(f"planted {arch}: gguf-py reads the planted keys back",
                    all(k in kv for k in planted) and kv[retype][0] == "INT32"
                    and kv["general.alignment"] == ("UINT32", None, 64), sorted(set(planted) - set(kv)))
            check_paths(f"planted-{arch}", g1)
            # The planted keys are differences, named one by one, between the source and g0.
            r = subprocess.run([apr_bin(), "diff", g1, g0, "--json"], capture_output=True, text=True)
            meta = json.loads(r.stdout)["metadata_diffs"] if r.stdout.strip().startswith("{") else []
            named = [k for k in planted if any(k + ":" in m for m in meta)]
            c.check(f"planted {arch}: diff is not equal without the planted keys (exit 1)", r.returncode == 1, r.returncode)
            c.check(f"planted {arch}: diff names every planted key", len(named) == len(planted),
                    sorted(set(planted) - set(named)))
        C.run(f"planted fixture {arch}", section)
    # 2. The real SmolLM2 GGUF.
    def smol(c):
        c.check("real model present (a missing oracle is a failure)", os.path.isfile(SMOL), SMOL)
        if os.path.isfile(SMOL):
            check_paths("smollm2", SMOL)
    C.run("SmolLM2-135M-Instruct Q4_1", smol)
    C.finish()


if __name__ == "__main__":
    main()
