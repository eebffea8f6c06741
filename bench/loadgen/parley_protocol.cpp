#include "loadgen/parley_protocol.hpp"

#include <boost/json/parse.hpp>

namespace loadgen {
namespace {

// Percent-encodes everything but RFC 3986 unreserved characters (tokens are base64url
// JWTs, so this rarely changes anything).
std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

} // namespace

std::string ParleyProtocol::upgrade_target(const Credential& who) const {
  return "/ws?access_token=" + query_escape(who.token);
}

Protocol::Outcome ParleyProtocol::on_opening_frame(std::string_view frame) const {
  boost::system::error_code ec;
  const auto value = boost::json::parse(frame, ec);
  if (ec || !value.is_object()) return {Verdict::refused, "opening frame is not a JSON object"};
  const auto* type = value.as_object().if_contains("type");
  if (!type || !type->is_string()) return {Verdict::refused, "opening frame has no type"};
  if (type->as_string() == "hello") return {Verdict::established, {}};
  // hello is queued first, so anything else before it is a protocol change worth reporting.
  return {Verdict::refused, "expected hello, got " + std::string(type->as_string())};
}

} // namespace loadgen
