#include "loadgen/json_scan.hpp"

#include <charconv>

namespace loadgen {
namespace {

// Where the value of the first `"key":` starts (spaces after the colon skipped), or npos.
std::size_t value_of(std::string_view text, std::string_view key) {
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    const auto end = at + key.size();
    if (at == 0 || text[at - 1] != '"' || end + 1 >= text.size() || text[end] != '"' || text[end + 1] != ':') continue;
    auto v = end + 2;
    while (v < text.size() && text[v] == ' ') ++v;
    return v;
  }
  return std::string_view::npos;
}

} // namespace

std::optional<std::string_view> string_field(std::string_view text, std::string_view key) {
  const auto v = value_of(text, key);
  if (v == std::string_view::npos || v >= text.size() || text[v] != '"') return std::nullopt;
  const auto close = text.find('"', v + 1);
  if (close == std::string_view::npos) return std::nullopt;
  return text.substr(v + 1, close - v - 1);
}

std::optional<std::uint64_t> uint_field(std::string_view text, std::string_view key) {
  const auto v = value_of(text, key);
  if (v == std::string_view::npos) return std::nullopt;
  auto rest = text.substr(v);
  return leading_uint(rest);
}

std::optional<std::uint64_t> leading_uint(std::string_view& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{}) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return value;
}

} // namespace loadgen
