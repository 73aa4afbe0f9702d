"""Oracle test: apr-qa's SafeTensors reader and writer against HF `safetensors` (PyPI).

1. Files written by apr-qa load in safetensors (numpy and torch APIs, BF16 via torch) with
   identical names, dtypes, shapes, bytes and __metadata__ — and are byte-identical to what the
   reference writer produces for the same tensors (its layout rules: dtype order, name order,
   compact JSON, 8-byte padding).
2. Files written by safetensors (numpy and torch, incl. BF16, scalars, zero-size tensors) are read
   by apr-qa (`apr-qa inspect --json --full --hash`) identically.
3. Sharded checkpoints both ways: apr-qa's write_sharded loads shard by shard in safetensors with a
   consistent index; an HF-style sharded snapshot (huggingface_hub's splitter + safetensors
   writer + index.json) is resolved and read by apr-qa as a directory.
"""
import json
import os
import shutil

import numpy as np
import torch
from huggingface_hub import split_torch_state_dict_into_shards
from safetensors import safe_open
from safetensors.numpy import save_file as np_save
from safetensors.torch import load_file as torch_load, save_file as torch_save

from oracle_support import Checks, inspect_json, run, sha256, tool, work_dir

RNG = np.random.default_rng(7)


def raw_of(t):
    """Row-major little-endian bytes of a torch tensor (BF16 through an int16 view)."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


DT = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def sample_tensors():
    g = torch.Generator().manual_seed(3)
    return {
        "model.embed_tokens.weight": torch.randn(11, 8, generator=g).to(torch.bfloat16),
        "model.layers.0.self_attn.q_proj.weight": torch.randn(8, 8, generator=g).to(torch.bfloat16),
        "model.layers.0.self_attn.q_proj.bias": torch.randn(8, generator=g),
        "model.norm.weight": torch.randn(8, generator=g).to(torch.float16),
        "lm_head.weight": torch.randn(11, 8, generator=g),
        "scalar": torch.tensor(1.5),
        "empty": torch.zeros(0, 4),
        "cube": torch.randn(2, 3, 4, generator=g).to(torch.float16),
    }


def spec_for(d, tensors, metadata):
    spec = {"metadata": metadata, "tensors": []}
    for name, t in tensors.items():
        p = os.path.join(d, name + ".bin")
        with open(p, "wb") as f:
            f.write(raw_of(t))
        spec["tensors"].append({"name": name, "dtype": DT[t.dtype], "shape": list(t.shape), "data": p})
    sp = os.path.join(d, "spec.json")
    with open(sp, "w") as f:
        json.dump(spec, f)
    return sp


def compare_loaded(c, loaded, tensors, tag):
    c.eq(sorted(loaded), sorted(tensors), f"{tag}: tensor names")
    for name, t in tensors.items():
        if name not in loaded:
            continue
        l = loaded[name]
        c.eq((l.dtype, list(l.shape)), (t.dtype, list(t.shape)), f"{tag}: {name} dtype/shape")
        c.eq(sha256(raw_of(l)), sha256(raw_of(t)), f"{tag}: {name} bytes")


def compare_inspect(c, ours, tensors, tag, shard_of=None):
    by = {t["name"]: t for t in ours["tensors"]}
    c.eq(sorted(by), sorted(tensors), f"{tag}: names")
    for name, t in tensors.items():
        m = by.get(name)
        if m is None:
            continue
        exp = (DT[t.dtype], list(t.shape), t.numel() * t.element_size(), sha256(raw_of(t)))
        c.eq((m["dtype"], m["shape"], m["bytes"], m["sha256"]), exp, f"{tag}: {name}")
        if shard_of:
            c.eq(m.get("file"), shard_of[name], f"{tag}: {name} shard")
    c.eq(ours["totals"]["parameters"], sum(t.numel() for t in tensors.values()), f"{tag}: parameter total")


def test_ours_to_reference(c):
    d = work_dir("st-ours")
    tensors = sample_tensors()
    meta = {"format": "pt"}
    out = os.path.join(d, "ours.safetensors")
    run([tool("oracle_formats_write"), "safetensors", spec_for(d, tensors, meta), out])
    compare_loaded(c, torch_load(out), tensors, "ours->safetensors.torch")
    with safe_open(out, framework="np") as f:
        c.eq(f.metadata(), meta, "ours->safe_open: __metadata__")
        for name in ["lm_head.weight", "model.layers.0.self_attn.q_proj.bias", "scalar", "empty"]:
            a = f.get_tensor(name)
            c.eq(sha256(a.tobytes()), sha256(raw_of(tensors[name])), f"ours->safetensors.numpy: {name}")
    # Byte-identical to the reference writer for the same tensors and metadata.
    ref = os.path.join(d, "ref.safetensors")
    torch_save(tensors, ref, metadata=meta)
    with open(out, "rb") as a, open(ref, "rb") as b:
        c.eq(sha256(a.read()), sha256(b.read()), "ours is byte-identical to safetensors.torch.save_file")
    # Without metadata, against the numpy writer (F32/F16 only).
    np_tensors = {"b": RNG.standard_normal((3, 5)).astype(np.float32), "a": RNG.standard_normal(4).astype(np.float16),
                  "c": RNG.standard_normal((2, 2)).astype(np.float32)}
    ref2 = os.path.join(d, "ref2.safetensors")
    np_save(np_tensors, ref2)
    out2 = os.path.join(d, "ours2.safetensors")
    run([tool("oracle_formats_write"), "safetensors",
         spec_for(d, {k: torch.from_numpy(v) for k, v in np_tensors.items()}, {}), out2])
    with open(out2, "rb") as a, open(ref2, "rb") as b:
        c.eq(sha256(a.read()), sha256(b.read()), "ours is byte-identical to safetensors.numpy.save_file (no metadata)")
    shutil.rmtree(d)


def test_reference_to_ours(c):
    d = work_dir("st-theirs")
    tensors = sample_tensors()
    p = os.path.join(d, "theirs.safetensors")
    torch_save(tensors, p, metadata={"format": "pt", "source": "torch"})
    ours = inspect_json(p)
    c.eq(ours["format"], "safetensors", "format detected")
    c.eq({m["key"]: m["value"] for m in ours["metadata"]}, {"format": "pt", "source": "torch"}, "__metadata__")
    compare_inspect(c, ours, tensors, "safetensors.torch->ours")
    # Offsets: header length + 8 + begin, as the reference computes them.
    with open(p, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    for t in ours["tensors"]:
        c.eq(t["offset"], 8 + n + header[t["name"]]["data_offsets"][0], f"offset of {t['name']}")
    # numpy writer, and our passthrough copy of it loads back identically.
    arrs = {"x": RNG.standard_normal((4, 6)).astype(np.float32), "y": RNG.standard_normal(9).astype(np.float16)}
    p2 = os.path.join(d, "np.safetensors")
    np_save(arrs, p2)
    compare_inspect(c, inspect_json(p2), {k: torch.from_numpy(v) for k, v in arrs.items()}, "safetensors.numpy->ours")
    cp = os.path.join(d, "copy.safetensors")
    run([tool("oracle_formats_write"), "copy-safetensors", p, cp])
    compare_loaded(c, torch_load(cp), tensors, "ours(copy)->safetensors")
    shutil.rmtree(d)


def test_sharded(c):
    d = work_dir("st-sharded")
    tensors = sample_tensors()
    # Ours -> reference: each shard loads; the index maps every tensor to the shard holding it.
    outdir = os.path.join(d, "ours")
    os.makedirs(outdir)
    run([tool("oracle_formats_write"), "safetensors-sharded", spec_for(d, tensors, {"format": "pt"}), outdir, "200"])
    with open(os.path.join(outdir, "model.safetensors.index.json")) as f:
        index = json.load(f)
    shards = sorted(set(index["weight_map"].values()))
    c.check(f"ours: split into {len(shards)} shards", len(shards) >= 3)
    loaded = {}
    for s in shards:
        part = torch_load(os.path.join(outdir, s))
        for k in part:
            c.eq(index["weight_map"].get(k), s, f"ours: index places {k} in {s}")
        loaded.update(part)
    compare_loaded(c, loaded, tensors, "ours sharded->safetensors")
    c.eq(index["metadata"]["total_size"], sum(len(raw_of(t)) for t in tensors.values()), "ours: total_size")
    # Reference-style sharded HF snapshot -> ours (through directory resolution).
    snap = os.path.join(d, "Qwen2.5-Coder-0.5B-Instruct")
    os.makedirs(snap)
    split = split_torch_state_dict_into_shards(tensors, filename_pattern="model{suffix}.safetensors", max_shard_size=300)
    c.check("huggingface_hub split into shards", split.is_sharded and len(split.filename_to_tensors) >= 2)
    for fname, names in split.filename_to_tensors.items():
        torch_save({n: tensors[n].contiguous() for n in names}, os.path.join(snap, fname), metadata={"format": "pt"})
    with open(os.path.join(snap, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": split.metadata, "weight_map": split.tensor_to_filename}, f, indent=2)
    for side in ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]:
        with open(os.path.join(snap, side), "w") as f:
            f.write("{}")
    ours = inspect_json(snap)
    c.eq(ours["file"], os.path.join(snap, "model.safetensors.index.json"), "snapshot directory resolves to its index")
    c.eq(len(ours["files"]), len(split.filename_to_tensors), "every shard opened")
    compare_inspect(c, ours, tensors, "HF sharded->ours", shard_of=split.tensor_to_filename)
    # Our copy of the sharded checkpoint into one file loads in safetensors.
    one = os.path.join(d, "one.safetensors")
    run([tool("oracle_formats_write"), "copy-safetensors", os.path.join(snap, "model.safetensors.index.json"), one])
    compare_loaded(c, torch_load(one), tensors, "sharded->ours single->safetensors")
    shutil.rmtree(d)


if __name__ == "__main__":
    c = Checks(quiet=True)
    c.run("apr-qa writer -> safetensors", test_ours_to_reference)
    c.run("safetensors writer -> apr-qa", test_reference_to_ours)
    c.run("sharded checkpoints both ways", test_sharded)
    c.finish()
