#pragma once
// One WebSocket connection: a read loop that hands each text frame to a handler, and a
// bounded outbound queue with exactly one write in flight. With Framing::batched, each write
// carries every message queued when it starts (up to a bound), newline-separated in one text
// frame; otherwise each message is a frame of its own. A peer that does not keep up
// (queue full) is closed with kCloseSlowConsumer and recovers by catch-up; a dead peer is
// closed by the keep-alive pings.
//
// Most connections are idle most of the time, so an idle one holds little: the read buffer
// starts small and grows with a message, and the queue has no storage while it is empty.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/container/devector.hpp>

namespace parley::ws {

// Close codes (4000-4999 are the application's).
constexpr std::uint16_t kCloseServiceRestart = 1012;
constexpr std::uint16_t kCloseProtocolError = 4400;
constexpr std::uint16_t kCloseTokenExpired = 4401;
constexpr std::uint16_t kCloseSlowConsumer = 4408;
constexpr std::uint16_t kCloseRateLimited = 4429;

struct Limits {
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t max_queued_frames = 1024;
  std::chrono::seconds idle_timeout{30}; // a ping after half of it; closed when silent for all of it
};

using Frame = std::shared_ptr<const std::string>;

enum class Framing : std::uint8_t { one_per_frame, batched };

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // On a plain socket: the WebSocket layer's own timeouts and pings cover it (a beast::tcp_stream
  // would add three timers per connection). No permessage-deflate (docs/protocol.md).
  using Stream = boost::beast::websocket::stream<boost::asio::ip::tcp::socket, false>;
  // Called on the connection's strand for every text frame; must not block.
  using OnText = std::function<void(std::string&&)>;

  // `stream` has completed its handshake.
  Connection(Stream stream, Limits limits, std::uint64_t id, Framing framing);

  // Reads until the peer leaves or close() is called.
  boost::asio::awaitable<void> run(OnText on_text);
  // Queues a message (one JSON text); thread-safe. Closes the connection when the queue is full.
  void send(Frame frame);
  // Closes with `code` after the frames already queued; thread-safe, idempotent.
  void close(std::uint16_t code, std::string reason);

  boost::asio::any_io_executor executor() { return stream_.get_executor(); }
  std::uint64_t id() const { return id_; }

 private:
  boost::asio::awaitable<void> write_loop();

  Stream stream_;
  Limits limits_;
  std::uint64_t id_;
  Framing framing_;
  std::mutex mutex_; // guards the queue and the fields below
  // Unlike std::deque, allocates nothing while empty.
  boost::container::devector<Frame> queue_;
  bool writing_ = false;
  bool closing_ = false;
  std::uint16_t close_code_ = 1000;
  std::string close_reason_;
};

} // namespace parley::ws
