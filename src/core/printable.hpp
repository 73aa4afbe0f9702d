// apr-qa core: text from files made safe for one-line messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace apr {

// `s` with control characters and DEL escaped (\n, \r, \t, \xNN), cut at a UTF-8 boundary after
// at most max_bytes ("... (N more bytes)"). Error::what() applies it to every field, so text taken
// from a file can never break or forge an error line.
std::string printable(std::string_view s, std::size_t max_bytes = 256);

}  // namespace apr
