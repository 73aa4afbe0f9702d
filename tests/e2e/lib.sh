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
