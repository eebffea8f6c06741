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
#include <span>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
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

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// A connection as the realtime service sees it, over a plain or a TLS socket.
//
// Why an interface over a class template (BasicConnection below) rather than a stream type
// that is either plain or TLS: such a type would hold, or point to, TLS state in every plain
// connection and branch on every read and write. With the template, a plain connection is the
// code it was, on a bare socket; what it costs more is a vtable pointer (8 bytes) and an
// indirect call per send. A TLS connection carries OpenSSL's state (its record buffers, about
// 34 KiB) and a beast::tcp_stream; only those who configure TLS pay for it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Called on the connection's network thread for every text frame; must not block.
  using OnText = std::function<void(std::string&&)>;

  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Reads until the peer leaves or close() is called.
  virtual boost::asio::awaitable<void> run(OnText on_text) = 0;
  // Queues messages (JSON texts), in order; thread-safe. Closes the connection when the queue
  // is full. Messages queued together go out together (in one frame when batched).
  virtual void send(std::span<const Frame> frames) = 0;
  void send(Frame frame) { send(std::span(&frame, 1)); }
  // Closes with `code` after the frames already queued; thread-safe, idempotent.
  virtual void close(std::uint16_t code, std::string reason) = 0;

  virtual boost::asio::any_io_executor executor() = 0;
  std::uint64_t id() const { return id_; }

 protected:
  explicit Connection(std::uint64_t id) : id_(id) {}

 private:
  std::uint64_t id_;
};

// The TLS stream a WebSocket runs on once the HTTP server has done the TLS handshake.
using TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

template <class NextLayer>
class BasicConnection final : public Connection {
 public:
  // On a plain socket: the WebSocket layer's own timeouts and pings cover it (a beast::tcp_stream
  // would add three timers per connection). No permessage-deflate (docs/protocol.md).
  using Stream = boost::beast::websocket::stream<NextLayer, false>;

  // `stream` has completed its handshake.
  BasicConnection(Stream stream, Limits limits, std::uint64_t id, Framing framing);

  boost::asio::awaitable<void> run(OnText on_text) override;
  using Connection::send;
  void send(std::span<const Frame> frames) override;
  void close(std::uint16_t code, std::string reason) override;
  boost::asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  // Writes what is queued, one write at a time, each completion starting the next, until the
  // queue is empty; on the connection's executor.
  void write_next();
  // Moves the next write's messages from the queue (not empty) into single_ or joined_;
  // under mutex_.
  void take_batch();
  void start_writing();

  Stream stream_;
  Limits limits_;
  Framing framing_;
  // The write in flight: one message, kept alive until written, or several joined into one
  // text (a copy: a frame in one contiguous buffer is one system call, where a gathered write
  // of many pieces takes one per 64). Only the writer touches them; the joined text's storage
  // is freed when the queue runs empty.
  Frame single_;
  std::string joined_;
  std::mutex mutex_; // guards the queue and the fields below
  // Unlike std::deque, allocates nothing while empty.
  boost::container::devector<Frame> queue_;
  bool writing_ = false;
  bool closing_ = false;
  std::uint16_t close_code_ = 1000;
  std::string close_reason_;
};

using PlainConnection = BasicConnection<boost::asio::ip::tcp::socket>;
using TlsConnection = BasicConnection<TlsStream>;
extern template class BasicConnection<boost::asio::ip::tcp::socket>;
extern template class BasicConnection<TlsStream>;

// Completes the WebSocket handshake of `request` on `stream` (a beast::tcp_stream or a
// TlsStream, whose HTTP deadlines end here) and returns the connection; null when the
// handshake failed.
template <class Stream>
boost::asio::awaitable<std::shared_ptr<Connection>> accept(Stream stream, const BeastRequest& request, Limits limits,
                                                           std::uint64_t id, Framing framing);

} // namespace parley::ws
