// Test helpers for the formats tests: scratch directories, byte builders and error matchers.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/result.hpp"

namespace apr::test {

namespace fs = std::filesystem;

// A fresh directory under the build tree (or /tmp), removed on destruction.
struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> n{0};
    fs::path base = fs::temp_directory_path() / ("apr-qa-formats-" + std::to_string(::getpid()));
    path = base / std::to_string(n++);
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& s) const { return path / s; }
};

inline void write_bytes(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
inline std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline std::span<const std::byte> as_span(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::span<const std::byte> as_span(const std::vector<std::byte>& v) { return {v.data(), v.size()}; }

inline std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng() & 0xFF);
  return v;
}

// Little-endian byte builder.
struct Bytes {
  std::string s;
  template <typename T>
  Bytes& put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    s.append(b, sizeof(T));
    return *this;
  }
  Bytes& u8(std::uint8_t v) { return put(v); }
  Bytes& u16(std::uint16_t v) { return put(v); }
  Bytes& u32(std::uint32_t v) { return put(v); }
  Bytes& u64(std::uint64_t v) { return put(v); }
  Bytes& raw(std::string_view v) {
    s.append(v);
    return *this;
  }
  Bytes& gstr(std::string_view v) {  // GGUF string: u64 length + bytes
    u64(v.size());
    return raw(v);
  }
  Bytes& zeros(std::size_t n) {
    s.append(n, '\0');
    return *this;
  }
  Bytes& pad_to(std::size_t align) { return zeros((align - s.size() % align) % align); }
  std::size_t size() const { return s.size(); }
};

// Asserts that r failed with the given category and that what() contains every fragment.
template <typename T>
void expect_error(const Result<T>& r, ErrorCategory cat, std::initializer_list<std::string_view> fragments) {
  REQUIRE_FALSE(r.ok());
  const Error& e = r.error();
  std::string w = e.what();
  INFO("error: " << w);
  CHECK(e.category() == cat);
  for (auto f : fragments) CHECK_MESSAGE(w.find(f) != std::string::npos, "missing fragment: " << f);
  CHECK(w.find('\n') == std::string::npos);  // one line
}

}  // namespace apr::test
