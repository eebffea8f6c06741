#include "loadgen/ws_session.hpp"

#include <netinet/in.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/error.hpp>

namespace loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

// Error text that aggregates: the generic message, or the close code the server sent.
std::string describe(const error_code& ec, const WsSession::Stream& ws) {
  if (ec == websocket::error::closed) {
    std::string text = "closed " + std::to_string(ws.reason().code);
    if (!ws.reason().reason.empty()) text += " " + std::string(ws.reason().reason.data(), ws.reason().reason.size());
    return text;
  }
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

using BindAddressNoPort = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

std::string_view view_of(const beast::flat_buffer& buffer) {
  const auto data = buffer.data();
  return {static_cast<const char*>(data.data()), data.size()};
}

} // namespace

WsSession::WsSession(asio::io_context& ctx, const Protocol& protocol) : protocol_(protocol), ws_(ctx) {}

asio::awaitable<Failure> WsSession::open(const Target& target, const Source& source, const Credential& who,
                                         std::chrono::milliseconds timeout) {
  error_code ec;
  auto& tcp = beast::get_lowest_layer(ws_);
  if (source) {
    // The port is still chosen at connect() time, per destination (IP_BIND_ADDRESS_NO_PORT).
    auto& socket = tcp.socket();
    if (!socket.open(target.endpoint.protocol(), ec) && !socket.set_option(BindAddressNoPort(true), ec))
      socket.bind(asio::ip::tcp::endpoint(*source, 0), ec);
    if (ec) co_return Failure{"bind", describe(ec, ws_)};
  }
  tcp.expires_after(timeout);
  co_await tcp.async_connect(target.endpoint, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Failure{"connect", describe(ec, ws_)};
  tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec); // as browsers do for WebSockets
  tcp.expires_never();                                        // from here on the WebSocket's own timeouts apply

  // The idle timeout bounds the wait for the opening frame; it is lifted once established.
  // No client pings: the server's pings are what an idle connection should cost.
  websocket::stream_base::timeout opt{timeout, timeout, false};
  ws_.set_option(opt);
  websocket::response_type res;
  co_await ws_.async_handshake(res, target.host, protocol_.upgrade_target(who),
                               asio::redirect_error(asio::use_awaitable, ec));
  if (ec == websocket::error::upgrade_declined)
    co_return Failure{"upgrade", "HTTP " + std::to_string(res.result_int())};
  if (ec) co_return Failure{"upgrade", describe(ec, ws_)};

  if (const auto frame = protocol_.opening_frame(who); !frame.empty()) {
    co_await ws_.async_write(asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Failure{"opening", describe(ec, ws_)};
  }
  for (;;) {
    co_await ws_.async_read(buffer_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Failure{"opening", describe(ec, ws_)};
    const auto outcome = protocol_.on_opening_frame(view_of(buffer_));
    buffer_.consume(buffer_.size());
    if (outcome.verdict == Protocol::Verdict::refused) co_return Failure{"opening", outcome.reason};
    if (outcome.verdict == Protocol::Verdict::established) break;
  }
  opt.idle_timeout = websocket::stream_base::none();
  ws_.set_option(opt);
  co_return Failure{};
}

asio::awaitable<Failure> WsSession::read_loop(const OnFrame& on_frame, std::function<void()> on_ping) {
  if (on_ping)
    ws_.control_callback([on_ping](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) on_ping();
    });
  for (;;) {
    error_code ec;
    co_await ws_.async_read(buffer_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Failure{"read", describe(ec, ws_)};
    const auto reply = protocol_.keepalive_reply(view_of(buffer_));
    if (!reply && on_frame) on_frame(view_of(buffer_));
    buffer_.consume(buffer_.size());
    if (reply) {
      if (on_ping) on_ping();
      co_await ws_.async_write(asio::buffer(*reply), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return Failure{"write", describe(ec, ws_)};
    }
  }
}

asio::awaitable<Failure> WsSession::write(std::string_view frame) {
  error_code ec;
  co_await ws_.async_write(asio::buffer(frame.data(), frame.size()), asio::redirect_error(asio::use_awaitable, ec));
  co_return ec ? Failure{"write", describe(ec, ws_)} : Failure{};
}

void WsSession::abort() {
  error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

} // namespace loadgen
