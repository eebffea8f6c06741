#pragma once
// A small blocking HTTP/1.1 client for service-to-service calls and the gateway's proxying
// (libcurl underneath). Thread-safe: each thread keeps its own connection cache, so calls
// from the server's handler threads reuse kept-alive connections without sharing them.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace parley {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpCall {
  std::string method = "GET";
  std::string url; // absolute: http://host:port/path?query
  HttpHeaders headers;
  std::string body;
};

struct HttpReply {
  unsigned status = 0;
  HttpHeaders headers; // names in lower case
  std::string body;

  // The first header with this (lower-case) name, or "".
  std::string_view header(std::string_view name) const;
};

struct HttpClientConfig {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{10000}; // whole call
  std::size_t max_reply_bytes = 64 * 1024 * 1024;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientConfig config = {});

  // Any status is a reply; only transport failures (refused, timed out, reply over the
  // size limit) are errors, of kind unavailable ("upstream_unavailable"). Such an error is
  // `retryable` only when the request cannot have reached the server (it could not be
  // resolved or connected to): only then may a non-idempotent request be sent elsewhere.
  Result<HttpReply> call(const HttpCall& call) const;

 private:
  HttpClientConfig config_;
};

} // namespace parley
