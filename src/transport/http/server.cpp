#include "transport/http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "core/log.hpp"
#include "transport/http/pipeline.hpp"

namespace parley::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const Logger kLog{"http"};
constexpr std::size_t kMaxLingerBytes = 1 << 20;

int default_threads(int configured, int per_core) {
  if (configured > 0) return configured;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) * per_core);
}

} // namespace

// What the server keeps of a session it may have to close at shutdown.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Shutdown: a connection waiting for its next request is closed now; one in the
  // middle of a request finishes it first.
  virtual void close_if_idle() = 0;
  // Starts serving (once, after it was registered).
  virtual void spawn() = 0;
};

class Server::Core {
 public:
  Core(ServerConfig config, const Router& router, HttpMetrics& metrics, std::optional<Upgrade> upgrade)
      : config_(std::move(config)),
        upgrade_(std::move(upgrade)),
        metrics_(metrics),
        pipeline_(router, metrics, config_.cors_origins),
        pool_(static_cast<std::size_t>(default_threads(config_.handler_threads, 4))),
        acceptor_(ioc_),
        signals_(ioc_, SIGINT, SIGTERM) {
    for (int i = 1; i < default_threads(config_.io_threads, 1); ++i) {
      workers_.push_back(std::make_unique<asio::io_context>(1));
      keep_running_.push_back(asio::make_work_guard(*workers_.back()));
    }
    const tcp::endpoint endpoint(asio::ip::make_address(config_.host), config_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  void run();
  void stop();
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> drain();
  void remove(std::uint64_t id);
  // The connection `id` no longer has an HTTP session; it stays open until its slot goes.
  void upgraded(std::uint64_t id);

  ServerConfig config_;
  std::optional<Upgrade> upgrade_;
  HttpMetrics& metrics_;
  Pipeline pipeline_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopping_{false};
  // Declared before ioc_, so destroyed after it: connections still held by its pending
  // handlers unregister themselves when those are destroyed.
  std::mutex sessions_mutex_;
  // Every open connection: its HTTP session, or none once upgraded.
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions_;
  std::uint64_t next_session_id_ = 0;
  asio::thread_pool pool_;
  // One io_context per network thread, each run by its thread alone: a connection lives on
  // one of them (round robin at accept), so threads share no scheduler queue and a busy
  // fan-out spreads its writes over every thread (one shared io_context left one thread
  // sending nearly everything). ioc_ also runs the acceptor, the signals and the shutdown.
  // The others are declared first, so destroyed last: a pending accept on ioc_ holds a
  // socket of one of them.
  std::vector<std::unique_ptr<asio::io_context>> workers_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running_;
  asio::io_context ioc_;
  std::size_t next_context_ = 0; // on the acceptor's coroutine only
  tcp::acceptor acceptor_;
  asio::signal_set signals_;

  // The context the next connection lives on.
  asio::io_context& next_context() {
    const auto i = next_context_++ % (workers_.size() + 1);
    return i == 0 ? ioc_ : *workers_[i - 1];
  }
};

// Counts one connection as open (max_connections, the metrics, graceful shutdown) for as long
// as it lives: held by the connection's HTTP session, then by what took over at an upgrade.
class ConnectionSlot {
 public:
  ConnectionSlot(Server::Core& core, std::uint64_t id) : core_(core), id_(id) { core_.metrics_.connection_opened(); }
  ~ConnectionSlot() {
    core_.metrics_.connection_closed();
    core_.remove(id_);
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  Server::Core& core_;
  std::uint64_t id_;
};

// One connection: reads requests, runs each through the pipeline on the blocking
// pool, writes the response; everything else happens on the connection's network thread.
// `Stream` is a beast::tcp_stream, or a TlsStream over one (ServerConfig::tls): a template
// rather than a stream that may be either, so that plain connections run the code they
// always ran and hold no TLS state.
template <class Stream>
class HttpSession final : public SessionBase, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  HttpSession(Stream stream, Server::Core& core, std::uint64_t id)
      : stream_(std::move(stream)), core_(core), id_(id), slot_(std::make_shared<ConnectionSlot>(core, id)) {
    error_code ec;
    const auto peer = lowest().socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = peer.address().to_string();
  }

  asio::awaitable<void> run();

  void spawn() override {
    asio::co_spawn(
        stream_.get_executor(), [self = this->shared_from_this()]() -> asio::awaitable<void> { co_await self->run(); },
        asio::detached);
  }

  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->lowest().cancel();
    });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  asio::awaitable<bool> handshake();
  asio::awaitable<bool> wait_for_request();
  asio::awaitable<bool> write(Response res, unsigned version, bool keep_alive);
  asio::awaitable<void> linger();
  std::size_t largest_body_limit() const;
  std::size_t body_limit(std::string_view target) const;
  Response refusal(const error_code& ec, std::size_t limit) const;

  Stream stream_;
  beast::flat_buffer buffer_;
  Server::Core& core_;
  std::uint64_t id_;
  std::shared_ptr<ConnectionSlot> slot_;
  std::string remote_ip_;
  bool idle_ = false;
};

// TLS: reads the first bytes in the clear; a TLS handshake goes on with them, anything else
// (plain HTTP to the HTTPS port) is answered with a plain 400 that says so, then closed.
template <class Stream>
asio::awaitable<bool> HttpSession<Stream>::handshake() {
  if constexpr (kTls) {
    lowest().expires_after(core_.config_.read_timeout);
    error_code ec;
    const std::size_t n =
        co_await lowest().async_read_some(buffer_.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    buffer_.commit(n);
    constexpr unsigned char kHandshakeRecord = 0x16;
    if (static_cast<unsigned char>(*static_cast<const char*>(buffer_.data().data())) != kHandshakeRecord) {
      static constexpr std::string_view kRefusal =
          "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 42\r\nConnection: close\r\n\r\n"
          "This port speaks HTTPS: use https:// here\n";
      co_await asio::async_write(lowest(), asio::buffer(kRefusal), asio::redirect_error(asio::use_awaitable, ec));
      co_await linger();
      co_return false;
    }
    const std::size_t used = co_await stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                                                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    buffer_.consume(used);
  }
  co_return true;
}

template <class Stream>
asio::awaitable<bool> HttpSession<Stream>::wait_for_request() {
  if (buffer_.size() > 0) co_return true; // pipelined bytes already here
  if (core_.stopping_) co_return false;
  idle_ = true;
  lowest().expires_after(core_.config_.idle_timeout);
  error_code ec;
  const std::size_t n =
      co_await stream_.async_read_some(buffer_.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
  idle_ = false;
  if (ec) co_return false;
  buffer_.commit(n);
  co_return true;
}

// After refusing a request whose body is still arriving: stop sending, then read and drop
// what the client still sends (bounded), so that closing does not reset the connection
// before the client has read the refusal.
// (TLS: the bytes are dropped undecrypted.)
template <class Stream>
asio::awaitable<void> HttpSession<Stream>::linger() {
  error_code ec;
  lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
  lowest().expires_after(std::chrono::seconds(2));
  std::array<char, 4096> sink;
  for (std::size_t drained = 0; !ec && drained < kMaxLingerBytes;)
    drained += co_await lowest().async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
}

template <class Stream>
std::size_t HttpSession<Stream>::largest_body_limit() const {
  std::size_t largest = core_.config_.max_body_bytes;
  for (const auto& [prefix, limit] : core_.config_.large_body_prefixes) largest = std::max(largest, limit);
  return largest;
}

template <class Stream>
std::size_t HttpSession<Stream>::body_limit(std::string_view target) const {
  for (const auto& [prefix, limit] : core_.config_.large_body_prefixes)
    if (target.starts_with(prefix)) return limit;
  return core_.config_.max_body_bytes;
}

template <class Stream>
Response HttpSession<Stream>::refusal(const error_code& ec, std::size_t limit) const {
  if (ec == beast::http::error::body_limit)
    return error_response(
        Error::too_large("payload_too_large", "request body exceeds " + std::to_string(limit) + " bytes"));
  if (ec == beast::http::error::header_limit) {
    Response res = error_response(Error::invalid("headers_too_large", "request headers are too large"));
    res.status = 431;
    return res;
  }
  return error_response(Error::invalid("bad_request", "malformed HTTP request"));
}

template <class Stream>
asio::awaitable<void> HttpSession<Stream>::run() {
  for (bool open = co_await handshake(); open;) {
    if (!co_await wait_for_request()) break;
    beast::http::request_parser<beast::http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(core_.config_.max_header_bytes));
    lowest().expires_after(core_.config_.read_timeout);
    error_code ec;
    // The limit depends on the path: admit the largest while reading the header, then
    // apply the path's own (to the announced length, and to a chunked body as it comes).
    parser.body_limit(largest_body_limit());
    co_await beast::http::async_read_header(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    const auto limit = body_limit(parser.get().target());
    parser.body_limit(limit);
    if (!ec && parser.content_length() && *parser.content_length() > limit) ec = beast::http::error::body_limit;
    if (!ec && !parser.is_done())
      co_await beast::http::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec == asio::ssl::error::stream_truncated)
      break;
    if (ec) {                            // malformed or over a limit: answer, then close (the stream is out of sync)
      Response res = refusal(ec, limit); // named: GCC 12 may destroy temporaries of a co_await twice
      co_await write(std::move(res), 11, false);
      co_await linger();
      break;
    }
    if (core_.upgrade_ && (kTls ? bool(core_.upgrade_->accept_tls) : bool(core_.upgrade_->accept)) &&
        beast::websocket::is_upgrade(parser.get()) &&
        parser.get().target().substr(0, parser.get().target().find('?')) == core_.upgrade_->path) {
      // The WebSocket layer owns the connection from here on. This session (its buffer, its
      // stream's timers) ends now; the slot goes with the connection.
      core_.upgraded(id_);
      if constexpr (kTls)
        core_.upgrade_->accept_tls(std::move(stream_), parser.release(), core_.pool_.get_executor(), std::move(slot_));
      else
        core_.upgrade_->accept(std::move(stream_), parser.release(), core_.pool_.get_executor(), std::move(slot_));
      co_return;
    }
    Request req{parser.release(), {}, remote_ip_, {}};
    if (core_.config_.trust_forwarded) req.remote_ip = client_ip(req, true);
    const unsigned version = req.message.version();
    const bool keep_alive = req.message.keep_alive();
    Response res = co_await asio::co_spawn(
        core_.pool_.get_executor(), [&]() -> asio::awaitable<Response> { co_return core_.pipeline_.handle(req); },
        asio::use_awaitable);
    if (!co_await write(std::move(res), version, keep_alive && !core_.stopping_)) break;
  }
  error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  lowest().close();
}

template <class Stream>
asio::awaitable<bool> HttpSession<Stream>::write(Response res, unsigned version, bool keep_alive) {
  beast::http::response<beast::http::string_body> msg{static_cast<beast::http::status>(res.status), version};
  msg.set(beast::http::field::server, "parley");
  if (!res.content_type.empty() && (!res.body.empty() || res.status != 204))
    msg.set(beast::http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) msg.insert(name, value);
  msg.body() = std::move(res.body);
  msg.keep_alive(keep_alive);
  msg.prepare_payload();
  lowest().expires_after(core_.config_.read_timeout);
  error_code ec;
  co_await beast::http::async_write(stream_, msg, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && keep_alive;
}

asio::awaitable<void> Server::Core::accept_loop() {
  for (;;) {
    error_code ec;
    // On its context's executor, no strand: that context's one thread runs the connection's
    // every handler, in order, with no lock to take.
    tcp::socket socket = co_await acceptor_.async_accept(next_context(), asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    if (ec) {
      // Out of descriptors or a transient failure: back off instead of spinning.
      kLog.warn("accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(ioc_, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    // Small frames and answers leave at once instead of waiting for the peer's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    std::shared_ptr<SessionBase> session;
    {
      std::lock_guard lock(sessions_mutex_);
      if (sessions_.size() >= config_.max_connections) {
        socket.close(ec); // over the limit: refuse this one, keep serving the others
        continue;
      }
      const auto id = ++next_session_id_;
      if (config_.tls)
        session = std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *config_.tls), *this, id);
      else
        session = std::make_shared<HttpSession<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this, id);
      sessions_.emplace(id, session);
    }
    session->spawn();
  }
}

void Server::Core::remove(std::uint64_t id) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(id);
}

void Server::Core::upgraded(std::uint64_t id) {
  std::lock_guard lock(sessions_mutex_);
  // A weak_ptr would keep the session's memory allocated (make_shared) as long as the connection.
  if (const auto it = sessions_.find(id); it != sessions_.end()) it->second.reset();
}

void Server::Core::stop() {
  if (stopping_.exchange(true)) return;
  ready_ = false;
  asio::co_spawn(ioc_, drain(), asio::detached);
}

asio::awaitable<void> Server::Core::drain() {
  kLog.info("shutting down", {{"grace_s", static_cast<std::int64_t>(config_.shutdown_grace.count())}});
  error_code ec;
  acceptor_.close(ec);
  signals_.cancel(ec);
  if (upgrade_ && upgrade_->shutdown) upgrade_->shutdown();
  const auto deadline = std::chrono::steady_clock::now() + config_.shutdown_grace;
  asio::steady_timer tick(ioc_);
  for (;;) {
    std::vector<std::shared_ptr<SessionBase>> live; // upgraded connections have none
    std::size_t open = 0;
    {
      std::lock_guard lock(sessions_mutex_);
      open = sessions_.size();
      for (auto& [id, weak] : sessions_)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    if (open == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (open > 0) kLog.warn("grace period over", {{"open_connections", open}});
      break;
    }
    for (auto& s : live) s->close_if_idle();
    live.clear();
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  keep_running_.clear();
  for (auto& worker : workers_) worker->stop();
  ioc_.stop();
}

void Server::Core::run() {
  signals_.async_wait([this](const error_code& ec, int signal) {
    if (ec) return;
    kLog.info("signal received", {{"signal", signal}});
    stop();
  });
  asio::co_spawn(ioc_, accept_loop(), asio::detached);
  ready_ = !stopping_;
  kLog.info("listening", {{"host", config_.host}, {"port", acceptor_.local_endpoint().port()}});
  std::vector<std::thread> threads;
  for (auto& worker : workers_) threads.emplace_back([&worker] { worker->run(); });
  ioc_.run();
  for (auto& t : threads) t.join();
  pool_.join();
  kLog.info("stopped");
}

Server::Server(ServerConfig config, const Router& router, HttpMetrics& metrics, std::optional<Upgrade> upgrade)
    : core_(std::make_unique<Core>(std::move(config), router, metrics, std::move(upgrade))) {}
Server::~Server() = default;
std::uint16_t Server::port() const { return core_->acceptor_.local_endpoint().port(); }
void Server::run() { core_->run(); }
void Server::stop() { core_->stop(); }
bool Server::ready() const { return core_->ready_; }

} // namespace parley::http
