#pragma once
// What happens to every request between the socket and the handler: request id,
// CORS, routing (404/405), the handler itself (exceptions become 500), metrics and
// one log line. Transport-free, so it is unit-tested without a socket.

#include <string>
#include <vector>

#include "transport/http/metrics.hpp"
#include "transport/http/router.hpp"

namespace parley::http {

class Pipeline {
 public:
  Pipeline(const Router& router, HttpMetrics& metrics, std::vector<std::string> cors_origins);
  // Never throws.
  Response handle(Request& req) const;

 private:
  Response dispatch(Request& req, std::string& route_name) const;
  static void add_safety_headers(Response& res);
  void add_cors(const Request& req, Response& res) const;

  const Router& router_;
  HttpMetrics& metrics_;
  std::vector<std::string> cors_origins_;
};

// A request id: the client's X-Request-Id when it is short and plain, else a new one.
std::string request_id_for(const Request& req);

} // namespace parley::http
