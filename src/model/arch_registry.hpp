// apr-qa model layer (internal): the per-architecture trait definitions, one per arch_<name>.cpp.
#pragma once

#include "model/arch_traits.hpp"

namespace apr::model {

const ArchTraits& llama_traits();
const ArchTraits& qwen2_traits();
const ArchTraits& mistral_traits();

}  // namespace apr::model
