// libFuzzer target: the gate catalogue loader (one gates/*.yaml file's text).
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_input.hpp"
#include "qa/gate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size)}};
  try {
    auto c = apr::qa::GateCatalogue::from_texts(files);
    if (!c.ok()) apr::fuzz::expect_clean(c.error());
  } catch (const apr::Error& e) {
    apr::fuzz::expect_clean(e);
  }
  return 0;
}
