#pragma once
// An http::Server on a free loopback port, running on its own thread (tests only).

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "transport/http/server.hpp"

namespace parley::proxy::testing {

class RunningServer {
 public:
  // Routes must be added to router() before start().
  http::Router& router() { return router_; }
  http::HttpMetrics& metrics() { return metrics_; }

  void start(http::ServerConfig config = {}, std::optional<http::Upgrade> upgrade = {}) {
    config.host = "127.0.0.1";
    config.port = 0;
    if (config.io_threads == 0) config.io_threads = 2;
    if (config.handler_threads == 0) config.handler_threads = 4;
    server_ = std::make_unique<http::Server>(config, router_, metrics_, std::move(upgrade));
    runner_ = std::thread([this] { server_->run(); });
    while (!server_->ready()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void stop() {
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
  }
  ~RunningServer() { stop(); }

  std::uint16_t port() const { return server_->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

 private:
  http::Router router_;
  http::HttpMetrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::thread runner_;
};

// Port 1: nothing listens there on a test machine.
inline std::string dead_url() { return "http://127.0.0.1:1"; }

} // namespace parley::proxy::testing
