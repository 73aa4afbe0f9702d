// apr-qa tokenizer layer: a list of strings stored as one block of text plus end offsets.
//
// A vocabulary or merge list holds 50k-150k short strings. As std::vector<std::string> each costs
// a 32-byte string object, plus a heap block for every string longer than 15 bytes; here each
// costs its bytes and a 4-byte offset (Qwen2.5's 151k tokens and 151k merges: ~2.5 MB instead of
// ~11 MB), and the whole list is two allocations. Elements are read as std::string_view, valid
// until the list is next modified. Appending is amortized O(length); set() rewrites the text
// after the element (O(total size)): lists are built in order and then read.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace apr::tok {

class StringList {
 public:
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;
    const_iterator() = default;
    const_iterator(const StringList* l, std::size_t i) : l_(l), i_(i) {}
    const std::string_view operator*() const { return (*l_)[i_]; }
    const std::string_view operator[](difference_type n) const { return (*l_)[i_ + static_cast<std::size_t>(n)]; }
    const_iterator& operator++() { ++i_; return *this; }
    const_iterator operator++(int) { auto c = *this; ++i_; return c; }
    const_iterator& operator--() { --i_; return *this; }
    const_iterator operator--(int) { auto c = *this; --i_; return c; }
    const_iterator& operator+=(difference_type n) { i_ = static_cast<std::size_t>(static_cast<difference_type>(i_) + n); return *this; }
    const_iterator& operator-=(difference_type n) { return *this += -n; }
    friend const_iterator operator+(const_iterator a, difference_type n) { return a += n; }
    friend const_iterator operator+(difference_type n, const_iterator a) { return a += n; }
    friend const_iterator operator-(const_iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.i_ == b.i_; }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) { return a.i_ <=> b.i_; }

   private:
    const StringList* l_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = const_iterator;
  using value_type = std::string_view;
  using size_type = std::size_t;

  StringList() = default;
  StringList(std::initializer_list<std::string_view> l) {
    for (auto s : l) push_back(s);
  }
  StringList(const std::vector<std::string>& v) { assign(v); }  // NOLINT: implicit, as a vector
  StringList& operator=(const std::vector<std::string>& v) {
    assign(v);
    return *this;
  }
  StringList& operator=(std::initializer_list<std::string_view> l) {
    clear();
    for (auto s : l) push_back(s);
    return *this;
  }

  std::size_t size() const noexcept { return ends_.size(); }
  bool empty() const noexcept { return ends_.empty(); }
  // const: `list[i] = "x"` must not compile (it would assign to a temporary view); use set().
  const std::string_view operator[](std::size_t i) const noexcept {
    const std::uint32_t b = i ? ends_[i - 1] : 0;
    return {text_.data() + b, ends_[i] - b};
  }
  const std::string_view at(std::size_t i) const {
    if (i >= size()) throw std::out_of_range("StringList::at: index " + std::to_string(i) + " >= size " + std::to_string(size()));
    return (*this)[i];
  }
  const std::string_view back() const noexcept { return (*this)[size() - 1]; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }

  void push_back(std::string_view s) {
    if (s.size() > UINT32_MAX - text_.size()) throw std::length_error("StringList: more than 4 GiB of text");
    text_.append(s);
    ends_.push_back(static_cast<std::uint32_t>(text_.size()));
  }
  void reserve(std::size_t n, std::size_t text_bytes = 0) {
    ends_.reserve(n);
    text_.reserve(text_bytes);
  }
  void clear() noexcept {
    text_.clear();
    ends_.clear();
  }
  void pop_back() noexcept { resize(size() - 1); }
  // New entries are empty; shrinking drops the tail.
  void resize(std::size_t n) {
    if (n <= size()) {
      ends_.resize(n);
      text_.resize(n ? ends_[n - 1] : 0);
    } else {
      ends_.resize(n, static_cast<std::uint32_t>(text_.size()));
    }
  }
  // Replaces entry i (O(total size)).
  void set(std::size_t i, std::string_view s) {
    const std::uint32_t b = i ? ends_.at(i - 1) : 0, e = ends_.at(i);
    if (s.size() > e - b && s.size() - (e - b) > UINT32_MAX - text_.size())
      throw std::length_error("StringList: more than 4 GiB of text");
    text_.replace(b, e - b, s);
    const std::int64_t delta = static_cast<std::int64_t>(s.size()) - static_cast<std::int64_t>(e - b);
    for (std::size_t k = i; k < ends_.size(); ++k) ends_[k] = static_cast<std::uint32_t>(ends_[k] + delta);
  }
  void assign(const std::vector<std::string>& v) {
    std::size_t bytes = 0;
    for (const auto& s : v) bytes += s.size();
    clear();
    reserve(v.size(), bytes);
    for (const auto& s : v) push_back(s);
  }
  std::vector<std::string> to_vector() const { return {begin(), end()}; }
  // Bytes held (text and offsets), for memory accounting.
  std::size_t heap_bytes() const noexcept { return text_.capacity() + ends_.capacity() * sizeof(std::uint32_t); }

  bool operator==(const StringList&) const = default;  // same strings in the same order

 private:
  std::string text_;                 // every entry, concatenated
  std::vector<std::uint32_t> ends_;  // end offset of entry i in text_ (it begins at entry i-1's end)
};

}  // namespace apr::tok
