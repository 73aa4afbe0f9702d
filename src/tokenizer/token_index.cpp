// apr-qa tokenizer (internal): flat lookup tables (see token_index.hpp).
#include "tokenizer/token_index.hpp"

#include <functional>

namespace apr::tok {
namespace {

// Power of two with at most 50 % load for n entries.
std::size_t table_size(std::size_t n) {
  std::size_t s = 16;
  while (s < 2 * n) s *= 2;
  return s;
}

// Power of two with at most 75 % load: the merge table's 16-byte slots are the tokenizer's
// largest structure (151k merges: 4 MiB instead of 8 MiB at 50 %); a miss probes ~8 slots, one
// or two cache lines.
std::size_t pair_table_size(std::size_t n) {
  std::size_t s = 16;
  while (s * 3 < 4 * n) s *= 2;
  return s;
}

std::size_t mix(std::uint64_t k) { return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 17); }

}  // namespace

std::optional<std::pair<std::int32_t, std::int32_t>> TokenIndex::build(const StringList& tokens) {
  tokens_ = &tokens;
  slots_.assign(table_size(tokens.size()), -1);
  mask_ = slots_.size() - 1;
  const std::hash<std::string_view> hash;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string_view t = tokens[i];
    for (std::size_t s = hash(t) & mask_;; s = (s + 1) & mask_) {
      const auto id = slots_[s];
      if (id < 0) {
        slots_[s] = static_cast<std::int32_t>(i);
        break;
      }
      if (tokens[static_cast<std::size_t>(id)] == t) return std::make_pair(static_cast<std::int32_t>(i), id);
    }
  }
  return std::nullopt;
}

std::int32_t TokenIndex::find(std::string_view text) const {
  if (slots_.empty()) return -1;
  for (std::size_t s = std::hash<std::string_view>{}(text) & mask_;; s = (s + 1) & mask_) {
    const auto id = slots_[s];
    if (id < 0) return -1;
    if ((*tokens_)[static_cast<std::size_t>(id)] == text) return id;
  }
}

void PairTable::reserve(std::size_t n) {
  if (pair_table_size(n) <= keys_.size()) return;
  std::vector<std::uint64_t> old_keys = std::move(keys_), old_values = std::move(values_);
  keys_.assign(pair_table_size(n), kEmpty);
  values_.assign(keys_.size(), 0);
  mask_ = keys_.size() - 1;
  for (std::size_t i = 0; i < old_keys.size(); ++i) {
    if (old_keys[i] == kEmpty) continue;
    const auto s = slot_of(old_keys[i]);
    keys_[s] = old_keys[i];
    values_[s] = old_values[i];
  }
}

std::size_t PairTable::slot_of(std::uint64_t k) const {
  std::size_t s = mix(k) & mask_;
  while (keys_[s] != kEmpty && keys_[s] != k) s = (s + 1) & mask_;
  return s;
}

bool PairTable::insert(std::int32_t a, std::int32_t b, std::uint64_t value) {
  if (4 * (size_ + 1) > 3 * keys_.size()) reserve(size_ + 1);
  const auto k = key(a, b);
  const auto s = slot_of(k);
  if (keys_[s] == k) return false;
  keys_[s] = k;
  values_[s] = value;
  ++size_;
  return true;
}

const std::uint64_t* PairTable::find(std::int32_t a, std::int32_t b) const {
  if (keys_.empty()) return nullptr;
  const auto s = slot_of(key(a, b));
  return keys_[s] == kEmpty ? nullptr : &values_[s];
}

}  // namespace apr::tok
