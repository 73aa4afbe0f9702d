// apr-qa chat templates: the resource budget of one render.
//
// A template is untrusted input (it ships inside the model file), so a render is bounded:
//   steps   every statement, expression node, loop iteration and list element built costs one
//           step; kMaxSteps per render (real chat templates use < 100k for long conversations);
//   size    no string (the output included) longer than kMaxStringBytes, no list longer than
//           kMaxListItems, no padding/indent width beyond kMaxStringBytes;
//   memory  strings and list/dict element copies built during a render add up to at most
//           kMaxBuiltBytes (so many medium values cannot add up to gigabytes);
//   depth   recursive walks of values (repr, str, ==, <, tojson) stop at kMaxValueDepth levels, so
//           a namespace holding itself is an error, not a stack overflow.
// Each limit fails with a runtime TemplateError naming it. The step counter is per thread and
// armed by a RenderBudget for the duration of a render; outside one only the size and depth limits
// apply.
#pragma once

#include <cstddef>
#include <cstdint>

namespace apr::tok::jinja {

inline constexpr std::uint64_t kMaxSteps = 5'000'000;
inline constexpr std::size_t kMaxStringBytes = 16u << 20;
inline constexpr std::size_t kMaxListItems = 200'000;
inline constexpr std::uint64_t kMaxBuiltBytes = 128ull << 20;
inline constexpr int kMaxValueDepth = 256;

// Charges n steps to the render in progress (no-op outside one).
void charge_steps(std::uint64_t n = 1);
// Charges `bytes` built (allocated by a copy or a new value) to the render in progress.
void charge_bytes(std::uint64_t bytes);
// Fails unless a string of `bytes` bytes may be built.
void check_string_size(std::size_t bytes);
// Fails unless a list of `items` items may be built (and charges them as steps).
void check_list_size(std::size_t items);

// Arms the step counter for one render; restores the previous state when destroyed.
class RenderBudget {
 public:
  explicit RenderBudget(std::uint64_t max_steps = kMaxSteps, std::uint64_t max_built_bytes = kMaxBuiltBytes);
  ~RenderBudget();
  RenderBudget(const RenderBudget&) = delete;
  RenderBudget& operator=(const RenderBudget&) = delete;

 private:
  std::uint64_t saved_left_, saved_max_, saved_bytes_left_, saved_bytes_max_;
  bool saved_armed_;
};

// One level of a recursive walk over values; fails past kMaxValueDepth.
class DepthGuard {
 public:
  DepthGuard();
  ~DepthGuard();
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
};

}  // namespace apr::tok::jinja
