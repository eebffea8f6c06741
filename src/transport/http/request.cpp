#include "transport/http/request.hpp"

#include "core/text.hpp"

namespace parley::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace

std::string_view Request::path() const {
  const std::string_view target = message.target();
  return target.substr(0, target.find('?'));
}

std::string client_ip(const Request& req, bool trust_forwarded) {
  if (trust_forwarded) {
    if (const auto list = req.header("X-Forwarded-For")) {
      const auto comma = list->rfind(',');
      const auto last = trim(comma == std::string_view::npos ? *list : list->substr(comma + 1));
      if (!last.empty()) return std::string(last);
    }
  }
  return req.remote_ip;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  const auto it = message.find(name);
  if (it == message.end()) return std::nullopt;
  return it->value();
}

std::string_view Request::path_param(std::string_view name) const {
  for (const auto& [key, value] : path_params)
    if (key == name) return value;
  return {};
}

std::optional<std::string> Request::decoded_path_param(std::string_view name) const {
  return percent_decode(path_param(name), false);
}

std::optional<std::string> Request::query(std::string_view name) const {
  const std::string_view target = message.target();
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    const auto key = percent_decode(pair.substr(0, eq));
    if (!key || *key != name) continue;
    return percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::string_view Request::bearer_token() const {
  const auto value = header("Authorization");
  if (!value || value->size() < 7) return {};
  const std::string_view v = *value;
  const std::string_view scheme = v.substr(0, 7);
  // The scheme is case-insensitive (RFC 7235).
  const bool bearer = (scheme[0] == 'B' || scheme[0] == 'b') && scheme.substr(1, 5) == "earer" && scheme[6] == ' ';
  return bearer ? v.substr(7) : std::string_view{};
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_as_space) {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace parley::http
