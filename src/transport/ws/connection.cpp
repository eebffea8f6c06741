#include "transport/ws/connection.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace parley::ws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr std::size_t kInitialReadBytes = 256; // most client frames fit
// What one write may carry: the messages queued when it starts, up to these bounds, so a
// busy connection costs one frame and one system call per batch instead of per message.
constexpr std::size_t kMaxBatchMessages = 64;
constexpr std::size_t kMaxBatchBytes = 32 * 1024;
constexpr char kSeparator = '\n'; // never inside a JSON text, which escapes control characters

template <class NextLayer>
BasicConnection<NextLayer>::BasicConnection(Stream stream, Limits limits, std::uint64_t id, Framing framing)
    : Connection(id), stream_(std::move(stream)), limits_(limits), framing_(framing) {
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = std::chrono::seconds(10);
  timeout.idle_timeout = limits_.idle_timeout;
  timeout.keep_alive_pings = true;
  stream_.set_option(timeout);
  stream_.read_message_max(limits_.max_frame_bytes);
  stream_.text(true);
  stream_.auto_fragment(false); // a batch goes out as one frame, in one gathered write
}

template <class NextLayer>
asio::awaitable<void> BasicConnection<NextLayer>::run(OnText on_text) {
  auto self = shared_from_this();
  beast::flat_buffer buffer;
  for (;;) {
    // A message is read in pieces that double in size, starting small: the read pending on an
    // idle connection holds only kInitialReadBytes.
    const auto limit = std::max(kInitialReadBytes, buffer.size());
    boost::system::error_code ec;
    co_await stream_.async_read_some(buffer, limit, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == websocket::error::message_too_big) {
      close(kCloseProtocolError, "frame too large");
      break;
    }
    if (ec) break;
    if (!stream_.is_message_done()) continue;
    if (!stream_.got_text()) {
      close(kCloseProtocolError, "text frames only");
      break;
    }
    on_text(beast::buffers_to_string(buffer.data()));
    buffer.consume(buffer.size());
    if (buffer.capacity() > kInitialReadBytes) buffer.shrink_to_fit(); // a big message's buffer is not kept
  }
  // Nothing else may be sent now.
  std::lock_guard lock(mutex_);
  closing_ = true;
  queue_.clear();
}

template <class NextLayer>
void BasicConnection<NextLayer>::send(std::span<const Frame> frames) {
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    if (closing_ || frames.empty()) return;
    if (queue_.size() + frames.size() > limits_.max_queued_frames) {
      // The peer reads slower than we produce: bounded memory wins; it catches up by sync.
      closing_ = true;
      close_code_ = kCloseSlowConsumer;
      close_reason_ = "slow consumer";
      queue_.clear();
    } else {
      queue_.insert(queue_.end(), frames.begin(), frames.end());
    }
    start = !writing_;
    writing_ = true;
  }
  if (start) start_writing();
}

template <class NextLayer>
void BasicConnection<NextLayer>::close(std::uint16_t code, std::string reason) {
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    start = !writing_;
    writing_ = true;
  }
  if (start) start_writing();
}

// Posted, not run here: whoever queued may be about to queue more (the rest of a batch of
// events, the other frames of a handler), and the first write then carries it all.
template <class NextLayer>
void BasicConnection<NextLayer>::start_writing() {
  asio::post(stream_.get_executor(),
             [self = std::static_pointer_cast<BasicConnection>(shared_from_this())] { self->write_next(); });
}

template <class NextLayer>
void BasicConnection<NextLayer>::write_next() {
  auto self = std::static_pointer_cast<BasicConnection>(shared_from_this());
  single_.reset();
  joined_.clear();
  std::optional<websocket::close_reason> drained; // closing, and nothing left to send
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      // Idle again: what only a busy connection needs is freed until the next burst.
      queue_ = {};
      joined_ = {};
      if (!closing_) {
        writing_ = false;
        return;
      }
      drained.emplace(static_cast<websocket::close_code>(close_code_), close_reason_);
    } else {
      take_batch();
    }
  }
  if (drained) {
    stream_.async_close(*drained, [self](boost::system::error_code ec) {
      if (ec) beast::get_lowest_layer(self->stream_).close();
    });
    return;
  }
  const asio::const_buffer text = single_ ? asio::buffer(*single_) : asio::buffer(std::as_const(joined_));
  stream_.async_write(text, [self](boost::system::error_code ec, std::size_t) {
    if (!ec) return self->write_next();
    std::lock_guard lock(self->mutex_);
    self->closing_ = true;
    self->queue_.clear();
    self->writing_ = false;
  });
}

template <class NextLayer>
void BasicConnection<NextLayer>::take_batch() {
  single_ = std::move(queue_.front());
  queue_.pop_front();
  if (framing_ == Framing::batched && !queue_.empty()) {
    joined_ = *std::exchange(single_, nullptr);
    for (std::size_t n = 1;
         !queue_.empty() && n < kMaxBatchMessages && joined_.size() + 1 + queue_.front()->size() <= kMaxBatchBytes;
         ++n) {
      joined_ += kSeparator;
      joined_ += *queue_.front();
      queue_.pop_front();
    }
  }
}

template class BasicConnection<asio::ip::tcp::socket>;
template class BasicConnection<TlsStream>;

template <class Stream>
asio::awaitable<std::shared_ptr<Connection>> accept(Stream stream, const BeastRequest& request, Limits limits,
                                                    std::uint64_t id, Framing framing) {
  boost::system::error_code ec;
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    // The WebSocket layer's own timeouts take over from the HTTP read deadline.
    typename PlainConnection::Stream ws(stream.release_socket());
    co_await ws.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return nullptr;
    co_return std::make_shared<PlainConnection>(std::move(ws), limits, id, framing);
  } else {
    beast::get_lowest_layer(stream).expires_never(); // likewise
    typename TlsConnection::Stream ws(std::move(stream));
    co_await ws.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return nullptr;
    co_return std::make_shared<TlsConnection>(std::move(ws), limits, id, framing);
  }
}

template asio::awaitable<std::shared_ptr<Connection>> accept(beast::tcp_stream, const BeastRequest&, Limits,
                                                             std::uint64_t, Framing);
template asio::awaitable<std::shared_ptr<Connection>> accept(TlsStream, const BeastRequest&, Limits, std::uint64_t,
                                                             Framing);

} // namespace parley::ws
