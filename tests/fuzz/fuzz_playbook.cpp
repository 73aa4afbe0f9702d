// libFuzzer target: the playbook loader (YAML document, aliases, typing, schema checks).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.hpp"
#include "qa/playbook.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto p = apr::qa::parse_playbook(text, "fuzz.playbook.yaml");
    if (!p.ok()) apr::fuzz::expect_clean(p.error());
    apr::qa::LoadOptions strict;
    strict.strict = true;
    auto q = apr::qa::parse_playbook(text, "fuzz.playbook.yaml", strict);
    if (!q.ok()) apr::fuzz::expect_clean(q.error());
  } catch (const apr::Error& e) {
    apr::fuzz::expect_clean(e);
  }
  return 0;
}
