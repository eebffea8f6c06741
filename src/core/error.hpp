#pragma once
// Expected failures are values: every fallible call returns Result<T>.
// An Error carries a stable machine code ("email_taken"), a human message, and its
// kind, which fixes the HTTP status and WebSocket error code in exactly one place
// (transport/http/error_response.cpp).

#include <chrono>
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace parley {

enum class ErrorKind {
  invalid_argument,   // 400: malformed input
  unauthenticated,    // 401: missing or bad credentials
  forbidden,          // 403: authenticated but not allowed
  not_found,          // 404
  method_not_allowed, // 405
  conflict,           // 409: uniqueness or state conflict
  payload_too_large,  // 413
  unprocessable,      // 422: well-formed but violates a rule
  rate_limited,       // 429: retry after `retry_after`
  internal,           // 500: a bug or a broken invariant
  unavailable,        // 503: a dependency is down; retrying may help
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string code;
  std::string message;
  bool retryable = false;
  std::chrono::seconds retry_after{0};

  static Error invalid(std::string code, std::string message) {
    return {ErrorKind::invalid_argument, std::move(code), std::move(message)};
  }
  static Error unauthenticated(std::string code, std::string message) {
    return {ErrorKind::unauthenticated, std::move(code), std::move(message)};
  }
  static Error forbidden(std::string code, std::string message) {
    return {ErrorKind::forbidden, std::move(code), std::move(message)};
  }
  static Error not_found(std::string code, std::string message) {
    return {ErrorKind::not_found, std::move(code), std::move(message)};
  }
  static Error conflict(std::string code, std::string message) {
    return {ErrorKind::conflict, std::move(code), std::move(message)};
  }
  static Error unprocessable(std::string code, std::string message) {
    return {ErrorKind::unprocessable, std::move(code), std::move(message)};
  }
  static Error too_large(std::string code, std::string message) {
    return {ErrorKind::payload_too_large, std::move(code), std::move(message)};
  }
  static Error rate_limited(std::chrono::seconds retry_after) {
    return {ErrorKind::rate_limited, "rate_limited", "too many requests, retry later", true, retry_after};
  }
  static Error internal(std::string message) { return {ErrorKind::internal, "internal", std::move(message)}; }
  static Error unavailable(std::string code, std::string message) {
    return {ErrorKind::unavailable, std::move(code), std::move(message), true};
  }
};

template <class T>
using Result = tl::expected<T, Error>;

// Shorthand for the error branch: `return fail(Error::not_found(...));`
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

} // namespace parley
