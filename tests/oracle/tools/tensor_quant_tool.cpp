// Helper for tests/oracle/test_tensor_quants.py: drives apr-qa's tensor layer on raw files so
// the Python side can compare against gguf-py and libggml-base.so.
//
//   tensor_quant_tool quantize   TYPE IN.f32 OUT.bin [N_PER_ROW]   quantize_rows (default: one row)
//   tensor_quant_tool dequantize TYPE IN.bin OUT.f32                dequantize_row over the file
//   tensor_quant_tool f32-to-f16  IN.f32 OUT.u16 [--portable]       fp32_to_fp16_row
//   tensor_quant_tool f32-to-bf16 IN.f32 OUT.u16                    fp32_to_bf16_row
//   tensor_quant_tool f16-to-f32  IN.u16 OUT.f32 [--portable]       fp16_to_fp32_row
//   tensor_quant_tool bf16-to-f32 IN.u16 OUT.f32                    bf16_to_fp32_row
//   tensor_quant_tool sweep CHUNK_BITS
//       converts every f32 bit pattern 0..2^32-1, in chunks of 2^CHUNK_BITS, to fp16 (fast path),
//       fp16 (portable path) and bf16, and prints one line per chunk:
//       "<first pattern hex> <sha256 f16 fast> <sha256 f16 portable> <sha256 bf16>"
//       (sha256 of the little-endian uint16 outputs).
// Exit status: 0 done, 2 bad usage or input (message on stderr).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/dtype.hpp"
#include "tensor/fp16.hpp"
#include "tensor/quantize.hpp"

namespace {

std::vector<char> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw apr::io_error("cannot open input").at_path(path);
  return std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const void* data, std::size_t size) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw apr::io_error("cannot create output").at_path(path);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!f) throw apr::io_error("write failed").at_path(path);
}

apr::GgmlType parse_type(const std::string& name) {
  auto t = apr::dtype_from_name(name);
  if (!t) throw apr::validation_error("unknown dtype name '" + name + "'");
  return *t;
}

template <class T>
std::vector<T> as_vector(const std::vector<char>& bytes, const std::string& path) {
  if (bytes.size() % sizeof(T) != 0) {
    throw apr::validation_error("file size " + std::to_string(bytes.size()) + " is not a multiple of " +
                                std::to_string(sizeof(T)))
        .at_path(path);
  }
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

int cmd_quantize(const std::vector<std::string>& a) {
  if (a.size() < 4) throw apr::validation_error("usage: quantize TYPE IN.f32 OUT.bin [N_PER_ROW]");
  const apr::GgmlType t = parse_type(a[1]);
  const auto x = as_vector<float>(read_file(a[2]), a[2]);
  const std::int64_t n_per_row = a.size() > 4 ? std::stoll(a[4]) : static_cast<std::int64_t>(x.size());
  const auto out = apr::quantize(t, x, n_per_row);
  write_file(a[3], out.data(), out.size());
  return 0;
}

int cmd_dequantize(const std::vector<std::string>& a) {
  if (a.size() != 4) throw apr::validation_error("usage: dequantize TYPE IN.bin OUT.f32");
  const apr::GgmlType t = parse_type(a[1]);
  const auto bytes = read_file(a[2]);
  const apr::DTypeInfo& info = apr::dtype_info(t);
  if (bytes.size() % info.block_bytes != 0) {
    throw apr::validation_error("file size " + std::to_string(bytes.size()) + " is not a whole number of " +
                                std::string(info.name) + " blocks")
        .at_path(a[2]);
  }
  const std::int64_t n = static_cast<std::int64_t>(bytes.size() / info.block_bytes * info.block_elems);
  std::vector<float> y(static_cast<std::size_t>(n));
  apr::dequantize_row(t, reinterpret_cast<const std::byte*>(bytes.data()), y.data(), n);
  write_file(a[3], y.data(), y.size() * sizeof(float));
  return 0;
}

bool has_flag(const std::vector<std::string>& a, const char* flag) {
  for (const auto& s : a) if (s == flag) return true;
  return false;
}

int cmd_convert(const std::vector<std::string>& a) {
  if (a.size() < 3) throw apr::validation_error("usage: " + a[0] + " IN OUT [--portable]");
  apr::fp16_set_simd_enabled(!has_flag(a, "--portable"));
  const auto bytes = read_file(a[1]);
  const std::string& op = a[0];
  if (op == "f32-to-f16" || op == "f32-to-bf16") {
    const auto x = as_vector<float>(bytes, a[1]);
    std::vector<std::uint16_t> y(x.size());
    if (op == "f32-to-f16") apr::fp32_to_fp16_row(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
    else apr::fp32_to_bf16_row(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
    write_file(a[2], y.data(), y.size() * 2);
  } else {
    const auto h = as_vector<std::uint16_t>(bytes, a[1]);
    std::vector<float> y(h.size());
    if (op == "f16-to-f32") apr::fp16_to_fp32_row(h.data(), y.data(), static_cast<std::int64_t>(h.size()));
    else apr::bf16_to_fp32_row(h.data(), y.data(), static_cast<std::int64_t>(h.size()));
    write_file(a[2], y.data(), y.size() * 4);
  }
  return 0;
}

int cmd_sweep(const std::vector<std::string>& a) {
  if (a.size() != 2) throw apr::validation_error("usage: sweep CHUNK_BITS");
  const int bits = std::stoi(a[1]);
  if (bits < 8 || bits > 28) throw apr::validation_error("sweep: CHUNK_BITS must be 8..28");
  const std::uint64_t chunk = 1ull << bits;
  std::vector<float> x(chunk);
  std::vector<std::uint16_t> fast(chunk), portable(chunk), bf(chunk);
  auto hex = [&](const std::vector<std::uint16_t>& v) {
    return apr::sha256_hex(std::span<const std::byte>(reinterpret_cast<const std::byte*>(v.data()), chunk * 2));
  };
  for (std::uint64_t start = 0; start < (1ull << 32); start += chunk) {
    for (std::uint64_t i = 0; i < chunk; ++i) {
      const auto u = static_cast<std::uint32_t>(start + i);
      std::memcpy(&x[i], &u, 4);
    }
    const auto n = static_cast<std::int64_t>(chunk);
    apr::fp16_set_simd_enabled(true);
    apr::fp32_to_fp16_row(x.data(), fast.data(), n);
    apr::fp16_set_simd_enabled(false);
    apr::fp32_to_fp16_row(x.data(), portable.data(), n);
    apr::fp16_set_simd_enabled(true);
    apr::fp32_to_bf16_row(x.data(), bf.data(), n);
    const std::string hf = hex(fast);
    const std::string hp = fast == portable ? hf : hex(portable);
    std::printf("%08llx %s %s %s\n", static_cast<unsigned long long>(start), hf.c_str(), hp.c_str(), hex(bf).c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.empty()) throw apr::validation_error("usage: tensor_quant_tool quantize|dequantize|f32-to-f16|f32-to-bf16|f16-to-f32|bf16-to-f32|sweep ...");
    const std::string& cmd = a[0];
    if (cmd == "quantize") return cmd_quantize(a);
    if (cmd == "dequantize") return cmd_dequantize(a);
    if (cmd == "f32-to-f16" || cmd == "f32-to-bf16" || cmd == "f16-to-f32" || cmd == "bf16-to-f32") return cmd_convert(a);
    if (cmd == "sweep") return cmd_sweep(a);
    throw apr::validation_error("unknown command '" + cmd + "'");
  } catch (const std::exception& e) {
    std::cerr << "tensor_quant_tool: " << e.what() << "\n";
    return 2;
  }
}
