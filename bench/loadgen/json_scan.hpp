#pragma once
// A few fields read from a JSON frame without parsing it, for frames whose shape the bench
// knows (it caused them): the first occurrence of a key is the one wanted, and string values
// hold no escapes. Receiving a fan-out means hundreds of thousands of frames a second on a
// core the server needs too, so the generator does not build a DOM for each.

#include <cstdint>
#include <optional>
#include <string_view>

namespace loadgen {

// The value of the first `"key":"..."` in `text`; nullopt when absent or not a string.
std::optional<std::string_view> string_field(std::string_view text, std::string_view key);
// The value of the first `"key":N` in `text`; nullopt when absent or not an unsigned integer.
std::optional<std::uint64_t> uint_field(std::string_view text, std::string_view key);
// The leading unsigned integer of `text` and what follows it (after one space, if any);
// nullopt when `text` does not start with a digit.
std::optional<std::uint64_t> leading_uint(std::string_view& text);

// `text` without leading and trailing blanks.
inline std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Calls f(line) for each non-blank line, trimmed, of a frame that carries several JSON texts,
// one per line (Centrifugo's JSON protocol, Parley's protocol 2), until f returns false.
template <class F>
void for_each_line(std::string_view frame, F&& f) {
  while (!frame.empty()) {
    const auto newline = frame.find('\n');
    const auto line = trim(frame.substr(0, newline));
    if (!line.empty() && !f(line)) return;
    if (newline == std::string_view::npos) return;
    frame.remove_prefix(newline + 1);
  }
}

} // namespace loadgen
