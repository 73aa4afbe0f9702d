// libFuzzer target: the APR v2 reader and the `inspect` summary of an APR file (the metadata
// walker). Before parsing, the header CRC and the footer CRC are recomputed over the input (when
// it is long enough), so that the fuzzer explores past the checksums instead of stopping there.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/hash.hpp"
#include "formats/apr.hpp"
#include "formats/resolve.hpp"
#include "formats/summary.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> b(data, data + size);
  if (b.size() >= 64) {
    auto span = [&](std::size_t off, std::size_t n) {
      return std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()) + off, n);
    };
    std::uint32_t s = apr::crc32_init();
    s = apr::crc32_update(s, span(0, 40));
    s = apr::crc32_update(s, span(44, 20));
    std::uint32_t h = s ^ 0xFFFFFFFFu;
    std::memcpy(b.data() + 40, &h, 4);
    if (b.size() >= 68) {
      std::uint32_t f = apr::crc32(span(0, b.size() - 4));
      std::memcpy(b.data() + b.size() - 4, &f, 4);
    }
  }
  const std::string path = apr::fuzz::memfd_with(b.data(), b.size());
  std::size_t sink = 0;
  auto r = apr::aprfmt::Reader::open(path);
  if (!r.ok()) {
    (void)r.error().what();
    return 0;
  }
  for (const auto& t : r->tensors()) sink += t.name.size() + t.data.size();
  apr::ArtifactSet a;
  a.format = apr::ModelFormat::apr;
  a.model_file = path;
  auto sum = apr::summarize_artifact(a);
  if (sum.ok()) sink += apr::render_summary_text(sum.value()).size();
  else (void)sum.error().what();
  return static_cast<int>(sink & 0);
}
