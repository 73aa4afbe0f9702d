"""schemas/playbook.schema.json describes exactly what the loader accepts: every playbook in
playbooks/ and ../shared/anchor/{playbooks,templates} validates with jsonschema (PyYAML parsing,
plus exponent floats such as 1e-5), and on a set of invalid playbooks `apr-qa validate --strict`
and the schema agree (both reject; the valid controls both accept). gates/*.yaml validate against
schemas/gate.schema.json; certifications/models.yaml validates against
schemas/certification-registry.schema.json, and on invalid registries the schema and
`apr-qa certify --dry-run` agree. Env: APR_QA_BIN, APR_QA_SOURCE_DIR, APR_QA_SHARED_DIR, APR_QA_WORK_DIR."""
import glob, json, os, re, subprocess

import jsonschema
import yaml

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
SRC = os.environ["APR_QA_SOURCE_DIR"]
SHARED = os.environ["APR_QA_SHARED_DIR"]
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-schema")
os.makedirs(WORK, exist_ok=True)

C = Checks(quiet=True)


class Loader(yaml.SafeLoader):
    pass


# YAML 1.2 / yaml-cpp read 1e-5 as a number; PyYAML (YAML 1.1) needs a dot. Same rule as the loader.
Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789"))

pschema = json.load(open(os.path.join(SRC, "schemas/playbook.schema.json")))
gschema = json.load(open(os.path.join(SRC, "schemas/gate.schema.json")))
jsonschema.Draft202012Validator.check_schema(pschema)
jsonschema.Draft202012Validator.check_schema(gschema)
jsonschema.Draft202012Validator.check_schema(json.load(open(os.path.join(SRC, "schemas/evidence.schema.json"))))
pv = jsonschema.Draft202012Validator(pschema)


def schema_ok(text):
    try:
        doc = yaml.load(text, Loader=Loader)
    except yaml.YAMLError:
        return False
    return not list(pv.iter_errors(doc))


def loader_ok(path):
    r = subprocess.run([BIN, "validate", "--strict", path], capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


files = sorted(glob.glob(os.path.join(SRC, "playbooks/*.yaml")) + glob.glob(os.path.join(SHARED, "anchor/playbooks/*.yaml"))
               + glob.glob(os.path.join(SHARED, "anchor/templates/*.yaml")))
C.check("found %d playbooks" % len(files), len(files) >= 14)
for f in files:
    text = open(f).read()
    errs = list(pv.iter_errors(yaml.load(text, Loader=Loader)))
    C.check("%s: schema: %s" % (f, [e.message for e in errs[:2]]), not errs)
    ok, err = loader_ok(f)
    C.check("%s: loader: %s" % (f, err), ok)

HEAD = 'name: t\nversion: "1.0.0"\nmodel:\n  hf_repo: "a/b"\ntest_matrix:\n  scenario_count: 2\n'
cases = {
    "valid-minimal": (HEAD, True),
    "valid-quoted-bool": (HEAD + 'trace_payload:\n  enabled: "yes"\n', True),
    "valid-exp-float": (HEAD + "differential_tests:\n  inference_compare:\n    tolerance: 1e-5\n", True),
    "valid-conversion-tests": (HEAD + "conversion_tests:\n  tolerance: 0.0\n  max_tokens: 4\n", True),
    "missing-model": ('name: t\nversion: "1.0.0"\ntest_matrix: {}\n', False),
    "unquoted-version": ('name: t\nversion: 1.0\nmodel:\n  hf_repo: a/b\ntest_matrix: {}\n', False),
    "bad-name": (HEAD.replace("name: t", "name: Bad_Name"), False),
    "bad-repo": (HEAD.replace('"a/b"', '"nobody"'), False),
    "unknown-top-key": (HEAD + "surprise: 1\n", False),
    "unknown-nested-key": (HEAD + "profile_ci:\n  enabled: true\n  warmpu: 3\n", False),
    "bad-format": (HEAD + "", False),
    "scenario-count-zero": (HEAD.replace("scenario_count: 2", "scenario_count: 0"), False),
    "scenario-count-string": (HEAD.replace("scenario_count: 2", 'scenario_count: "2"'), False),
    "timeout-too-small": (HEAD + "  timeout_ms: 10\n", False),
    "bad-bool-string": (HEAD + 'trace_payload:\n  enabled: "maybe"\n', False),
    "bad-bool-number": (HEAD + "trace_payload:\n  enabled: 1\n", False),
    "bad-policy": (HEAD + "failure_policy: sometimes\n", False),
    "bad-oracle": (HEAD + "oracles:\n  - type: vibes\n", False),
    "oracle-without-type": (HEAD + "oracles:\n  - config: {}\n", False),
    "bad-modality": (HEAD + "  modalities: [run, sing]\n", False),
    "empty-formats": ('name: t\nversion: "1.0.0"\nmodel:\n  hf_repo: a/b\n  formats: []\ntest_matrix: {}\n', False),
    "bad-severity": (HEAD + "falsification_gates:\n  - id: G1\n    severity: P9\n", False),
    "bad-invariant": (HEAD + "contract_tests:\n  invariants: [I-9]\n", False),
    "tolerance-string": (HEAD + "differential_tests:\n  inference_compare:\n    tolerance: small\n", False),
    "ollama-temperature": (HEAD + "ollama_parity:\n  temperature: 5\n", False),
    "metadata-list": (HEAD + "metadata: [a]\n", False),
}
cases["bad-format"] = ('name: t\nversion: "1.0.0"\nmodel:\n  hf_repo: a/b\n  formats: [onnx]\ntest_matrix: {}\n', False)
for name, (text, expect) in cases.items():
    p = os.path.join(WORK, name + ".yaml")
    open(p, "w").write(text)
    s = schema_ok(text)
    l, err = loader_ok(p)
    C.check("%s: schema says %s, expected %s" % (name, s, expect), s == expect)
    C.check("%s: loader says %s, expected %s (%s)" % (name, l, expect, err), l == expect)
    if not expect and not l:
        C.check("%s: error names file[:line:col]: %s" % (name, err), re.search(r"\.yaml(:\d+:\d+)?:", err) is not None)

gv = jsonschema.Draft202012Validator(gschema)
gfiles = sorted(glob.glob(os.path.join(SRC, "gates/*.yaml")))
C.check("gate files found", len(gfiles) >= 5)
for f in gfiles:
    errs = list(gv.iter_errors(yaml.load(open(f).read(), Loader=Loader)))
    C.check("%s: %s" % (f, [e.message for e in errs[:2]]), not errs)
gj = json.loads(subprocess.run([BIN, "gates", "--json"], capture_output=True, text=True).stdout)
C.check("gates --json lists every catalogue gate", len(gj) == sum(len(yaml.load(open(f).read(), Loader=Loader)["gates"]) for f in gfiles))

# The certification registry: the committed one validates, and schema and loader agree on bad ones.
rschema = json.load(open(os.path.join(SRC, "schemas/certification-registry.schema.json")))
jsonschema.Draft202012Validator.check_schema(rschema)
rv = jsonschema.Draft202012Validator(rschema)
reg_text = open(os.path.join(SRC, "certifications/models.yaml")).read()
errs = list(rv.iter_errors(yaml.load(reg_text, Loader=Loader)))
C.check("certifications/models.yaml: %s" % [e.message for e in errs[:2]], not errs)
rdir = os.path.join(WORK, "registry")
os.makedirs(rdir, exist_ok=True)
open(os.path.join(rdir, "pb.yaml"), "w").write('name: t\nversion: "1.0.0"\nmodel:\n  hf_repo: a/b\n  formats: [gguf]\ntest_matrix: {}\n')
RHEAD = ("version: 1\nmodels:\n  - id: a/b\n    family: llama\n    parameters: 135M\n    size_category: tiny\n"
         "    source:\n      fixture: {arch: llama, preset: tiny, seed: 0}\n    nightly: quick\n    tiers:\n      quick: pb.yaml\n")
rcases = {
    "ok": (RHEAD, True),
    "two-sources": (RHEAD.replace("      fixture:", "      hf_cache: a/b\n      fixture:"), False),
    "no-source": (RHEAD.replace("      fixture: {arch: llama, preset: tiny, seed: 0}\n", "      {}\n"), False),
    "bad-tier": (RHEAD.replace("      quick: pb.yaml", "      quick: pb.yaml\n      weekly: pb.yaml"), False),
    "bad-nightly": (RHEAD.replace("nightly: quick", "nightly: daily"), False),
    "bad-sha": (RHEAD.replace("      fixture: {arch: llama, preset: tiny, seed: 0}",
                              "      pypi: {package: p, version: '1', file: m.gguf, sha256: abc}"), False),
    "bad-params": (RHEAD.replace("135M", "lots"), False),
    "bad-id": (RHEAD.replace("id: a/b", "id: ab"), False),
    "unknown-key": (RHEAD + "    notes: hi\n", False),
    "version-2": (RHEAD.replace("version: 1", "version: 2"), False),
}
for name, (text, expect) in rcases.items():
    p = os.path.join(rdir, name + ".yaml")
    open(p, "w").write(text)
    s = not list(rv.iter_errors(yaml.load(text, Loader=Loader)))
    r = subprocess.run([BIN, "certify", "--dry-run", "--all", "--registry", p, "-o", rdir], capture_output=True, text=True)
    l = r.returncode == 0
    C.check("registry %s: schema says %s, expected %s" % (name, s, expect), s == expect)
    C.check("registry %s: certify says %s, expected %s (%s)" % (name, l, expect, r.stderr.strip()), l == expect)
    if not expect and not l:
        C.check("registry %s: one line naming file:line:col and field: %s" % (name, r.stderr.strip()),
                r.returncode == 2 and r.stderr.count("\n") == 1 and re.search(r"\.yaml:\d+:\d+", r.stderr) is not None)

C.finish()
