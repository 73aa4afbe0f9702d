// Test helpers: the seed playbook (the anchor's qwen2.5-coder-0.5b-quick) planned on a stub HF
// snapshot folder (an empty SafeTensors file and an empty config), so that plan tests see the
// whole conversion suite without a model.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "qa/plan.hpp"

namespace apr::qa::testing {

// <build>/tests/qa_work/<name>: model.safetensors (8-byte length + "{}" header), config.json.
inline std::filesystem::path stub_snapshot(const std::string& name) {
  std::filesystem::path d = std::filesystem::path(APR_QA_BINARY_DIR) / "tests/qa_work" / name;
  std::filesystem::create_directories(d);
  const char st[] = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
  std::ofstream(d / "model.safetensors", std::ios::binary).write(st, sizeof st);
  std::ofstream(d / "config.json") << "{}";
  return d;
}

// The seed playbook planned with `po` (model_path: a stub snapshot unless set); REQUIREs success.
inline Plan seed_plan_with(PlanOptions po, const std::string& snapshot = "snapshot") {
  auto pb = load_playbook(std::filesystem::path(APR_QA_SHARED_DIR) / "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml");
  REQUIRE(pb.ok());
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  if (!po.model_path) po.model_path = stub_snapshot(snapshot).string();
  auto plan = build_plan(*pb, *cat, po);
  REQUIRE_MESSAGE(plan.ok(), std::string(plan.ok() ? "" : plan.error().what()));
  return std::move(*plan);
}

}  // namespace apr::qa::testing
