#pragma once
// The HTTP/1.1 server: N network threads, each running an io_context of its own, a
// coroutine per connection on one of them (round robin), keep-alive, size limits, read and idle deadlines, and a
// blocking pool on which handlers run (they hash passwords and call stores).
//
// Shutdown (stop(), SIGTERM, SIGINT): stop accepting, mark not ready, close idle
// connections, let in-flight requests finish (answered with `Connection: close`),
// and stop after the grace period at the latest.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <functional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "transport/http/metrics.hpp"
#include "transport/http/router.hpp"

namespace parley::http {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080; // 0: any free port (see Server::port())
  int io_threads = 0;        // 0: one per core
  int handler_threads = 0;   // 0: four per core
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_connections = 10000;
  std::chrono::seconds read_timeout{15}; // to receive a whole request once it started
  std::chrono::seconds idle_timeout{60}; // between requests on a kept-alive connection
  std::chrono::seconds shutdown_grace{10};
  std::vector<std::string> cors_origins;
  // The peer is a proxy of ours: Request::remote_ip is the last X-Forwarded-For entry.
  bool trust_forwarded = false;
  // Paths starting with one of these prefixes take bodies up to the given size instead
  // of max_body_bytes (uploads).
  std::vector<std::pair<std::string, std::size_t>> large_body_prefixes;
  // Set: every connection speaks TLS (HTTPS, WSS); see make_tls_context. Null: plain.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// A connection after its TLS handshake, as an upgrade hands it over.
using TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

// Takes over a connection whose request asked for a WebSocket upgrade on a path the
// handler claimed. `blocking` runs work that may block (stores), off the I/O threads.
struct Upgrade {
  std::string path; // e.g. "/ws"
  // `slot` counts the connection against max_connections (and keeps graceful shutdown
  // waiting for it) until the upgraded connection drops it.
  std::function<void(boost::beast::tcp_stream stream, BeastRequest request, boost::asio::any_io_executor blocking,
                     std::shared_ptr<void> slot)>
      accept;
  std::function<void()> shutdown; // close every upgraded connection (server stopping)
  // `accept` for a TLS connection (ServerConfig::tls); none: upgrades over TLS are not served.
  std::function<void(TlsStream stream, BeastRequest request, boost::asio::any_io_executor blocking,
                     std::shared_ptr<void> slot)>
      accept_tls;
};

class Server {
 public:
  // Binds the listening socket (throws std::system_error when it cannot).
  Server(ServerConfig config, const Router& router, HttpMetrics& metrics, std::optional<Upgrade> upgrade = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // Serves until stopped; returns after a graceful shutdown.
  void run();
  // Starts a graceful shutdown; safe from any thread, idempotent.
  void stop();
  // True from run() until shutdown begins (for /readyz).
  bool ready() const;

  class Core; // the implementation, private to server.cpp

 private:
  std::unique_ptr<Core> core_;
};

} // namespace parley::http
