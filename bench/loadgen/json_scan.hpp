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

} // namespace loadgen
