#pragma once
// Forwards HTTP requests to the instances of one upstream service and relays their answers:
// the gateway's handler for every API route. Blocking (one HttpClient call per attempt), so
// it runs on the server's handler pool like any handler.

#include <string>
#include <vector>

#include "transport/client/http_client.hpp"
#include "transport/http/request.hpp"
#include "transport/http/response.hpp"
#include "transport/proxy/forwarding.hpp"
#include "transport/proxy/upstreams.hpp"

namespace parley::proxy {

class ReverseProxy {
 public:
  // `http` must outlive the proxy; its timeouts and reply size limit apply to every call.
  // Throws std::invalid_argument when `instances` is empty.
  ReverseProxy(std::string service, std::vector<UpstreamAddress> instances, const HttpClient& http,
               ForwardingPolicy policy = {});

  // Sends the request's method, target (path and query as received), body and upstream_headers()
  // to one instance and answers with whatever it answered (any status: the upstream's errors
  // are the client's). Instances are taken round robin; on a transport failure the next one is
  // tried only when the request cannot have reached the failed one (it could not be connected
  // to), so a request is never executed twice. When no instance answers: 502 with the error
  // envelope, code "upstream_unavailable".
  http::Response forward(const http::Request& req) const;

  const Upstreams& upstreams() const { return upstreams_; }

 private:
  Upstreams upstreams_;
  const HttpClient& http_;
  ForwardingPolicy policy_;
};

// The response when an upstream cannot be reached: 502, code "upstream_unavailable".
http::Response upstream_unavailable(const std::string& service);

} // namespace parley::proxy
