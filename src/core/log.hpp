#pragma once
// Structured logs: one JSON object per line on stderr, one named logger per module.
//   static const Logger log{"http"};
//   log.info("request", {{"req", id}, {"status", 200}, {"ms", 1.5}});
// Never pass tokens, passwords or codes as fields.

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <variant>

namespace parley {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

using LogValue = std::variant<std::string_view, std::int64_t, double, bool>;

struct LogField {
  std::string_view key;
  LogValue value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  template <class I>
  requires std::is_integral_v<I> &&(!std::is_same_v<I, bool>)LogField(std::string_view k, I v)
      : key(k), value(static_cast<std::int64_t>(v)) {}
};

using LogFields = std::initializer_list<LogField>;

class Logger {
 public:
  explicit constexpr Logger(std::string_view module) : module_(module) {}

  void debug(std::string_view msg, LogFields f = {}) const { write(LogLevel::debug, msg, f); }
  void info(std::string_view msg, LogFields f = {}) const { write(LogLevel::info, msg, f); }
  void warn(std::string_view msg, LogFields f = {}) const { write(LogLevel::warn, msg, f); }
  void error(std::string_view msg, LogFields f = {}) const { write(LogLevel::error, msg, f); }

  // Process-wide minimum level; lines below it cost one comparison.
  static void set_level(LogLevel level);
  static LogLevel parse_level(std::string_view name);

 private:
  void write(LogLevel level, std::string_view msg, LogFields fields) const;
  std::string_view module_;
};

} // namespace parley
