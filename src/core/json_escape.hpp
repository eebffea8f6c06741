#pragma once
#include <string>
#include <string_view>

namespace parley {
// Appends `s` to `out` as a quoted JSON string (control characters escaped).
void append_json_string(std::string& out, std::string_view s);
} // namespace parley
