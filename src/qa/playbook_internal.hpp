// apr-qa qa: shared helpers of the playbook loader's translation units (not a public API).
#pragma once

#include "qa/playbook.hpp"
#include "qa/yaml_reader.hpp"

namespace apr::qa {

struct PbCtx {
  yamlr::Ctx c;
  Playbook* pb;
};
void note(PbCtx& pc, const YAML::Node& n, const std::string& key, const std::string& effect);
void ignored(PbCtx& pc, const YAML::Node& n, const std::string& key, const std::string& why);
// differential_tests, profile_ci, trace_payload, contract_tests, ollama_parity, kernel_profile,
// state_machine, conversion_tests.
void read_optional_blocks(PbCtx& pc, yamlr::MapReader& root);

}  // namespace apr::qa
