#pragma once
// One client WebSocket connection: open() connects, upgrades and waits until the protocol
// says the session is established; read_loop() then keeps a read pending (which also
// answers the server's keep-alive pings) until the connection ends. Lives on one thread;
// only read_loop() writes once established (keep-alive answers, one at a time).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "loadgen/protocol.hpp"

namespace loadgen {

// Where to connect: the resolved address and the Host header to send.
struct Target {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host;
};

// Connecting from one source address, Linux hands out each ephemeral port once per
// destination and scans the even half of the range first: past ~14,000 connections to one
// server every connect() scans thousands of taken ports (__inet_hash_connect). Several
// source addresses (any 127.x.y.z works on loopback) each bring their own port space.
using Source = std::optional<boost::asio::ip::address>;

// Why an attempt or a connection ended, in words that aggregate well across thousands of
// connections: `phase` is connect, upgrade, opening or read; `reason` is e.g.
// "timed out", "HTTP 503", "closed 1012".
struct Failure {
  std::string phase;
  std::string reason;
  std::string key() const { return phase + ": " + reason; }
};

class WsSession {
 public:
  using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using OnFrame = std::function<void(std::string_view)>;

  WsSession(boost::asio::io_context& ctx, const Protocol& protocol);

  // Connects, upgrades and waits for establishment, all within `timeout`. Returns an empty
  // Failure (phase "") on success.
  boost::asio::awaitable<Failure> open(const Target& target, const Source& source, const Credential& who,
                                       std::chrono::milliseconds timeout);
  // Reads frames until the connection ends; `on_frame` sees each data frame and
  // `on_ping` each ping: a WebSocket ping (answered by Beast) or a protocol keep-alive
  // (answered here, see Protocol::keepalive_reply). Returns why it ended.
  boost::asio::awaitable<Failure> read_loop(const OnFrame& on_frame, std::function<void()> on_ping);
  // Sends one text frame. One write at a time (beside the pending read): the caller keeps
  // its writes in sequence. Returns an empty Failure on success.
  boost::asio::awaitable<Failure> write(std::string_view frame);
  // Closes the socket at once (no closing handshake); a pending read ends.
  void abort();

 private:
  const Protocol& protocol_;
  Stream ws_;
  boost::beast::flat_buffer buffer_;
};

} // namespace loadgen
