#include "transport/http/response.hpp"

#include <boost/json/serialize.hpp>

namespace parley::http {

unsigned status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return 400;
    case ErrorKind::unauthenticated:
      return 401;
    case ErrorKind::forbidden:
      return 403;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::method_not_allowed:
      return 405;
    case ErrorKind::conflict:
      return 409;
    case ErrorKind::payload_too_large:
      return 413;
    case ErrorKind::unprocessable:
      return 422;
    case ErrorKind::rate_limited:
      return 429;
    case ErrorKind::internal:
      return 500;
    case ErrorKind::unavailable:
      return 503;
  }
  return 500;
}

Response json_response(unsigned status, const boost::json::value& body) {
  return Response{status, boost::json::serialize(body)};
}

Response error_response(const Error& error) {
  // Internal details stay in the log; clients get a stable, generic message.
  const bool internal = error.kind == ErrorKind::internal;
  Response res =
      json_response(status_for(error.kind),
                    {{"error", {{"code", error.code}, {"message", internal ? "internal error" : error.message}}}});
  if (error.kind == ErrorKind::rate_limited || error.retry_after.count() > 0)
    res.headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, error.retry_after.count())));
  return res;
}

Response no_content() { return Response{204, {}, {}}; }

} // namespace parley::http
