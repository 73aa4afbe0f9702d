// apr-qa convert: canonical model -> APR (HF names, row-major dims, rope_type 2 = HF row order,
// config/tokenizer/extra metadata per apr_meta.hpp, tied lm_head left out).
#include "convert/apr_meta.hpp"
#include "convert/export_internal.hpp"
#include "formats/apr.hpp"

namespace apr::convert::detail {

std::filesystem::path export_apr(const model::CanonicalModel& m, const Plan& p, const std::filesystem::path& dst) {
  aprfmt::Writer w;
  auto meta = apr_metadata(m);
  if (p.file_type) meta["source_metadata"]["general.file_type"] = std::to_string(*p.file_type);
  if (!p.records.empty()) {
    nlohmann::json types = nlohmann::json::object(), shas = nlohmann::json::object();
    for (const auto& [name, rec] : p.records) {
      types[name] = std::string(dtype_name(rec.first));
      if (!rec.second.empty()) shas[name] = rec.second;
    }
    meta["apr_qa.dtype"] = types;
    meta["apr_qa.sha256"] = shas;
  }
  w.set_metadata(std::move(meta));
  for (const auto& t : p.tensors) {
    if (t.produce)
      w.add_tensor(t.name, t.type, t.shape, t.produce);
    else
      w.add_tensor(t.name, t.type, t.shape, t.direct);
  }
  w.write(dst);
  return dst;
}

}  // namespace apr::convert::detail
