#pragma once
// An HTTP request as handlers see it: the parsed Beast message plus what the server
// learned about it (request id, peer address, route parameters).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace parley::http {

namespace beast_http = boost::beast::http;
using BeastRequest = beast_http::request<beast_http::string_body>;

struct Request {
  BeastRequest message;
  std::string request_id;
  std::string remote_ip;
  std::vector<std::pair<std::string, std::string>> path_params; // filled by the router

  std::string_view method() const { return message.method_string(); }
  // The target without its query string.
  std::string_view path() const;
  std::string_view body() const { return message.body(); }
  std::optional<std::string_view> header(std::string_view name) const;
  // Value of a `{name}` segment of the matched route ("" when absent).
  std::string_view path_param(std::string_view name) const;
  // The same segment percent-decoded ('+' stays '+'); nullopt on a malformed escape.
  std::optional<std::string> decoded_path_param(std::string_view name) const;
  // Percent-decoded query parameter; nullopt when absent or malformed.
  std::optional<std::string> query(std::string_view name) const;
  // The token of an `Authorization: Bearer <token>` header, or "".
  std::string_view bearer_token() const;
};

// The client's address: the peer's, or with trust_forwarded (the peer is a proxy of ours) the
// last X-Forwarded-For entry, which that proxy added (the peer's when there is none).
std::string client_ip(const Request& req, bool trust_forwarded);

// Decodes %XX escapes and, unless told otherwise (path segments), '+' as space. nullopt on a
// malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = true);

} // namespace parley::http
