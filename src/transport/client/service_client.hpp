#pragma once
// Calls to another service's internal API (/internal/v1/...): JSON in and out, the shared
// service token in `X-Parley-Service-Token`, the callee's error envelope turned back into
// the same Error, and round robin over the service's instances (when one cannot be reached,
// the next one).

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "transport/client/http_client.hpp"

namespace parley {

inline constexpr std::string_view kServiceTokenHeader = "X-Parley-Service-Token";

class ServiceClient {
 public:
  // `base_urls`: "http://host:port" of each instance (at least one); `http` must outlive this.
  ServiceClient(std::string service, std::vector<std::string> base_urls, std::string token, const HttpClient& http);

  // The reply's JSON (null for an empty body) on 2xx; otherwise the callee's error.
  Result<boost::json::value> call(std::string_view method, std::string_view path,
                                  const boost::json::value& body = nullptr) const;

  const std::string& service() const { return service_; }

 private:
  std::string service_;
  std::vector<std::string> base_urls_;
  std::string token_;
  const HttpClient& http_;
  mutable std::atomic<std::size_t> next_{0};
};

// The ErrorKind an HTTP status stands for (the inverse of http::status_for).
ErrorKind kind_for_status(unsigned status);

} // namespace parley
