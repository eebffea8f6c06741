// Query strings and path parameters: the request target as the HTTP server hands it over
// (Request::path, Request::query, percent_decode), the router's matching and its `{name}`
// parameters, the list routes' query readers (query_int, cursor_param) and the headers read
// beside them (bearer token, X-Forwarded-For). Round trips are checked too: what
// percent_encode, base64url_encode and encode_keyset write, their readers give back.
//
// Input: the request target, then optionally '\n' and a header value (Authorization and
// X-Forwarded-For).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/base64url.hpp"
#include "core/url.hpp"
#include "transport/http/query.hpp"
#include "transport/http/request.hpp"
#include "transport/http/router.hpp"

namespace {

using namespace parley;

void check(bool ok) {
  if (!ok) std::abort();
}

// Patterns of the shapes the services mount: literals, parameters, a literal beside a
// parameter at the same depth ("/users/me" and "/users/{id}"), and several parameters.
const http::Router& router() {
  static const http::Router r = [] {
    http::Router out;
    const auto ok = [](http::Request&) { return http::Response{}; };
    for (const char* pattern :
         {"/api/v1/users/me", "/api/v1/users/{user_id}", "/api/v1/users", "/api/v1/chats/{chat_id}",
          "/api/v1/chats/{chat_id}/members/{user_id}", "/api/v1/chats/{chat_id}/messages",
          "/api/v1/chats/{chat_id}/messages/{message_id}/reactions", "/api/v1/media/blob/{key}", "/healthz"}) {
      out.add("GET", pattern, ok);
      out.add("DELETE", pattern, ok);
    }
    out.add("POST", "/api/v1/chats/{chat_id}/messages", ok);
    return out;
  }();
  return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view target = input.substr(0, newline);
  const std::string_view header = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  http::Request req;
  req.message.method(boost::beast::http::verb::get);
  req.message.target(target);
  req.remote_ip = "203.0.113.7";
  if (!header.empty()) {
    req.message.set(boost::beast::http::field::authorization, header);
    req.message.set("X-Forwarded-For", header);
  }

  const auto path = req.path();
  check(path.size() <= target.size());
  for (const char* name : {"q", "limit", "before", "after", "cursor", "expires", "sig", "name", "access_token"})
    (void)req.query(name);
  (void)http::query_int(req, "limit", 50);
  (void)http::query_int(req, "before", 0);
  if (const auto cursor = http::cursor_param(req); cursor && *cursor) {
    // What the reader accepted, the writer writes back to an equal position.
    const auto again = base64url_decode(http::encode_keyset(**cursor));
    check(again.has_value());
  }
  (void)req.bearer_token();
  (void)http::client_ip(req, true);
  (void)http::client_ip(req, false);

  for (const char* method : {"GET", "POST", "PUT"}) {
    const auto match = router().match(method, path, req.path_params);
    check(!match.route || match.path_matched);
    for (const auto& [name, value] : req.path_params) {
      check(!value.empty() && value.find('/') == std::string::npos); // one non-empty segment
      (void)req.decoded_path_param(name);
    }
  }

  // Round trips over the raw bytes.
  const std::string bytes(input);
  const auto plain = http::percent_decode(percent_encode(bytes), true);
  check(plain && *plain == bytes);
  const auto segment = http::percent_decode(percent_encode(bytes), false);
  check(segment && *segment == bytes);
  const auto decoded = base64url_decode(base64url_encode(bytes));
  check(decoded && *decoded == bytes);
  if (const auto raw = base64url_decode(input)) check(base64url_encode(*raw) == input); // one encoding per bytes
  check(hex_encode(bytes).size() == 2 * bytes.size());
  if (!bytes.empty()) {
    http::Request with_cursor;
    with_cursor.message.target("/x?cursor=" + percent_encode(http::encode_keyset({-42, bytes})));
    const auto back = http::cursor_param(with_cursor);
    check(back && *back && (*back)->number == -42 && (*back)->id == bytes);
  }
  return 0;
}
