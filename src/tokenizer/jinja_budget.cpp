// apr-qa chat templates: render budget (see jinja_budget.hpp).
#include "tokenizer/jinja_budget.hpp"

#include <string>

#include "tokenizer/jinja_value.hpp"

namespace apr::tok::jinja {
namespace {

thread_local std::uint64_t t_steps_left = 0;
thread_local std::uint64_t t_steps_max = 0;
thread_local std::uint64_t t_bytes_left = 0;
thread_local std::uint64_t t_bytes_max = 0;
thread_local bool t_armed = false;
thread_local int t_depth = 0;

}  // namespace

void charge_steps(std::uint64_t n) {
  if (!t_armed) return;
  if (n > t_steps_left) {
    t_steps_left = 0;
    fail("template exceeded its budget of " + std::to_string(t_steps_max) +
         " evaluation steps (a loop or recursion too long for a chat template)");
  }
  t_steps_left -= n;
}

void charge_bytes(std::uint64_t bytes) {
  if (!t_armed) return;
  if (bytes > t_bytes_left) {
    t_bytes_left = 0;
    fail("template built more than " + std::to_string(t_bytes_max >> 20) +
         " MiB of strings and lists in one render (values growing without bound)");
  }
  t_bytes_left -= bytes;
}

void check_string_size(std::size_t bytes) {
  if (bytes > kMaxStringBytes)
    fail("template built a string of " + std::to_string(bytes) + " bytes, more than the limit of " +
         std::to_string(kMaxStringBytes));
}

void check_list_size(std::size_t items) {
  if (items > kMaxListItems)
    fail("template built a list of " + std::to_string(items) + " items, more than the limit of " +
         std::to_string(kMaxListItems));
  charge_steps(items);
}

RenderBudget::RenderBudget(std::uint64_t max_steps, std::uint64_t max_built_bytes)
    : saved_left_(t_steps_left),
      saved_max_(t_steps_max),
      saved_bytes_left_(t_bytes_left),
      saved_bytes_max_(t_bytes_max),
      saved_armed_(t_armed) {
  t_steps_left = max_steps;
  t_steps_max = max_steps;
  t_bytes_left = max_built_bytes;
  t_bytes_max = max_built_bytes;
  t_armed = true;
}

RenderBudget::~RenderBudget() {
  t_steps_left = saved_left_;
  t_steps_max = saved_max_;
  t_bytes_left = saved_bytes_left_;
  t_bytes_max = saved_bytes_max_;
  t_armed = saved_armed_;
}

DepthGuard::DepthGuard() {
  if (++t_depth > kMaxValueDepth) {
    --t_depth;
    fail("value nested more than " + std::to_string(kMaxValueDepth) + " levels deep (a namespace or list holding itself?)");
  }
}

DepthGuard::~DepthGuard() { --t_depth; }

}  // namespace apr::tok::jinja
