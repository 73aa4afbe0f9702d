// libFuzzer target: the SafeTensors reader. The first byte picks the file the rest becomes:
// even -> a .safetensors file (8-byte header length, JSON header, data); odd -> a
// model.safetensors.index.json beside two small valid shards (a.safetensors, b.safetensors),
// opened as a sharded checkpoint. Every input ends in a Result, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "formats/safetensors.hpp"
#include "fuzz_input.hpp"

namespace {

void touch(const apr::safetensors::Reader& r, std::size_t& sink) {
  for (const auto& t : r.tensors()) sink += t.name.size() + t.data.size() + t.shape.size();
  for (const auto& [k, v] : r.metadata()) sink += k.size() + v.size();
}

void write_shard(const std::string& name, const char* tensor) {
  std::string header = std::string("{\"") + tensor + "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  std::string file(8, '\0');
  std::uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file += header;
  file.append(8, '\0');
  apr::fuzz::write_file(apr::fuzz::scratch_dir() / name, file.data(), file.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t sink = 0;
  if ((data[0] & 1) == 0) {
    auto r = apr::safetensors::Reader::open(apr::fuzz::memfd_with(data + 1, size - 1));
    if (r.ok()) touch(r.value(), sink);
    else (void)r.error().what();
  } else {
    static const bool shards = [] {
      write_shard("a.safetensors", "x");
      write_shard("b.safetensors", "y");
      return true;
    }();
    (void)shards;
    const auto index = apr::fuzz::scratch_dir() / "model.safetensors.index.json";
    apr::fuzz::write_file(index, data + 1, size - 1);
    auto r = apr::safetensors::Reader::open_index(index);
    if (r.ok()) touch(r.value(), sink);
    else (void)r.error().what();
  }
  return static_cast<int>(sink & 0);
}
