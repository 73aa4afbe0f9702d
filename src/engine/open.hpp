// apr-qa engine: open a model file (any format, resolved by the converter) and build an Engine.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"
#include "engine/engine.hpp"

namespace apr::engine {

// load_model(user_input) then Engine::create. Errors name the file.
Result<std::unique_ptr<Engine>> open_engine(const std::string& model_input, const EngineOptions& o);

}  // namespace apr::engine
