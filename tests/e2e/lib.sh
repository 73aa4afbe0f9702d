# Shared by the end-to-end scripts (source it): fail, and the tiny three-format playbook that
# certify.sh, shard_merge.sh and tests/slurm/run.sh run.

fail() { echo "FAIL: $*"; exit 1; }

# tiny_playbook FILE NAME SCENARIOS PROMPTS [profile]: a playbook over safetensors, apr and gguf
# of the tiny fixture, run modality, cpu, the given scenario count and prompts (a YAML flow list),
# inference_compare on; "profile" adds a profile_ci block (gguf, cpu, min 0.5 tok/s).
tiny_playbook() {
  local file="$1" name="$2" scenarios="$3" prompts="$4" profile="${5:-}"
  {
    cat <<YAML
name: $name
version: "1.0.0"
model:
  hf_repo: "apr-qa/tiny"
  formats: [safetensors, apr, gguf]
  size_category: tiny
test_matrix:
  modalities: [run]
  backends: [cpu]
  scenario_count: $scenarios
  prompts: $prompts
differential_tests:
  inference_compare: {enabled: true, prompt: "Hello", max_tokens: 4, tolerance: 1e-6}
YAML
    if [ "$profile" = profile ]; then
      cat <<'YAML'
profile_ci:
  enabled: true
  warmup: 1
  measure: 2
  formats: [gguf]
  backends: [cpu]
  assertions: {min_throughput_cpu: 0.5}
YAML
    fi
    cat <<'YAML'
failure_policy: collect_all
metadata: {tier: smoke}
YAML
  } > "$file"
}

# conversion_suite_failing SRC WORK APR: WORK/gates (the catalogue with F-CONV-G-S made to fail: a
# tensors_compared threshold no model meets), WORK/pb.yaml (the tiny fixture's conversion suite:
# three formats, cpu, collect_all) and WORK/model (the tiny qwen2 fixture). keep_artifacts.sh and
# scratch.sh use it so that `--keep-artifacts failed` keeps that gate's conversion chain.
conversion_suite_failing() {
  local src="$1" work="$2" apr="$3"
  mkdir -p "$work/gates"
  cp "$src"/gates/*.yaml "$work/gates/"
  python3 - "$work/gates/conversion.yaml" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
i = s.index("- id: F-CONV-G-S\n"); j = s.index('tensors_compared: ">= 1"', i)
open(p, "w").write(s[:j] + 'tensors_compared: ">= 1000000000"' + s[j + len('tensors_compared: ">= 1"'):])
PY
  cat > "$work/pb.yaml" <<'YAML'
name: conversion-suite
version: "1.0.0"
model:
  hf_repo: "example/tiny"
  formats: [safetensors, gguf, apr]
test_matrix:
  modalities: [run]
  backends: [cpu]
  scenario_count: 1
conversion_tests:
  enabled: true
failure_policy: collect_all
YAML
  "$apr" fixture --arch qwen2 --preset tiny -o "$work/model" > /dev/null
}
