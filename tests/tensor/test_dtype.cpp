// Unit tests for the dtype table (src/tensor/dtype.hpp). Expected ids and block sizes are the
// ggml facts of formats.md §1.5, written out here independently of the table under test.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tensor/dtype.hpp"

using namespace apr;

namespace {

struct Expected {
  std::uint32_t id;
  const char* name;
  std::uint32_t elems, bytes;
};

// formats.md §1.5 (sizes re-checked there against ggml_row_size).
const Expected kGgml[] = {
    {0, "F32", 1, 4},       {1, "F16", 1, 2},        {2, "Q4_0", 32, 18},    {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},    {7, "Q5_1", 32, 24},     {8, "Q8_0", 32, 34},    {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},  {11, "Q3_K", 256, 110},  {12, "Q4_K", 256, 144}, {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210}, {15, "Q8_K", 256, 292},  {30, "BF16", 1, 2},     {34, "TQ1_0", 256, 54},
    {35, "TQ2_0", 256, 66}, {39, "MXFP4", 32, 17},   {40, "NVFP4", 64, 36},  {41, "Q1_0", 128, 18},
    {42, "Q2_0", 64, 18},
};

const char* kSupported[] = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL"};

template <class F>
std::string error_of(F&& f, ErrorCategory* cat = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (cat) *cat = e.category();
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("dtype table: ids, names and block sizes match ggml") {
  for (const auto& e : kGgml) {
    CAPTURE(e.name);
    const DTypeInfo* d = find_dtype(e.id);
    REQUIRE(d != nullptr);
    CHECK(static_cast<std::uint32_t>(d->type) == e.id);
    CHECK(d->name == e.name);
    CHECK(d->block_elems == e.elems);
    CHECK(d->block_bytes == e.bytes);
    CHECK(dtype_from_name(e.name) == d->type);
  }
}

TEST_CASE("dtype table: exactly the issue's types are supported and quantizable") {
  int supported = 0;
  for (std::uint32_t id = 0; id < kGgmlTypeCount; ++id) {
    const DTypeInfo* d = find_dtype(id);
    if (!d) continue;
    bool listed = false;
    for (const char* s : kSupported) listed = listed || d->name == s;
    CAPTURE(d->name);
    CHECK(d->supported == listed);
    CHECK(d->quantizable == listed);
    supported += d->supported ? 1 : 0;
  }
  CHECK(supported == 14);
  CHECK(supported_dtype_list() == "F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, BF16");
}

TEST_CASE("dtype names parse case-insensitively; unknown names do not") {
  CHECK(dtype_from_name("q4_k") == GgmlType::Q4_K);
  CHECK(dtype_from_name("bf16") == GgmlType::BF16);
  CHECK_FALSE(dtype_from_name("Q4_K_M").has_value());
  CHECK_FALSE(dtype_from_name("").has_value());
}

TEST_CASE("removed and out-of-range ids are rejected as validation errors naming the id") {
  for (std::uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 43u, 1000u}) {
    CAPTURE(id);
    CHECK(find_dtype(id) == nullptr);
    ErrorCategory cat{};
    const std::string msg = error_of([&] { require_supported_dtype(id); }, &cat);
    CHECK(cat == ErrorCategory::validation);
    CHECK(msg.find(std::to_string(id)) != std::string::npos);
    CHECK(msg.find("Q4_K") != std::string::npos);  // lists what is supported
  }
}

TEST_CASE("known but unsupported ids are rejected as unsupported, by name, never as F32") {
  for (std::uint32_t id : {9u, 15u, 16u, 21u, 23u, 24u, 28u, 29u, 34u, 39u, 42u}) {
    ErrorCategory cat{};
    const std::string msg = error_of([&] { require_supported_dtype(id); }, &cat);
    const std::string name(find_dtype(id)->name);
    CAPTURE(name);
    CHECK(cat == ErrorCategory::unsupported);
    CHECK(msg.find(name) != std::string::npos);
    CHECK(msg.find("id " + std::to_string(id)) != std::string::npos);
  }
  for (const char* s : kSupported) {
    const GgmlType t = *dtype_from_name(s);
    CHECK(require_supported_dtype(static_cast<std::uint32_t>(t)) == t);
  }
}

TEST_CASE("row_bytes and tensor_bytes") {
  CHECK(row_bytes(GgmlType::F32, 7) == 28);
  CHECK(row_bytes(GgmlType::BF16, 3) == 6);
  CHECK(row_bytes(GgmlType::Q4_K, 512) == 288);
  CHECK(row_bytes(GgmlType::Q8_0, 4864) == 152 * 34);
  CHECK(row_bytes(GgmlType::Q6_K, 0) == 0);
  ErrorCategory cat{};
  std::string msg = error_of([] { row_bytes(GgmlType::Q4_K, 896); }, &cat);
  CHECK(cat == ErrorCategory::validation);
  CHECK(msg.find("896") != std::string::npos);
  CHECK(msg.find("256") != std::string::npos);
  CHECK_FALSE(error_of([] { row_bytes(GgmlType::Q8_0, 33); }).empty());

  const std::vector<std::int64_t> shape{3, 512};
  CHECK(tensor_bytes(GgmlType::Q4_K, shape) == 3 * 288);
  CHECK(tensor_bytes(GgmlType::F32, std::vector<std::int64_t>{}) == 4);  // 0-d: one element
  CHECK(element_count(std::vector<std::int64_t>{2, 0, 5}) == 0);
  const std::vector<std::int64_t> huge{1ll << 40, 1ll << 40};
  CHECK_FALSE(error_of([&] { tensor_bytes(GgmlType::F32, huge); }).empty());
  CHECK_FALSE(error_of([] { element_count(std::vector<std::int64_t>{4, -1}); }).empty());
  CHECK(is_quantized(GgmlType::Q5_1));
  CHECK_FALSE(is_quantized(GgmlType::BF16));
}
