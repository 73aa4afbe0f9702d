#!/usr/bin/env python3
"""Writes the committed regression corpus of the fuzz targets: tests/fuzz/corpus/<target>/.

Seeds (small valid inputs) and every crashing or exhausting input of issue 13 that a target
reaches (JSON nested 100k deep, Sequence nesting, id 1e8, 20k-character scalars, alias cycle,
billion laughs, the chat-template number conversions and budgets, 2,000 Range entries, ...).
Inputs libFuzzer finds later are added by hand (copy the crash file into the target's folder).
usage: make_corpus.py --bin build/release/runner/apr-qa [--out tests/fuzz/corpus]
The output is deterministic; rerunning it rewrites the same files (and keeps added ones).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def deep(n, o="[", c="]"):
    return o * n + c * n


def st_file(header, data=b""):
    h = header.encode()
    return struct.pack("<Q", len(h)) + h + data


def gguf_file(kvs, tensors, version=3):
    """kvs: (key, type, packed value bytes); tensors: (name, dims, ggml type, offset)."""
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for k, t, v in kvs:
        out += s(k) + struct.pack("<I", t) + v
    for name, dims, t, off in tensors:
        out += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", t, off)
    out += b"\0" * ((-len(out)) % 32)
    return out + b"\0" * 32


def gguf_str(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def apr_file(meta_text, tensors=(("x", 0, [2]),)):
    """A minimal APR v2 file: header, metadata JSON, index, 64-aligned data, footer CRC."""
    meta = meta_text.encode()
    index = b""
    off = 0
    sizes = []
    for name, t, shape in tensors:
        nb = 4
        for d in shape:
            nb *= d
        index += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BB", t, len(shape))
        index += b"".join(struct.pack("<Q", d) for d in shape) + struct.pack("<QQ", off, nb & ((1 << 64) - 1))
        sizes.append(min(nb, 64))
        off += (min(nb, 64) + 63) // 64 * 64
    index_off = 64 + (len(meta) + 63) // 64 * 64
    data_off = index_off + (len(index) + 63) // 64 * 64
    head = bytearray(64)
    head[0:4] = b"APR\0"
    struct.pack_into("<BBHIQIQQ", head, 4, 2, 0, 0x0400, len(tensors), 64, len(meta), index_off, data_off)
    struct.pack_into("<I", head, 40, zlib.crc32(bytes(head[:40]) + bytes(head[44:64])) & 0xFFFFFFFF)
    body = bytes(head) + meta + b"\0" * (index_off - 64 - len(meta)) + index + b"\0" * (data_off - index_off - len(index))
    for nb in sizes:
        body += b"\0" * ((nb + 63) // 64 * 64)
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def http(head_lines, body=b""):
    return ("\r\n".join(head_lines) + "\r\n\r\n").encode("latin-1") + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    a = ap.parse_args()
    files = {}

    def put(target, name, data):
        files[(target, name)] = data.encode() if isinstance(data, str) else data

    # --- gguf ---
    put("gguf", "empty_v3.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    kv_arch = ("general.architecture", 8, gguf_str("llama"))
    put("gguf", "one_tensor.gguf", gguf_file([kv_arch, ("general.alignment", 4, struct.pack("<I", 32))], [("x", [2], 0, 0)]))
    put("gguf", "block_count_2e32.gguf", gguf_file([kv_arch, ("llama.block_count", 4, struct.pack("<I", 0xFFFFFFFF))], [("x", [2], 0, 0)]))
    put("gguf", "tensor_count_2e63.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 63, 0))
    put("gguf", "kv_count_2e63.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 63))
    put("gguf", "array_2e62.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_str("a") + struct.pack("<IIQ", 9, 4, 1 << 62))
    put("gguf", "dims_overflow.gguf", gguf_file([kv_arch], [("x", [1 << 40, 1 << 40], 0, 0)]))
    put("gguf", "bad_offset.gguf", gguf_file([kv_arch], [("x", [2], 0, 1 << 50)]))
    put("gguf", "unknown_type.gguf", gguf_file([kv_arch], [("x", [2], 200, 0)]))
    put("gguf", "truncated.gguf", gguf_file([kv_arch], [("x", [2], 0, 0)])[:45])

    # --- safetensors (first byte: 0 = .safetensors file, 1 = index.json beside shards a/b) ---
    ok_hdr = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}'
    put("safetensors", "file_valid", b"\0" + st_file(ok_hdr, b"\0" * 8))
    put("safetensors", "file_meta_nested_100k", b"\0" + st_file('{"__metadata__":{"x":' + deep(100000) + "}}"))
    put("safetensors", "file_dtype_nested_100k", b"\0" + st_file('{"a":{"dtype":' + deep(100000) + ',"shape":[1],"data_offsets":[0,4]}}', b"\0" * 4))
    ents = ",".join(f'"t{i}":{{"dtype":"F32","shape":[1],"data_offsets":[{4 * i},{4 * i + 4}]}}' for i in range(10000))
    put("safetensors", "file_10k_entries_duplicate", b"\0" + st_file("{" + ents + ',"t0":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 40000))
    put("safetensors", "file_header_len_2e63", b"\0" + struct.pack("<Q", 1 << 63) + b"{}")
    put("safetensors", "file_offsets_overlap", b"\0" + st_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\0" * 12))
    put("safetensors", "file_shape_overflow", b"\0" + st_file('{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}', b"\0" * 8))
    put("safetensors", "file_unknown_dtype", b"\0" + st_file('{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', b"\0" * 16))
    put("safetensors", "index_valid", b"\1" + json.dumps({"metadata": {}, "weight_map": {"x": "a.safetensors", "y": "b.safetensors"}}).encode())
    put("safetensors", "index_weight_map_nested_100k", b"\1" + ('{"weight_map":' + deep(100000) + "}").encode())
    put("safetensors", "index_path_traversal", b"\1" + json.dumps({"weight_map": {"x": "../../../../etc/passwd"}}).encode())
    put("safetensors", "index_absolute_path", b"\1" + json.dumps({"weight_map": {"x": "/etc/passwd"}}).encode())
    put("safetensors", "index_missing_tensor", b"\1" + json.dumps({"weight_map": {"z": "a.safetensors"}}).encode())

    # --- apr ---
    put("apr", "valid.apr", apr_file(json.dumps({"architecture": "llama", "num_layers": 1})))
    put("apr", "metadata_nested_100k.apr", apr_file('{"x":' + deep(100000) + "}"))
    put("apr", "num_layers_2e40.apr", apr_file(json.dumps({"architecture": "llama", "num_layers": 2 ** 40})))
    put("apr", "metadata_not_object.apr", apr_file("[1,2,3]"))
    put("apr", "tensor_dims_overflow.apr", apr_file("{}", (("x", 0, [1 << 40, 1 << 40]),)))
    put("apr", "truncated.apr", apr_file("{}")[:100])

    # --- tokenizer.json, chat templates (need the tiny fixture's tokenizer) ---
    with tempfile.TemporaryDirectory() as t:
        subprocess.run([a.bin, "fixture", "--arch", "llama", "-o", t + "/fx"], check=True, stdout=subprocess.DEVNULL)
        tj_text = open(t + "/fx/tokenizer.json").read()
        tcfg = json.load(open(t + "/fx/tokenizer_config.json"))
    tj = json.loads(tj_text)
    put("tokenizer_json", "fixture.json", tj_text)
    rest = json.dumps({k: v for k, v in tj.items() if k != "pre_tokenizer"})[:-1]
    seq = lambda n: '{"type":"Sequence","pretokenizers":[' * n + "]}" * n  # noqa: E731
    put("tokenizer_json", "pre_tokenizer_sequence_12_deep.json", rest + ',"pre_tokenizer":' + seq(12) + "}")
    put("tokenizer_json", "pre_tokenizer_sequence_2000_deep.json", rest + ',"pre_tokenizer":' + seq(2000) + "}")
    sparse = json.loads(tj_text)
    sparse["model"]["vocab"]["far_away"] = 100000000
    put("tokenizer_json", "token_id_1e8.json", json.dumps(sparse))
    sparse["model"]["vocab"]["far_away"] = 1000000000
    put("tokenizer_json", "token_id_1e9.json", json.dumps(sparse))
    put("tokenizer_json", "nested_100k.json", deep(100000))
    neg = json.loads(tj_text)
    neg["model"]["vocab"]["neg"] = -5
    put("tokenizer_json", "token_id_negative.json", json.dumps(neg))

    templates = {
        "fixture": tcfg.get("chat_template", "") if isinstance(tcfg.get("chat_template"), str) else "",
        "chatml": "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
        "literal_1e999": "{{ 1e999 }}",
        "map_attribute_1e20": "{{ [[1]] | map(attribute='99999999999999999999') | list }}",
        "format_index_1e20": "{{ '{99999999999999999999}'.format(1) }}",
        "percent_d_inf": "{{ '%d' % 1e999 }}",
        "nested_range_100000_loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "step_budget": "{% set r = range(100) %}{% for i in r %}{% for j in r %}{% for k in r %}{{ '' }}{{ '' }}{% endfor %}{% endfor %}{% endfor %}",
        "string_doubling": "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "list_doubling": "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}",
        "center_width_4e9": "{{ 'x' | center(4000000000) }}",
        "indent_width_4e9": "{{ 'a\nb' | indent(4000000000) }}",
        "tojson_indent_4e9": "{{ [1, [2]] | tojson(indent=4000000000) }}",
        "namespace_holding_itself": "{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}",
        "lists_nested_800k": "{% set ns = namespace(x=[]) %}{% for j in range(8) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{% endfor %}ok",
        "string_times_huge": "{{ 'ab' * 4000000000 }}",
        "percent_width_huge": "{{ '%999999999d' % 1 }}",
        "unclosed_block": "{% for m in messages %}{{ m }}",
        "deep_parens": "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
    }
    for name, tpl in templates.items():
        if tpl:
            put("chat_template", name + ".jinja", tpl)

    # --- playbooks ---
    base = 'name: ok-pb\nversion: "1.0.0"\nmodel:\n  hf_repo: "org/name"\ntest_matrix:\n  scenario_count: 1\n'
    big = "a" * 20000
    put("playbook", "valid_minimal.yaml", base)
    quick = os.path.join(ROOT, "playbooks", "smollm2-135m-quick.playbook.yaml")
    if os.path.exists(quick):
        put("playbook", "smollm2_quick.yaml", open(quick).read())
    put("playbook", "name_20k.yaml", base.replace("ok-pb", big))
    put("playbook", "hf_repo_20k.yaml", base.replace("org/name", big + "/" + big))
    put("playbook", "version_20k.yaml", base.replace('"1.0.0"', '"1.0.' + "1" * 20000 + '"'))
    put("playbook", "integer_20k.yaml", base.replace("scenario_count: 1", "scenario_count: " + "9" * 20000))
    put("playbook", "alias_cycle.yaml", base + "metadata:\n  self: &a [*a]\n")
    lol = "metadata:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        lol += f"  l{i}: &l{i} [" + ", ".join([f"*l{i-1}"] * 10) + "]\n"
    put("playbook", "billion_laughs.yaml", base + lol)
    put("playbook", "two_documents.yaml", base + "---\nname: second\n")
    put("playbook", "duplicate_key.yaml", base + "name: other\n")
    put("playbook", "nested_flow_100k.yaml", base + "metadata: " + deep(100000) + "\n")
    put("playbook", "nested_block_200.yaml", base + "metadata:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(200)) + "  " * 201 + "v: 1\n")
    put("playbook", "formats_10k.yaml", base.replace("model:\n", "model:\n  formats: [" + ", ".join(["gguf"] * 10000) + "]\n"))

    # --- gate catalogue ---
    gates_dir = os.path.join(ROOT, "gates")
    if os.path.isdir(gates_dir):
        for g in sorted(os.listdir(gates_dir))[:3]:
            if g.endswith(".yaml"):
                put("gate_catalogue", g, open(os.path.join(gates_dir, g)).read())
    put("gate_catalogue", "alias_cycle.yaml", "gates:\n  - &a [*a]\n")
    put("gate_catalogue", "billion_laughs.yaml", "x:\n" + lol.split("\n", 1)[1] + "gates: []\n")
    put("gate_catalogue", "nested_flow_100k.yaml", "gates: " + deep(100000) + "\n")
    put("gate_catalogue", "not_a_mapping.yaml", "- 1\n- 2\n")

    # --- serve requests ---
    body = json.dumps({"prompt": "hi", "max_tokens": 4}).encode()
    put("serve_request", "generate_valid", http(["POST /generate HTTP/1.1", "Host: x", "Content-Type: application/json",
                                                  f"Content-Length: {len(body)}"], body))
    chat = json.dumps({"messages": [{"role": "user", "content": "hi"}], "stream": True, "n": 1}).encode()
    put("serve_request", "chat_valid", http(["POST /v1/chat/completions HTTP/1.1", "Content-Type: application/json; charset=utf-8",
                                              f"Content-Length: {len(chat)}"], chat))
    put("serve_request", "range_2000", http(["GET /health HTTP/1.1", "Range: bytes=" + ",".join(f"{i}-{i}" for i in range(2000))]))
    put("serve_request", "range_200", http(["GET /health HTTP/1.1", "Range: bytes=" + ",".join(f"{i}-{i}" for i in range(200))]))
    put("serve_request", "transfer_encoding", http(["POST /generate HTTP/1.1", "Transfer-Encoding: chunked"], b"5\r\nhello\r\n0\r\n\r\n"))
    put("serve_request", "content_length_huge", http(["POST /generate HTTP/1.1", "Content-Length: 999999999999999"]))
    put("serve_request", "content_length_conflict", http(["POST /generate HTTP/1.1", "Content-Length: 1", "Content-Length: 2"], b"{}"))
    put("serve_request", "partial_head", b"GET /health HTTP/1.1\r\nHost: x")
    put("serve_request", "json_nested_100k", http(["POST /generate HTTP/1.1", "Content-Type: application/json"], deep(100000).encode()))
    put("serve_request", "tokens_huge_ids", http(["POST /generate HTTP/1.1", "Content-Length: 60"], b'{"tokens":[18446744073709551615,-9223372036854775808,1e308]}'))
    put("serve_request", "fields_wrong_types", http(["POST /generate HTTP/1.1", "Content-Length: 80"],
                                                     b'{"max_tokens":1e300,"top_p":"x","temperature":-1,"seed":18446744073709551615}'))
    put("serve_request", "http2_preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    put("serve_request", "headers_101", http(["GET / HTTP/1.1"] + [f"X-{i}: {i}" for i in range(101)]))
    put("serve_request", "control_chars", b"GET /\x00 HTTP/1.1\r\nX: \x1b[31m\r\n\r\n")

    total = 0
    for (t, name), data in sorted(files.items()):
        os.makedirs(os.path.join(a.out, t), exist_ok=True)
        with open(os.path.join(a.out, t, name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{len(files)} inputs, {total / 1e6:.1f} MB, in {a.out}")


if __name__ == "__main__":
    sys.exit(main())
