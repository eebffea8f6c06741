#include "adapters/remote/remote_reply.hpp"

#include "core/url.hpp"

namespace parley::remote {

std::string escape(std::string_view id) {
  // '.' too, though unreserved: a segment "." or ".." would be resolved away before sending.
  std::string out;
  for (const char c : percent_encode(id)) {
    if (c == '.')
      out += "%2E";
    else
      out += c;
  }
  return out;
}

Error upstream(Error error) {
  if (error.code == "invalid_service_token") {
    error.kind = ErrorKind::internal;
    error.retryable = false;
  }
  return error;
}

Error malformed(const ServiceClient& service, std::string_view what) {
  return {ErrorKind::internal, "malformed_reply",
          service.service() + " sent a malformed reply to " + std::string(what)};
}

const boost::json::value* member(const boost::json::value& reply, std::string_view key) {
  const auto* object = reply.if_object();
  return object ? object->if_contains(key) : nullptr;
}

std::optional<std::vector<std::string>> string_list(const boost::json::value* value) {
  const auto* array = value ? value->if_array() : nullptr;
  if (!array) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(array->size());
  for (const auto& item : *array) {
    const auto* text = item.if_string();
    if (!text) return std::nullopt;
    out.emplace_back(*text);
  }
  return out;
}

} // namespace parley::remote
