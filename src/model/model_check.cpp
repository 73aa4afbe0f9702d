// apr-qa model layer: manifest checks (see model_check.hpp).
#include "model/model_check.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "model/arch_traits.hpp"

namespace apr::model {

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

void sort_tensors(CanonicalModel& m) {
  std::sort(m.tensors.begin(), m.tensors.end(),
            [](const CanonicalTensor& a, const CanonicalTensor& b) { return a.name < b.name; });
}

void check_layer_count(const ModelConfig& c, std::size_t tensors_present, const std::string& where) {
  const std::size_t max_layers = tensors_present / kMinTensorsPerLayer;
  if (c.layers < 0 || static_cast<std::uint64_t>(c.layers) > max_layers)
    throw validation_error("config num_hidden_layers (GGUF <arch>.block_count, APR num_layers): expected at most " +
                           std::to_string(max_layers) + " (the file holds " + std::to_string(tensors_present) +
                           " tensors, at least " + std::to_string(kMinTensorsPerLayer) + " per layer), found " +
                           std::to_string(c.layers))
        .at_path(where)
        .at_key("num_hidden_layers");
}

std::vector<ManifestViolation> manifest_violations(const CanonicalModel& m) {
  using K = ManifestViolation::Kind;
  std::vector<ManifestViolation> out;
  try {
    validate_config(m.config, m.provenance.source_file.string());
    // Before the manifest is built: a layer count the tensors cannot hold would size it.
    check_layer_count(m.config, m.tensors.size(), m.provenance.source_file.string());
  } catch (const Error& e) {
    out.push_back({K::config, "", e.what()});
    return out;  // no manifest without a valid config
  }
  auto manifest = tensor_manifest(m.config);
  std::set<std::string> expected;
  for (const auto& spec : manifest) {
    expected.insert(spec.hf_name);
    const CanonicalTensor* t = m.find(spec.hf_name);
    if (!t) {
      if (spec.required)
        out.push_back({K::missing, spec.hf_name, std::string("missing required tensor for ") + to_string(m.config.arch) +
                                                     ": expected shape " + shape_string(spec.shape) + ", found no tensor"});
      continue;
    }
    if (t->shape() != spec.shape)
      out.push_back({K::shape, spec.hf_name, "shape mismatch with the config: expected " + shape_string(spec.shape) +
                                                 ", found " + shape_string(t->shape())});
  }
  for (const auto& t : m.tensors)
    if (!expected.count(t.name)) {
      std::string hint = hf_to_gguf_name(t.name) ? " (the config does not call for it)" : "";
      out.push_back({K::unexpected, t.name, std::string("unexpected tensor for ") + to_string(m.config.arch) +
                                                ": expected only the " + std::to_string(manifest.size()) +
                                                " manifest tensors, found '" + t.name + "' " + shape_string(t.shape()) + hint});
    }
  return out;
}

void check_model(const CanonicalModel& m) {
  const std::string where = m.provenance.source_file.string();
  validate_config(m.config, where);  // a bad config or layer count throws its own error, naming the key
  check_layer_count(m.config, m.tensors.size(), where);
  auto violations = manifest_violations(m);
  if (!violations.empty()) {
    auto e = validation_error(violations.front().message).at_path(where);
    if (!violations.front().tensor.empty()) e.at_tensor(violations.front().tensor);
    throw e;
  }
  for (const auto& t : m.tensors)
    if (!t.row_order.empty() && static_cast<std::int64_t>(t.row_order.size()) != t.source.rows())
      throw internal_error("row order of length " + std::to_string(t.row_order.size()) + " for a tensor of " +
                           std::to_string(t.source.rows()) + " rows")
          .at_tensor(t.name);
}

}  // namespace apr::model
