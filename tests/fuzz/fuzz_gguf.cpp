// libFuzzer target: the GGUF reader (header, KV section, tensor infos, offsets) on arbitrary bytes.
// Built only with clang and -DAPR_QA_FUZZ=ON (tests/fuzz/CMakeLists.txt); run with
// `bench/fuzz.sh gguf SECONDS`. Every input must end in a Result (value or apr::Error), never a
// crash, a sanitizer report, a hang or an allocation beyond what the input justifies.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"

namespace {

// The reader works on mapped files: one memfd, rewritten for every input.
int memfd() {
  static const int fd = [] {
    int f = ::memfd_create("fuzz_gguf", 0);
    if (f < 0) std::abort();
    return f;
  }();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd();
  if (::ftruncate(fd, 0) != 0) std::abort();
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto file = apr::MappedFile::open(path);
  if (!file.ok()) return 0;
  auto r = apr::gguf::Reader::parse(file.value());
  if (!r.ok()) {
    (void)r.error().what();
    return 0;
  }
  // Touch what a consumer touches: every KV value and tensor view.
  std::size_t sink = 0;
  for (const auto& kv : r->kvs()) sink += kv.key.size() + kv.value.array_size();
  for (const auto& t : r->tensors()) sink += t.name.size() + t.data.size();
  return static_cast<int>(sink & 0);
}
