#include "transport/client/service_client.hpp"

#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley {
namespace json = boost::json;

ErrorKind kind_for_status(unsigned status) {
  switch (status) {
    case 400:
      return ErrorKind::invalid_argument;
    case 401:
      return ErrorKind::unauthenticated;
    case 403:
      return ErrorKind::forbidden;
    case 404:
      return ErrorKind::not_found;
    case 405:
      return ErrorKind::method_not_allowed;
    case 409:
      return ErrorKind::conflict;
    case 413:
      return ErrorKind::payload_too_large;
    case 422:
      return ErrorKind::unprocessable;
    case 429:
      return ErrorKind::rate_limited;
    case 502:
    case 503:
    case 504:
      return ErrorKind::unavailable;
    default:
      return ErrorKind::internal;
  }
}

ServiceClient::ServiceClient(std::string service, std::vector<std::string> base_urls, std::string token,
                             const HttpClient& http)
    : service_(std::move(service)), base_urls_(std::move(base_urls)), token_(std::move(token)), http_(http) {
  if (base_urls_.empty()) throw std::invalid_argument("no instance of the " + service_ + " service configured");
}

Result<json::value> ServiceClient::call(std::string_view method, std::string_view path, const json::value& body) const {
  HttpCall request{std::string(method), {}, {{std::string(kServiceTokenHeader), token_}}, {}};
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = json::serialize(body);
  }
  Result<HttpReply> reply = fail(Error::unavailable("upstream_unavailable", service_ + ": no instance answered"));
  const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  // The next instance only when this one cannot have seen the request.
  for (std::size_t i = 0; i < base_urls_.size() && !reply && reply.error().retryable; ++i) {
    request.url = base_urls_[(first + i) % base_urls_.size()] + std::string(path);
    reply = http_.call(request);
  }
  if (!reply) return fail(reply.error());
  json::value parsed;
  if (!reply->body.empty()) {
    boost::system::error_code ec;
    parsed = json::parse(reply->body, ec);
    if (ec) return fail(Error::internal(service_ + " answered " + std::string(path) + " with malformed JSON"));
  }
  if (reply->status >= 200 && reply->status < 300) return parsed;
  Error error{kind_for_status(reply->status), "upstream_error",
              service_ + " answered " + std::to_string(reply->status)};
  if (const auto* envelope = parsed.is_object() ? parsed.as_object().if_contains("error") : nullptr;
      envelope && envelope->is_object()) {
    const auto& e = envelope->as_object();
    if (const auto* code = e.if_contains("code"); code && code->is_string()) error.code = code->as_string().c_str();
    if (const auto* message = e.if_contains("message"); message && message->is_string())
      error.message = message->as_string().c_str();
  }
  if (const auto retry = reply->header("retry-after"); !retry.empty()) {
    error.retry_after = std::chrono::seconds(std::atoi(std::string(retry).c_str()));
  }
  error.retryable = error.kind == ErrorKind::unavailable || error.kind == ErrorKind::rate_limited;
  return fail(std::move(error));
}

} // namespace parley
