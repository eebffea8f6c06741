#pragma once
// Building URLs: RFC 3986 percent-encoding and lower-case hex.

#include <string>
#include <string_view>

namespace parley {

// Every byte except the unreserved A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex).
std::string percent_encode(std::string_view text);
std::string hex_encode(std::string_view bytes);

} // namespace parley
