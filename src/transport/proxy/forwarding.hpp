#pragma once
// Which headers cross the proxy, and what it adds. Hop-by-hop fields (RFC 9110 §7.6.1)
// describe one connection and stay on it; everything else is passed on, plus
// X-Forwarded-For/-Proto/-Host so the upstream knows who asked, and X-Request-Id so the
// gateway's and the upstream's log lines about one request share an id.

#include <string>
#include <string_view>
#include <vector>

#include "transport/client/http_client.hpp"
#include "transport/http/request.hpp"
#include "transport/http/response.hpp"

namespace parley::proxy {

struct ForwardingPolicy {
  // True when the peer is a load balancer of ours: its X-Forwarded-For and -Proto are kept
  // (and extended) and the client is the last address it added. False (an edge facing the
  // internet): such incoming headers are lies until proven otherwise and are replaced.
  bool trust_forwarded = false;
  // Request headers never passed on, on top of the hop-by-hop ones (any case).
  std::vector<std::string> strip_request_headers;
};

// Connection, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade, Proxy-* (any case).
bool is_hop_by_hop(std::string_view name);

// X-Forwarded-For for the upstream: the peer's address, appended to the incoming list when
// it is trusted.
std::string forwarded_for(const http::Request& req, bool trust_forwarded);
// X-Forwarded-Proto for the upstream: "http", or the trusted incoming one.
std::string forwarded_proto(const http::Request& req, bool trust_forwarded);

// The headers to send upstream: the request's end-to-end headers except Host, Content-Length
// and Expect (the client computes its own), the X-Forwarded-* and X-Request-Id the proxy sets,
// headers the Connection header names, and the policy's stripped ones; then X-Forwarded-For,
// X-Forwarded-Proto, X-Forwarded-Host (the original Host) and X-Request-Id (req.request_id).
HttpHeaders upstream_headers(const http::Request& req, const ForwardingPolicy& policy);

// The client's response from the upstream's reply: its status and body, its Content-Type as
// the response's, and its end-to-end headers except Content-Length (recomputed), Server and
// X-Request-Id (the gateway sets them), Access-Control-* (CORS is the gateway's) and headers
// its Connection header names.
http::Response client_response(HttpReply reply);

} // namespace parley::proxy
