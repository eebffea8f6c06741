#include "transport/proxy/ws_tunnel.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "core/log.hpp"
#include "transport/http/pipeline.hpp"
#include "transport/proxy/reverse_proxy.hpp"

namespace parley::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const Logger kLog{"ws-tunnel"};
constexpr std::uint32_t kMaxNodeAnswerBytes = 64 * 1024; // a refusal's body; a 101 has none

beast::http::response<beast::http::string_body> to_beast(http::Response res, unsigned version) {
  beast::http::response<beast::http::string_body> msg{static_cast<beast::http::status>(res.status), version};
  msg.set(beast::http::field::server, "parley");
  if (!res.content_type.empty()) msg.set(beast::http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) msg.insert(name, value);
  msg.body() = std::move(res.body);
  msg.keep_alive(false);
  msg.prepare_payload();
  return msg;
}

// The client's upgrade request as the node gets it: hop-by-hop fields dropped except the
// upgrade itself, the proxy's X-Forwarded-* and X-Request-Id set.
void prepare_for_node(http::Request& req, const ForwardingPolicy& policy) {
  const std::string xff = forwarded_for(req, policy.trust_forwarded);
  const std::string proto = forwarded_proto(req, policy.trust_forwarded);
  const std::string host = std::string(req.header("Host").value_or(""));
  std::vector<std::string> drop;
  for (const auto& field : req.message) {
    const std::string_view name = field.name_string();
    bool stripped = is_hop_by_hop(name);
    for (const auto& s : policy.strip_request_headers) stripped = stripped || beast::iequals(name, s);
    if (stripped) drop.emplace_back(name);
  }
  for (const auto& name : drop) req.message.erase(name);
  for (const auto* name : {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-Id"})
    req.message.erase(name);
  req.message.set(beast::http::field::connection, "Upgrade");
  req.message.set(beast::http::field::upgrade, "websocket");
  req.message.set("X-Forwarded-For", xff);
  req.message.set("X-Forwarded-Proto", proto);
  if (!host.empty()) req.message.set("X-Forwarded-Host", host);
  req.message.set("X-Request-Id", req.request_id);
}

} // namespace

class Tunnel;

struct WsTunnel::State {
  State(TunnelConfig c, std::vector<UpstreamAddress> instances, Admit a)
      : config(std::move(c)), nodes("ws", std::move(instances)), admit(std::move(a)) {}

  // Registers a new tunnel for close_all(), unless that already ran.
  void add(std::uint64_t id, const std::shared_ptr<Tunnel>& tunnel);
  void remove(std::uint64_t id);
  bool is_closing() const {
    std::lock_guard lock(mutex);
    return closing;
  }

  const TunnelConfig config;
  const Upstreams nodes;
  const Admit admit;
  std::atomic<std::uint64_t> next_id{0};
  mutable std::mutex mutex;
  bool closing = false;
  std::unordered_map<std::uint64_t, std::weak_ptr<Tunnel>> tunnels;
};

// One client connection and its node connection. Everything runs on the client connection's
// network thread (the node socket is created on its executor), so no member needs a lock.
class Tunnel : public std::enable_shared_from_this<Tunnel> {
 public:
  Tunnel(std::shared_ptr<WsTunnel::State> state, beast::tcp_stream client, std::shared_ptr<void> slot, std::uint64_t id)
      : state_(std::move(state)),
        client_(std::move(client)),
        node_(client_.get_executor()),
        linger_(client_.get_executor()),
        slot_(std::move(slot)),
        id_(id),
        started_(std::chrono::steady_clock::now()) {}
  ~Tunnel() {
    state_->remove(id_);
    if (opened_)
      kLog.info("tunnel closed",
                {{"req", request_id_},
                 {"conn", id_},
                 {"node", node_url_},
                 {"bytes_in", bytes_in_},
                 {"bytes_out", bytes_out_},
                 {"s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()}});
  }

  // Passes the handshake, then starts the two pumps. Parameters, not captures: they live in
  // the coroutine frame.
  static asio::awaitable<void> run(std::shared_ptr<Tunnel> self, http::BeastRequest request,
                                   asio::any_io_executor blocking);
  // Closes both sockets now; thread-safe, idempotent.
  void close() {
    asio::post(client_.get_executor(), [self = shared_from_this()] { self->close_sockets(); });
  }

 private:
  asio::awaitable<void> handshake(http::BeastRequest request, asio::any_io_executor blocking);
  asio::awaitable<bool> connect_node();
  asio::awaitable<void> refuse(http::Response res, unsigned version);
  asio::awaitable<void> pump(beast::tcp_stream& from, beast::tcp_stream& to, std::uint64_t& counter);
  void observe(unsigned status) const {
    if (!state_->config.metrics) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    state_->config.metrics->observe(state_->config.path, "GET", status, seconds);
  }
  void close_sockets() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    client_.socket().shutdown(tcp::socket::shutdown_both, ec);
    node_.socket().shutdown(tcp::socket::shutdown_both, ec);
    client_.close();
    node_.close();
    linger_.cancel();
  }

  std::shared_ptr<WsTunnel::State> state_;
  beast::tcp_stream client_;
  beast::tcp_stream node_;
  asio::steady_timer linger_;
  std::shared_ptr<void> slot_; // the server's connection slot, released with the tunnel
  std::uint64_t id_;
  std::chrono::steady_clock::time_point started_;
  std::string request_id_;
  std::string node_url_;
  bool opened_ = false;
  bool closed_ = false;
  int pumping_ = 0;
  std::uint64_t bytes_in_ = 0;  // client to node
  std::uint64_t bytes_out_ = 0; // node to client
};

void WsTunnel::State::add(std::uint64_t id, const std::shared_ptr<Tunnel>& tunnel) {
  std::lock_guard lock(mutex);
  if (!closing) tunnels.emplace(id, tunnel);
}

void WsTunnel::State::remove(std::uint64_t id) {
  std::lock_guard lock(mutex);
  tunnels.erase(id);
}

asio::awaitable<void> Tunnel::run(std::shared_ptr<Tunnel> self, http::BeastRequest request,
                                  asio::any_io_executor blocking) {
  co_await self->handshake(std::move(request), std::move(blocking));
  if (self->closed_ || !self->opened_) {
    self->close_sockets();
    co_return;
  }
  // Each pump holds the tunnel; it ends when both did and the linger timer let go.
  self->pumping_ = 2;
  const auto executor = self->client_.get_executor();
  asio::co_spawn(executor, self->pump(self->client_, self->node_, self->bytes_in_), [self](std::exception_ptr) {});
  asio::co_spawn(executor, self->pump(self->node_, self->client_, self->bytes_out_), [self](std::exception_ptr) {});
}

asio::awaitable<void> Tunnel::handshake(http::BeastRequest request, asio::any_io_executor blocking) {
  error_code ec;
  http::Request req{std::move(request), {}, {}, {}};
  const auto peer = client_.socket().remote_endpoint(ec);
  if (!ec) req.remote_ip = peer.address().to_string();
  req.request_id = http::request_id_for(req);
  request_id_ = req.request_id;
  const unsigned version = req.message.version();
  const auto& config = state_->config;

  if (state_->is_closing()) {
    http::Response res = http::error_response(Error::unavailable("shutting_down", "the gateway is shutting down"));
    co_await refuse(std::move(res), version);
    co_return;
  }
  if (state_->admit) {
    const auto& admit = state_->admit;
    std::optional<http::Response> refusal = co_await asio::co_spawn(
        blocking, [&]() -> asio::awaitable<std::optional<http::Response>> { co_return admit(req); },
        asio::use_awaitable);
    if (refusal) {
      http::Response res = std::move(*refusal); // named: GCC 12 may destroy temporaries of a co_await twice
      co_await refuse(std::move(res), version);
      co_return;
    }
  }
  if (closed_) co_return;
  if (!co_await connect_node()) {
    http::Response res = upstream_unavailable(state_->nodes.service());
    co_await refuse(std::move(res), version);
    co_return;
  }

  prepare_for_node(req, config.forwarding);
  node_.expires_after(config.handshake_timeout);
  co_await beast::http::async_write(node_, req.message, asio::redirect_error(asio::use_awaitable, ec));
  beast::flat_buffer from_node;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(kMaxNodeAnswerBytes);
  if (!ec) co_await beast::http::async_read(node_, from_node, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    kLog.warn("node failed the handshake", {{"req", request_id_}, {"node", node_url_}, {"error", ec.message()}});
    http::Response res = upstream_unavailable(state_->nodes.service());
    co_await refuse(std::move(res), version);
    co_return;
  }
  auto answer = parser.release();
  const unsigned status = answer.result_int();
  const bool switching = status == 101;
  if (!switching) answer.keep_alive(false); // a refused upgrade ends the connection
  observe(status);
  client_.expires_after(config.handshake_timeout);
  co_await beast::http::async_write(client_, answer, asio::redirect_error(asio::use_awaitable, ec));
  // What the node sent right after its answer (its first frames) goes before anything else.
  if (!ec && switching && from_node.size() > 0) {
    bytes_out_ += from_node.size();
    co_await asio::async_write(client_, from_node.data(), asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec || !switching || closed_) co_return;
  client_.expires_never(); // the node's pings keep the connection honest from here on
  node_.expires_never();
  opened_ = true;
  kLog.info("tunnel open", {{"req", request_id_}, {"conn", id_}, {"node", node_url_}, {"ip", req.remote_ip}});
}

// Connects to the next node that accepts a connection; false when none does.
asio::awaitable<bool> Tunnel::connect_node() {
  const auto& nodes = state_->nodes;
  const std::size_t first = nodes.first();
  tcp::resolver resolver(client_.get_executor());
  for (std::size_t attempt = 0; attempt < nodes.size() && !closed_; ++attempt) {
    const UpstreamAddress& node = nodes.at(first, attempt);
    error_code ec;
    const auto endpoints =
        co_await resolver.async_resolve(node.host, node.port, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !closed_) {
      node_.expires_after(state_->config.connect_timeout);
      co_await node_.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (closed_) co_return false;
    if (!ec) {
      node_url_ = node.base_url;
      co_return true;
    }
    kLog.warn(
        "node unreachable",
        {{"req", request_id_}, {"node", node.base_url}, {"error", ec.message()}, {"next", attempt + 1 < nodes.size()}});
    node_.close();
  }
  co_return false;
}

asio::awaitable<void> Tunnel::refuse(http::Response res, unsigned version) {
  observe(res.status);
  kLog.info("upgrade refused", {{"req", request_id_}, {"status", res.status}});
  auto msg = to_beast(std::move(res), version);
  error_code ec;
  client_.expires_after(state_->config.handshake_timeout);
  co_await beast::http::async_write(client_, msg, asio::redirect_error(asio::use_awaitable, ec));
  close_sockets();
}

// Copies `from` to `to` through one bounded buffer: nothing more is read until the last read
// was written, so a slow reader slows its writer down instead of growing a queue. At the
// client's end of stream the end is passed on to the node (half-close) and the node gets
// `linger` to finish; the node's end of stream and any error close both sockets at once.
asio::awaitable<void> Tunnel::pump(beast::tcp_stream& from, beast::tcp_stream& to, std::uint64_t& counter) {
  std::vector<char> buffer(state_->config.buffer_bytes);
  error_code ec;
  for (;;) {
    const std::size_t n =
        co_await from.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0) {
      error_code write_ec;
      co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                 asio::redirect_error(asio::use_awaitable, write_ec));
      counter += n;
      if (write_ec) {
        ec = write_ec;
        break;
      }
    }
    if (ec) break;
  }
  --pumping_;
  if (closed_) co_return;
  // The node ending ends the tunnel (it closes the TCP connection after the closing handshake, or
  // it went away); the client ending its half gives the node `linger` to answer.
  if (ec != asio::error::eof || &from == &node_ || pumping_ == 0) {
    close_sockets();
    co_return;
  }
  error_code ignored;
  to.socket().shutdown(tcp::socket::shutdown_send, ignored);
  linger_.expires_after(state_->config.linger);
  co_await linger_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  close_sockets();
}

WsTunnel::WsTunnel(TunnelConfig config, std::vector<UpstreamAddress> nodes, Admit admit)
    : state_(std::make_shared<State>(std::move(config), std::move(nodes), std::move(admit))) {}

WsTunnel::~WsTunnel() { close_all(); }

http::Upgrade WsTunnel::upgrade() {
  return {state_->config.path,
          [state = state_](beast::tcp_stream stream, http::BeastRequest request, asio::any_io_executor blocking,
                           std::shared_ptr<void> slot) {
            const auto executor = stream.get_executor();
            const auto id = ++state->next_id;
            auto tunnel = std::make_shared<Tunnel>(state, std::move(stream), std::move(slot), id);
            state->add(id, tunnel); // when shutting down, the handshake refuses it
            asio::co_spawn(executor, Tunnel::run(tunnel, std::move(request), std::move(blocking)), asio::detached);
          },
          [state = state_] {
            std::vector<std::shared_ptr<Tunnel>> live;
            {
              std::lock_guard lock(state->mutex);
              state->closing = true;
              for (auto& [id, weak] : state->tunnels)
                if (auto t = weak.lock()) live.push_back(std::move(t));
            }
            for (auto& t : live) t->close();
          }};
}

void WsTunnel::close_all() {
  const auto shutdown = upgrade().shutdown;
  shutdown();
}

std::size_t WsTunnel::open() const {
  std::lock_guard lock(state_->mutex);
  return state_->tunnels.size();
}

} // namespace parley::proxy
