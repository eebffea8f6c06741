#pragma once
// Table-driven configuration. Each option is declared once (name, default, bounds,
// help, target field); loading, validation and `--help` all follow from that table.
// Sources, later wins: defaults < config file (NAME=value lines) < environment.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley {

// Raw NAME -> value pairs from a file and the environment.
class ConfigSource {
 public:
  // Reads `NAME=value` lines ('#' starts a comment). Throws on unreadable files or bad lines.
  void load_file(const std::string& path);
  // Takes every PARLEY_* variable from the process environment.
  void load_environment();
  void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }
  std::optional<std::string> get(std::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

bool parse_bool(std::string_view text, bool& out);
bool parse_int(std::string_view text, std::int64_t& out);
// "host:port" with a decimal port from 0 to 65535; the last colon splits ("[::1]:8080").
bool parse_host_port(std::string_view text, std::string& host, std::uint16_t& port);

template <class C>
struct ConfigOption {
  using Field = std::variant<std::string C::*, std::int64_t C::*, bool C::*>;
  std::string_view name;
  std::string_view default_value;
  std::string_view help;
  Field field;
  std::int64_t min = 0; // bounds apply to integers only
  std::int64_t max = INT64_MAX;
  bool secret = false; // never printed
};

// Fills `out` from the table. Returns every problem found (empty when valid).
template <class C>
std::vector<std::string> load_config(std::span<const ConfigOption<C>> table, const ConfigSource& src, C& out) {
  std::vector<std::string> problems;
  for (const auto& opt : table) {
    const std::string text = src.get(opt.name).value_or(std::string(opt.default_value));
    if (auto* s = std::get_if<std::string C::*>(&opt.field)) {
      out.*(*s) = text;
    } else if (auto* i = std::get_if<std::int64_t C::*>(&opt.field)) {
      std::int64_t v = 0;
      if (!parse_int(text, v) || v < opt.min || v > opt.max)
        problems.push_back(std::string(opt.name) + ": expected an integer in [" + std::to_string(opt.min) + ", " +
                           std::to_string(opt.max) + "], got '" + (opt.secret ? "***" : text) + "'");
      else
        out.*(*i) = v;
    } else if (auto* b = std::get_if<bool C::*>(&opt.field)) {
      bool v = false;
      if (!parse_bool(text, v))
        problems.push_back(std::string(opt.name) + ": expected true or false, got '" + text + "'");
      else
        out.*(*b) = v;
    }
  }
  for (const auto& [name, value] : src.values()) {
    bool known = name == "PARLEY_CONFIG";
    for (const auto& opt : table) known = known || opt.name == name;
    if (!known) problems.push_back(name + ": unknown setting");
  }
  return problems;
}

// The `--help` text: every option with its default and bounds.
template <class C>
std::string config_help(std::span<const ConfigOption<C>> table) {
  std::string out;
  for (const auto& opt : table) {
    out += "  ";
    out += opt.name;
    out += " (default: ";
    out += opt.default_value.empty() ? "<empty>" : opt.default_value;
    out += ")\n      ";
    out += opt.help;
    out += '\n';
  }
  return out;
}

} // namespace parley
