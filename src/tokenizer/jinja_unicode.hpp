// apr-qa chat templates: the Unicode operations Python strings provide, on UTF-8 text.
//
// Python indexes strings by code point; these helpers decode/encode UTF-8 and classify code
// points (decoding and encoding: core/utf8.hpp) the way Python's str methods do (whitespace set of str.isspace/str.strip/str.split,
// cased letters for str.title, printable characters for repr). Case mapping is utf8proc's simple
// one-to-one mapping (Python's full mapping differs for a few characters such as 'ß'.upper()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace apr::tok::jinja::uni {

// (Decoding, encoding and validating UTF-8: core/utf8.hpp.)
std::size_t length(std::string_view s);  // number of code points

bool is_space(char32_t c);      // Python str.isspace() for one character
bool is_printable(char32_t c);  // Python str.isprintable() for one character
bool is_cased(char32_t c);      // category Lu, Ll or Lt
bool is_alpha(char32_t c);
bool is_digit(char32_t c);
bool is_lower(char32_t c);
bool is_upper(char32_t c);
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
char32_t to_title(char32_t c);

std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string py_title(std::string_view s);       // Python str.title()
std::string py_capitalize(std::string_view s);  // Python str.capitalize()
// Python str.strip/lstrip/rstrip: chars==nullptr strips whitespace, else any of *chars.
std::string strip(std::string_view s, bool left, bool right, const std::string* chars);

}  // namespace apr::tok::jinja::uni
