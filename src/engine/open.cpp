#include "engine/open.hpp"

#include "convert/load.hpp"

namespace apr::engine {

Result<std::unique_ptr<Engine>> open_engine(const std::string& model_input, const EngineOptions& o) {
  auto m = convert::load_model(model_input);
  if (!m) return m.error();
  auto shared = std::make_shared<const model::CanonicalModel>(std::move(m.value()));
  auto e = Engine::create(shared, o);
  if (!e) return Error(e.error()).at_path(model_input);
  return e;
}

}  // namespace apr::engine
