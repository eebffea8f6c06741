#include "core/config.hpp"
#include "core/text.hpp"

#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>

extern char** environ; // NOLINT: POSIX

namespace parley {
namespace {} // namespace

void ConfigSource::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read config file " + path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || trim(text.substr(0, eq)).empty())
      throw std::runtime_error(path + ":" + std::to_string(number) + ": expected NAME=value");
    set(std::string(trim(text.substr(0, eq))), std::string(trim(text.substr(eq + 1))));
  }
}

void ConfigSource::load_environment() {
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    if (!entry.starts_with("PARLEY_")) continue;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    set(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
}

std::optional<std::string> ConfigSource::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return out = true, true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return out = false, true;
  return false;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool parse_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view digits = text.substr(colon + 1);
  std::int64_t value = 0;
  if (digits.empty() || digits.front() == '-' || digits.front() == '+' || !parse_int(digits, value) || value > 65535)
    return false;
  host = std::string(text.substr(0, colon));
  port = static_cast<std::uint16_t>(value);
  return true;
}

} // namespace parley
