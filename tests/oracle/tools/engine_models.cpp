// Oracle helper for the engine tests: writes fixture checkpoints and converts them through the
// converter library (the same code as `apr-qa fixture` / `apr-qa convert`), so the engine's
// oracle tests do not depend on the CLI front ends of other modules.
//   engine_models fixture ARCH SEED OUT_DIR [tied|untied] [LAYERS]
//   engine_models fixture-preset ARCH PRESET SEED OUT_DIR   (e.g. qwen2 qwen2.5-0.5b 1 DIR)
//   engine_models convert SRC DST [QUANT|-]       QUANT: q8_0, q4_k_m, ... ; "-" = lossless
// Prints the written model file path; exit 1 with the error on failure.
#include <cstdio>
#include <string>

#include "convert/convert.hpp"
#include "convert/fixture.hpp"

int main(int argc, char** argv) {
  using namespace apr;
  if (argc < 2) {
    std::fprintf(stderr, "usage: engine_models fixture ARCH SEED OUT [tied|untied] [LAYERS] | convert SRC DST [QUANT|-]\n");
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "fixture" && argc >= 5) {
    convert::FixtureOptions o;
    o.arch = argv[2];
    o.seed = std::stoull(argv[3]);
    if (argc >= 6) o.tied = std::string(argv[5]) == "tied";
    if (argc >= 7) o.layers = std::stoll(argv[6]);
    auto r = convert::write_fixture(o, argv[4]);
    if (!r) {
      std::fprintf(stderr, "engine_models: %s\n", r.error().what());
      return 1;
    }
    std::printf("%s\n", r.value().string().c_str());
    return 0;
  }
  if (cmd == "fixture-preset" && argc >= 6) {
    convert::FixtureOptions o;
    o.arch = argv[2];
    o.preset = argv[3];
    o.seed = std::stoull(argv[4]);
    auto r = convert::write_fixture(o, argv[5]);
    if (!r) {
      std::fprintf(stderr, "engine_models: %s\n", r.error().what());
      return 1;
    }
    std::printf("%s\n", r.value().string().c_str());
    return 0;
  }
  if (cmd == "convert" && argc >= 4) {
    convert::ConvertOptions o;
    if (argc >= 5 && std::string(argv[4]) != "-") o.quantize = argv[4];
    auto r = convert::convert_model(argv[2], argv[3], o);
    if (!r) {
      std::fprintf(stderr, "engine_models: %s\n", r.error().what());
      return 1;
    }
    std::printf("%s\n", r.value().output.string().c_str());
    return 0;
  }
  std::fprintf(stderr, "engine_models: bad arguments\n");
  return 2;
}
