#pragma once
// Carries WebSocket connections from the gateway to the WebSocket nodes without looking
// inside them: the client's upgrade request goes to a node (round robin; the next one when a
// node cannot be connected to), the node's answer comes back, and from then on bytes are
// copied both ways until either side ends. Frames, pings and close codes are the node's
// business; the gateway adds no latency beyond one copy and holds at most one buffer per
// direction per connection.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transport/http/metrics.hpp"
#include "transport/http/request.hpp"
#include "transport/http/response.hpp"
#include "transport/http/server.hpp"
#include "transport/proxy/forwarding.hpp"
#include "transport/proxy/upstreams.hpp"

namespace parley::proxy {

struct TunnelConfig {
  std::string path = "/ws";                        // the upgrade path the server hands over
  std::chrono::milliseconds connect_timeout{2000}; // per node
  std::chrono::seconds handshake_timeout{10};      // to pass the upgrade request and the node's answer
  std::size_t buffer_bytes = 16 * 1024;            // per direction and connection
  // After the client half-closed its sending direction, how long the node may still send.
  std::chrono::seconds linger{5};
  ForwardingPolicy forwarding;
  http::HttpMetrics* metrics = nullptr; // when set: each upgrade is observed as route `path`
};

class WsTunnel {
 public:
  // Decides on an upgrade before a node is picked; runs on the server's blocking pool. A
  // response refuses the upgrade with it (e.g. 401 for a missing token, 429).
  using Admit = std::function<std::optional<http::Response>(const http::Request&)>;

  // Throws std::invalid_argument when `nodes` is empty.
  WsTunnel(TunnelConfig config, std::vector<UpstreamAddress> nodes, Admit admit = {});
  // Closes every tunnel.
  ~WsTunnel();
  WsTunnel(const WsTunnel&) = delete;
  WsTunnel& operator=(const WsTunnel&) = delete;

  // The hook for http::Server. Each tunnel holds the server's connection slot until both of
  // its sockets are closed; `shutdown` closes every tunnel and refuses new ones (503).
  http::Upgrade upgrade();

  // Closes both sockets of every tunnel (clients reconnect, through another gateway when this
  // one stops) and refuses new ones. Thread-safe, idempotent.
  void close_all();
  // Tunnels not yet fully closed (including those still passing their handshake).
  std::size_t open() const;

  struct State; // shared with the tunnels, private to ws_tunnel.cpp

 private:
  std::shared_ptr<State> state_;
};

} // namespace parley::proxy
