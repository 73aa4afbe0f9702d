// apr-qa tokenizer: decoding ids to text, one-shot and streaming.
#include "core/error.hpp"
#include "core/utf8.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/spm.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"

namespace apr::tok {
namespace {

// Raw bytes of one token (no lossy conversion).
std::string piece_bytes(const TokenizerImpl& I, std::int32_t id) {
  const auto& text = I.data.tokens[static_cast<std::size_t>(id)];
  if (I.raw_text[static_cast<std::size_t>(id)]) return std::string(text);
  if (I.bpe) return byte_level_to_bytes(text);
  if (I.type_of(id) == kTokenByte) {
    const int b = parse_byte_token(text);
    if (b >= 0) return std::string(1, static_cast<char>(b));
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
      out += ' ';
      i += 3;
    } else {
      out += text[i++];
    }
  }
  return out;
}

void check_range(const TokenizerImpl& I, std::int32_t id) {
  if (id < 0 || static_cast<std::size_t>(id) >= I.data.tokens.size())
    throw validation_error("token id: expected an id in [0, " + std::to_string(I.data.tokens.size()) + "), found " +
                           std::to_string(id));
}

}  // namespace

std::string Tokenizer::token_text(std::int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return piece_bytes(*impl_, id);
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool skip_special) const {
  const auto& I = *impl_;
  std::string bytes;
  // SPM: the dummy prefix space is removed from the first piece only when that piece is text (as
  // llama.cpp's llama_detokenize does); tokens dropped by skip_special do not count as first.
  bool at_start = true;
  for (auto id : ids) {
    check_range(I, id);
    if (skip_special && I.special[static_cast<std::size_t>(id)]) continue;
    auto piece = piece_bytes(I, id);
    if (at_start && I.spm && I.add_space_prefix && !I.raw_text[static_cast<std::size_t>(id)] && !piece.empty() &&
        piece[0] == ' ')
      piece.erase(0, 1);
    at_start = false;
    bytes += piece;
  }
  return utf8_lossy(bytes);
}

StreamDecoder::StreamDecoder(const Tokenizer& t, bool skip_special) : tok_(&t), skip_special_(skip_special) {}

std::string StreamDecoder::push(std::int32_t id) {
  const auto& I = *tok_->impl_;
  check_range(I, id);
  if (skip_special_ && I.special[static_cast<std::size_t>(id)]) return {};
  auto piece = piece_bytes(I, id);
  if (at_start_ && I.spm && I.add_space_prefix && !I.raw_text[static_cast<std::size_t>(id)] && !piece.empty() &&
      piece[0] == ' ')
    piece.erase(0, 1);
  at_start_ = false;
  pending_ += piece;
  // Emit everything except a trailing sequence that may still become valid.
  std::string out;
  std::size_t i = 0;
  while (i < pending_.size()) {
    const auto l = utf8::valid_len(pending_, i);
    if (l) {
      out.append(pending_, i, l);
      i += l;
      continue;
    }
    const auto bad = utf8::invalid_len(pending_, i);
    const auto lead = static_cast<unsigned char>(pending_[i]);
    const bool could_complete = i + bad == pending_.size() && lead >= 0xC2 && lead <= 0xF4;
    if (could_complete) break;
    out += "\xEF\xBF\xBD";
    i += bad;
  }
  pending_.erase(0, i);
  return out;
}

std::string StreamDecoder::flush() {
  auto out = utf8_lossy(pending_);
  pending_.clear();
  return out;
}

}  // namespace apr::tok
