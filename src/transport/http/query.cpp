#include "transport/http/query.hpp"

#include <charconv>

#include "core/base64url.hpp"

namespace parley::http {

Result<std::int64_t> query_int(const Request& req, std::string_view name, std::int64_t fallback) {
  const auto text = req.query(name);
  if (!text) return fallback;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size() || v < 0)
    return fail(Error::invalid("invalid_query", std::string(name) + " must be a non-negative integer"));
  return v;
}

std::string encode_keyset(const Keyset& k) { return base64url_encode(std::to_string(k.number) + ":" + k.id); }

Result<std::optional<Keyset>> cursor_param(const Request& req) {
  const auto text = req.query("cursor");
  if (!text || text->empty()) return std::optional<Keyset>{};
  const auto raw = base64url_decode(*text);
  const auto colon = raw ? raw->find(':') : std::string::npos;
  if (colon != std::string::npos && colon + 1 < raw->size()) {
    Keyset k;
    const auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + colon, k.number);
    if (ec == std::errc() && ptr == raw->data() + colon) {
      k.id = raw->substr(colon + 1);
      return std::optional<Keyset>{std::move(k)};
    }
  }
  return fail(Error::invalid("invalid_cursor", "the cursor is not valid"));
}

} // namespace parley::http
