#include "ceiling/session.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace ceiling {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

constexpr std::string_view kPrefix = "/ws?group=";
constexpr std::size_t kMaxBatchFrames = 64;
constexpr std::size_t kMaxBatchBytes = 32 * 1024;
constexpr char kSeparator = '\n';

Session::Session(asio::ip::tcp::socket socket, Groups& groups) : ws_(std::move(socket)), groups_(groups) {}

asio::awaitable<void> Session::run() {
  boost::system::error_code ec;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  co_await http::async_read(ws_.next_layer(), buffer, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  const std::string_view target(req.target().data(), req.target().size());
  if (!websocket::is_upgrade(req) || !target.starts_with(kPrefix) || target.size() == kPrefix.size()) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "ok\n";
    res.prepare_payload();
    res.keep_alive(false);
    co_await http::async_write(ws_.next_layer(), res, asio::redirect_error(asio::use_awaitable, ec));
    ws_.next_layer().close(ec);
    co_return;
  }
  const std::string group(target.substr(kPrefix.size()));
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(64 * 1024);
  co_await ws_.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  ws_.text(true);
  ws_.auto_fragment(false);
  send({std::make_shared<const std::string>(R"({"type":"hello"})")});
  groups_.join(group, shared_from_this());

  buffer.clear();
  for (;;) {
    co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    groups_.broadcast(group, std::make_shared<const std::string>(beast::buffers_to_string(buffer.data())),
                      ws_.get_executor());
    buffer.consume(buffer.size());
  }
  groups_.leave(group, this);
  open_ = false;
  queue_.clear();
}

void Session::send(std::vector<Frame> frames) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), frames = std::move(frames)]() mutable {
    if (!self->open_) return;
    self->queue_.insert(self->queue_.end(), std::make_move_iterator(frames.begin()),
                        std::make_move_iterator(frames.end()));
    if (!self->writing_) self->write_front();
  });
}

void Session::write_front() {
  writing_ = true;
  batch_.clear();
  std::size_t n = 0;
  do {
    if (n++) batch_ += kSeparator;
    batch_ += *queue_.front();
    queue_.pop_front();
  } while (!queue_.empty() && n < kMaxBatchFrames && batch_.size() + 1 + queue_.front()->size() <= kMaxBatchBytes);
  ws_.async_write(asio::buffer(std::as_const(batch_)),
                  [self = shared_from_this()](beast::error_code ec, std::size_t) { self->wrote(ec); });
}

void Session::wrote(beast::error_code ec) {
  writing_ = false;
  if (ec) {
    queue_.clear();
    return;
  }
  if (!queue_.empty()) write_front();
}

} // namespace ceiling
