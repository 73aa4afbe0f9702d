#include "tokenizer/spm.hpp"

#include <cstdio>
#include <queue>

#include "core/error.hpp"
#include "tokenizer/unicode.hpp"

namespace apr::tok {

int parse_byte_token(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  int v = 0;
  for (int k = 3; k < 5; ++k) {
    const char c = t[k];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else return -1;
  }
  return v;
}

SpmModel::SpmModel(const TokenizerData& d, const TokenIndex& token_ids)
    : d_(&d), token_ids_(&token_ids) {
  if (d.scores.size() != d.tokens.size())
    throw validation_error("SentencePiece tokenizer: expected " + std::to_string(d.tokens.size()) +
                           " scores (one per token), found " + std::to_string(d.scores.size()))
        .at_key("scores");
  byte_id_.fill(-1);
  char buf[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    const auto id = token_ids.find(buf);
    if (id < 0)
      throw validation_error(std::string("SentencePiece tokenizer: expected byte-fallback token ") + buf +
                             ", found none")
          .at_key("tokens");
    byte_id_[b] = id;
  }
}

void SpmModel::encode_escaped(std::string_view text, std::vector<std::int32_t>& out) const {
  struct Sym {
    std::int32_t prev, next;
    std::size_t off, n;
  };
  std::vector<Sym> sym;
  for (std::size_t off = 0; off < text.size();) {
    const auto len = std::min(utf8_lead_len(static_cast<unsigned char>(text[off])), text.size() - off);
    const auto idx = static_cast<std::int32_t>(sym.size());
    sym.push_back({idx - 1, off + len == text.size() ? -1 : idx + 1, off, len});
    off += len;
  }
  if (sym.empty()) return;
  struct Bigram {
    std::int32_t left, right;
    float score;
    std::size_t size;
  };
  auto worse = [](const Bigram& a, const Bigram& b) {  // a has lower priority than b
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> pq(worse);
  auto try_add = [&](std::int32_t l, std::int32_t r) {
    if (l < 0 || r < 0) return;
    const std::string_view piece = text.substr(sym[l].off, sym[l].n + sym[r].n);
    const auto id = token_ids_->find(piece);
    if (id < 0) return;
    pq.push({l, r, d_->scores[static_cast<std::size_t>(id)], piece.size()});
  };
  for (std::int32_t i = 1; i < static_cast<std::int32_t>(sym.size()); ++i) try_add(i - 1, i);
  while (!pq.empty()) {
    const auto b = pq.top();
    pq.pop();
    auto& l = sym[b.left];
    auto& r = sym[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  // Every merged symbol is a token by construction; a single character that is not a token
  // becomes its <0xXX> byte tokens (llama.cpp's resegment reduces to exactly this).
  for (std::int32_t i = 0; i >= 0; i = sym[i].next) {
    const std::string_view piece = text.substr(sym[i].off, sym[i].n);
    const auto id = token_ids_->find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (unsigned char c : piece) {
      const auto id = byte_id_[c];
      if (id < 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "<0x%02X>", c);
        throw validation_error(std::string("SentencePiece tokenizer has no byte token ") + hex +
                               " for a character that is not in the vocabulary")
            .at_key("tokens");
      }
      out.push_back(id);
    }
  }
}

}  // namespace apr::tok
