#include "tokenizer/bpe.hpp"

#include <queue>

#include "core/error.hpp"
#include "tokenizer/byte_level.hpp"

namespace apr::tok {
namespace {
constexpr std::size_t kCacheMaxEntries = 1 << 16;
constexpr std::size_t kCacheMaxPiece = 256;  // longer pieces are not cached
}  // namespace

BpeModel::BpeModel(const TokenizerData& d, const TokenIndex& token_ids, bool ignore_merges)
    : token_ids_(&token_ids), ignore_merges_(ignore_merges) {
  // A byte whose symbol is not a token (SmolLM2 lacks 21, e.g. 0x04 and 0xF5-0xFF) stays in the
  // piece as a barrier that nothing merges with and is dropped from the output, as llama.cpp
  // does (HF drops it before merging; see docs/tokenizer.md).
  for (int b = 0; b < 256; ++b) byte_id_[b] = token_ids.find(byte_symbol(static_cast<std::uint8_t>(b)));
  merges_.reserve(d.merges.size());
  std::string joined;
  for (std::size_t r = 0; r < d.merges.size(); ++r) {
    const std::string_view m = d.merges[r];
    const auto sp = m.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= m.size() || m.find(' ', sp + 1) != std::string::npos)
      throw validation_error("merge " + std::to_string(r) + ": expected \"left right\", found \"" + std::string(m) + "\"")
          .at_key("merges");
    const std::string_view a = m.substr(0, sp), b = m.substr(sp + 1);
    joined.assign(a).append(b);
    const auto ia = token_ids.find(a), ib = token_ids.find(b), iab = token_ids.find(joined);
    if (ia < 0 || ib < 0 || iab < 0) {
      const std::string missing = ia < 0 ? std::string(a) : ib < 0 ? std::string(b) : joined;
      throw validation_error("merge " + std::to_string(r) + " \"" + std::string(m) +
                             "\": expected known tokens, found unknown token \"" + missing + "\"")
          .at_key("merges");
    }
    if (!merges_.insert(ia, ib, pack({static_cast<std::int32_t>(r), iab})))
      throw validation_error("merge " + std::to_string(r) + " \"" + std::string(m) + "\" repeats merge " +
                             std::to_string(unpack(*merges_.find(ia, ib)).rank))
          .at_key("merges");
  }
}

void BpeModel::encode_piece(std::string_view raw, std::vector<std::int32_t>& out) const {
  if (raw.size() > kCacheMaxPiece) {
    encode_piece_uncached(raw, out);
    return;
  }
  std::string k(raw);
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(k);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const auto start = out.size();
  encode_piece_uncached(raw, out);
  std::vector<std::int32_t> ids(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= kCacheMaxEntries) cache_.clear();
  cache_.emplace(std::move(k), std::move(ids));
}

void BpeModel::encode_piece_uncached(std::string_view raw, std::vector<std::int32_t>& out) const {
  if (raw.empty()) return;
  if (raw.size() == 1) {
    const auto id = byte_id_[static_cast<unsigned char>(raw[0])];
    if (id >= 0) out.push_back(id);
    return;
  }
  if (ignore_merges_) {
    const auto id = token_ids_->find(bytes_to_byte_level(raw));
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  struct Sym {
    std::int32_t id;
    std::int32_t prev, next;  // -1 at the ends
  };
  const auto n = static_cast<std::int32_t>(raw.size());
  std::vector<Sym> sym(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) sym[i] = {byte_id_[static_cast<unsigned char>(raw[i])], i - 1, i + 1 < n ? i + 1 : -1};

  struct Cand {
    std::int32_t rank, pos, left_id, right_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> pq;
  auto push = [&](std::int32_t l) {
    if (l < 0) return;
    const auto r = sym[l].next;
    if (r < 0) return;
    if (const auto* v = merges_.find(sym[l].id, sym[r].id)) pq.push({unpack(*v).rank, l, sym[l].id, sym[r].id});
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!pq.empty()) {
    const Cand c = pq.top();
    pq.pop();
    Sym& l = sym[c.pos];
    if (l.id != c.left_id || l.next < 0) continue;  // stale: left symbol changed or was absorbed
    Sym& r = sym[l.next];
    if (r.id != c.right_id) continue;
    l.id = unpack(*merges_.find(c.left_id, c.right_id)).id;
    const auto rn = r.next;
    r.id = -1;  // absorbed
    l.next = rn;
    if (rn >= 0) sym[rn].prev = c.pos;
    push(l.prev);
    push(c.pos);
  }
  for (std::int32_t i = 0; i >= 0; i = sym[i].next)
    if (sym[i].id >= 0) out.push_back(sym[i].id);
}

}  // namespace apr::tok
