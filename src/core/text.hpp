#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace parley {
// Lower-cases UTF-8 text for case-insensitive matching: ASCII, Latin-1, Latin Extended-A,
// Greek and Cyrillic capitals (simple one-to-one mappings; no locale, no expansions).
// Other code points and invalid bytes are copied unchanged.
std::string fold_case(std::string_view text);
// The longest prefix of `text` of at most `max_bytes` that does not split a UTF-8
// sequence (for previews).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);
// Without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view text);
// "a, b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& text);

} // namespace parley
