#!/usr/bin/env python3
"""same_record.py A B: exit 0 when two evidence.json files hold the same entries in the same order
(gate id, scenario id, outcome, and every measurement's name and value, timing units tok/s, ms and
s aside); otherwise print the first difference and exit 1. Used by the sharding tests
(tests/e2e/shard_merge.sh, tests/slurm/run.sh)."""
import json
import sys

TIMING_UNITS = {"tok/s", "ms", "s"}


def entries(path):
    out = []
    for e in json.load(open(path)):
        ms = tuple((m["name"], m.get("value")) for m in e.get("measurements", []) if m.get("unit") not in TIMING_UNITS)
        out.append((e["gate_id"], e["scenario"]["id"], e["outcome"], ms))
    return out


a, b = entries(sys.argv[1]), entries(sys.argv[2])
if a == b:
    print(f"same record: {len(a)} entries ({sys.argv[1]} = {sys.argv[2]})")
    sys.exit(0)
print(f"records differ: {len(a)} entries in {sys.argv[1]}, {len(b)} in {sys.argv[2]}")
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print(f"  first difference at entry {i}:\n    {x}\n    {y}")
        break
sys.exit(1)
