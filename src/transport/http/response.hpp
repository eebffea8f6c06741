#pragma once
// Responses and the single place where an Error becomes an HTTP status.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "core/error.hpp"

namespace parley::http {

struct Response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json"; // empty: no Content-Type header
  std::vector<std::pair<std::string, std::string>> headers;
};

unsigned status_for(ErrorKind kind);

Response json_response(unsigned status, const boost::json::value& body);
// `{"error":{"code":...,"message":...}}` with the status of the error's kind
// (and Retry-After when rate limited).
Response error_response(const Error& error);
Response no_content();

// Turns a Result into a response: the value through `on_ok`, or the error envelope.
template <class T, class F>
Response respond(const Result<T>& result, F&& on_ok) {
  if (!result) return error_response(result.error());
  if constexpr (std::is_void_v<T>)
    return on_ok();
  else
    return on_ok(*result);
}

} // namespace parley::http
