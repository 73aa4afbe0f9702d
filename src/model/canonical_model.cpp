// apr-qa model layer: CanonicalModel lookups.
#include "model/canonical_model.hpp"

#include <algorithm>
#include <string>

namespace apr::model {

const CanonicalTensor* CanonicalModel::find(std::string_view hf_name) const {
  auto it = std::lower_bound(tensors.begin(), tensors.end(), hf_name,
                             [](const CanonicalTensor& t, std::string_view n) { return t.name < n; });
  if (it != tensors.end() && it->name == hf_name) return &*it;
  // Tolerate an unsorted vector (models under construction): linear fallback.
  for (const auto& t : tensors)
    if (t.name == hf_name) return &t;
  return nullptr;
}

const CanonicalTensor& CanonicalModel::require(std::string_view hf_name) const {
  if (const auto* t = find(hf_name)) return *t;
  throw validation_error("required tensor is missing").at_tensor(std::string(hf_name)).at_path(provenance.source_file.string());
}

}  // namespace apr::model
