// apr-qa qa: internal state of the planner, shared by plan.cpp and plan_gates.cpp.
#pragma once

#include <map>
#include <set>

#include "qa/plan.hpp"

namespace apr::qa {

struct PlanBuilder {
  Plan& plan;
  const Playbook& pb;
  const GateCatalogue& cat;
  const PlanOptions& opts;
  nlohmann::json values{};     // playbook_values(pb, input mode): what gates may name
  std::string resolve_id{}, source_format{};
  bool directory_mode = false;
  std::map<std::string, std::string> by_key{};  // content key -> convert node id
  std::map<std::string, std::string> infer_by_key{};  // content key -> infer node id
  // run_key(artifact, prompt, chat) -> greedy tokens of that shared run (max over its users), and
  // whether any user reads its logits (matrix cells read only the greedy generation).
  std::map<std::string, int> infer_tokens{};
  std::map<std::string, bool> infer_logits{};
  std::set<std::string> cell_runs{};  // run keys matrix cells read (their timings are the generation's)
  static std::string run_key(const std::string& artifact_id, const std::string& prompt, bool chat) {
    return artifact_id + (chat ? "|chat|" : "|text|") + prompt;
  }

  std::string add(Node n, const std::string& suffix);
  ScenarioInfo scenario(const std::string& modality, const std::string& backend,
                        const std::string& format, const std::string& prompt, std::uint64_t seed) const;
  // The workspace artifact of `format`: the source itself, or one conversion of it.
  std::string artifact_of(const std::string& format);
  std::string convert(const std::string& parent_id, const std::string& target, int replica);
  std::string chain(const std::vector<std::string>& formats, int replica = 0);
  // The shared run of an artifact node on `prompt` (an infer node): greedy generation, and the
  // teacher-forced logits when a user reads them; `chat` renders the prompt with the model's
  // chat template first (chat matrix cells).
  std::string infer(const std::string& artifact_id, const std::string& prompt, bool chat = false);
  // Makes a check use the shared run of `artifact_id` as `key` (e.g. "a_run", "b_run", "run"):
  // sets params[key] and adds the infer node to deps. No-op when shared runs are off.
  void use_run(nlohmann::json& params, std::vector<std::string>& deps, const std::string& key,
               const std::string& artifact_id, const std::string& prompt, bool chat = false);
  const Node& node(const std::string& id) const { return *plan.find(id); }
  // Gives each shared run of a converted artifact the source's run on the same prompt as its
  // draft (params draft_run, and a dependency): checked in one batched pass instead of decoded
  // token by token (teacher_forced.hpp). Not for runs matrix cells read, nor when the source's run
  // is shorter.
  void assign_drafts();
};

// Plans every catalogue gate the playbook asks for (plan_gates.cpp): one loop over the data.
void plan_catalogue(PlanBuilder& b);
std::string oracle_for_prompt(const std::string& prompt);

}  // namespace apr::qa
