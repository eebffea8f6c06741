// The WebSocket tunnel between a real gateway server, a small Beast WebSocket echo node and a
// Beast WebSocket client, on port 0.
#include "transport/proxy/ws_tunnel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "transport/proxy/test_server.hpp"

namespace parley::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using testing::dead_url;
using testing::RunningServer;
using namespace std::chrono_literals;

// A WebSocket node: sends "hello" right after the upgrade, then echoes every message.
// "close-me" makes it close with 4401, "drop" makes it drop the TCP connection; a target with
// "refuse" is answered 401 without an upgrade. It records what it saw.
class EchoNode {
 public:
  EchoNode() : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accepting_ = std::thread([this] { accept_loop(); });
  }
  ~EchoNode() {
    stopping_ = true;
    error_code ec;
    tcp::socket wake(ioc_);
    wake.connect(acceptor_.local_endpoint(), ec); // unblocks accept()
    accepting_.join();
    for (auto& t : sessions_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

  // Waits until the node saw a close frame or lost a connection `n` times in all.
  bool wait_for_ends(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return ends_ >= n; });
  }
  std::vector<beast::http::request<beast::http::string_body>> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<websocket::close_reason> close_frames() {
    std::lock_guard lock(mutex_);
    return close_frames_;
  }
  int connections() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(requests_.size());
  }

 private:
  void accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (stopping_) return;
      if (ec) continue;
      sessions_.emplace_back([this, s = std::move(socket)]() mutable { session(std::move(s)); });
    }
  }
  void ended(const websocket::close_reason* reason) {
    std::lock_guard lock(mutex_);
    if (reason) close_frames_.push_back(*reason);
    ++ends_;
    changed_.notify_all();
  }
  void session(tcp::socket socket) {
    error_code ec;
    beast::flat_buffer buffer;
    beast::http::request<beast::http::string_body> req;
    beast::http::read(socket, buffer, req, ec);
    if (ec) return ended(nullptr);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(req);
    }
    if (req.target().find("refuse") != std::string_view::npos) {
      beast::http::response<beast::http::string_body> res{beast::http::status::unauthorized, 11};
      res.set(beast::http::field::content_type, "application/json");
      res.body() = R"({"error":{"code":"invalid_token","message":"no"}})";
      res.prepare_payload();
      beast::http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      return ended(nullptr);
    }
    websocket::stream<tcp::socket> ws(std::move(socket));
    ws.accept(req, ec);
    if (ec) return ended(nullptr);
    ws.text(true);
    ws.write(asio::buffer(std::string("hello")), ec);
    for (;;) {
      beast::flat_buffer message;
      ws.read(message, ec);
      if (ec == websocket::error::closed) return ended(&ws.reason());
      if (ec) return ended(nullptr);
      const std::string text = beast::buffers_to_string(message.data());
      if (text == "close-me") {
        ws.close(websocket::close_reason(static_cast<websocket::close_code>(4401), "bye"), ec);
        for (beast::flat_buffer rest; !ec;) ws.read(rest, ec); // until the client's close frame
        return ended(&ws.reason());
      }
      if (text == "drop") {
        ws.next_layer().close(ec);
        return ended(nullptr);
      }
      ws.binary(ws.got_binary());
      ws.write(message.data(), ec);
      if (ec) return ended(nullptr);
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread accepting_;
  std::vector<std::thread> sessions_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<beast::http::request<beast::http::string_body>> requests_;
  std::vector<websocket::close_reason> close_frames_;
  int ends_ = 0;
};

// A WebSocket client whose every operation gives up after five seconds.
class Client {
 public:
  explicit Client(std::uint16_t port) : ws_(ioc_) {
    error_code ec;
    beast::get_lowest_layer(ws_).socket().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  }
  error_code handshake(const std::string& target, std::string forwarded_for = {}) {
    if (!forwarded_for.empty())
      ws_.set_option(websocket::stream_base::decorator(
          [forwarded_for](websocket::request_type& req) { req.set("X-Forwarded-For", forwarded_for); }));
    return wait([&](auto done) { ws_.async_handshake(response_, "127.0.0.1", target, done); });
  }
  error_code send(const std::string& text, bool binary = false) {
    ws_.binary(binary);
    return wait([&](auto done) { ws_.async_write(asio::buffer(text), done); });
  }
  // The next message, or "" with the error.
  std::string receive(error_code& ec) {
    beast::flat_buffer buffer;
    ec = wait([&](auto done) { ws_.async_read(buffer, done); });
    return ec ? std::string() : beast::buffers_to_string(buffer.data());
  }
  std::string receive() {
    error_code ec;
    auto text = receive(ec);
    EXPECT_FALSE(ec) << ec.message();
    return text;
  }
  error_code close(websocket::close_code code) {
    return wait([&](auto done) { ws_.async_close(code, done); });
  }
  void shutdown_send() {
    error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  const websocket::close_reason& reason() const { return ws_.reason(); }
  const websocket::response_type& response() const { return response_; }

 private:
  template <class Start>
  error_code wait(Start start) {
    std::optional<error_code> result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run_for(5s);
    if (!result) {
      beast::get_lowest_layer(ws_).close();
      ioc_.restart();
      ioc_.run_for(1s);
      return asio::error::timed_out;
    }
    return *result;
  }

  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  websocket::response_type response_;
};

// A raw HTTP exchange, for answers that are not upgrades.
beast::http::response<beast::http::string_body> raw_upgrade(std::uint16_t port, const std::string& target) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  beast::http::request<beast::http::string_body> req{beast::http::verb::get, target, 11};
  req.set(beast::http::field::host, "127.0.0.1");
  req.set(beast::http::field::connection, "Upgrade");
  req.set(beast::http::field::upgrade, "websocket");
  req.set(beast::http::field::sec_websocket_version, "13");
  req.set(beast::http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  beast::http::write(s, req);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(s, buffer, res);
  return res;
}

class WsTunnelTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> nodes, WsTunnel::Admit admit = {}, std::size_t max_connections = 100) {
    std::string list;
    for (const auto& n : nodes) list += (list.empty() ? "" : ",") + n;
    TunnelConfig config;
    config.buffer_bytes = 4096; // smaller than the large frames below: they cross in pieces
    config.metrics = &gateway_.metrics();
    tunnel_ = std::make_unique<WsTunnel>(config, *parse_upstream_list(list), std::move(admit));
    http::ServerConfig server;
    server.max_connections = max_connections;
    server.shutdown_grace = std::chrono::seconds(5);
    gateway_.start(server, tunnel_->upgrade());
  }
  void TearDown() override { gateway_.stop(); }
  bool wait_until_closed() {
    for (int i = 0; i < 500; ++i) {
      if (tunnel_->open() == 0) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::unique_ptr<WsTunnel> tunnel_;
  RunningServer gateway_;
};

TEST_F(WsTunnelTest, FramesCrossBothWays) {
  EchoNode node;
  start({node.url()});
  Client client(gateway_.port());
  ASSERT_FALSE(client.handshake("/ws?access_token=abc&x=1", "198.51.100.1"));
  EXPECT_EQ(client.response().result_int(), 101u);
  EXPECT_EQ(client.receive(), "hello"); // sent by the node right after its 101
  for (const std::string& text : std::vector<std::string>{"one", "two", std::string(100000, 'x')}) {
    ASSERT_FALSE(client.send(text));
    EXPECT_EQ(client.receive(), text);
  }
  std::string binary(300000, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i % 256);
  ASSERT_FALSE(client.send(binary, true));
  EXPECT_TRUE(client.receive() == binary);
  EXPECT_EQ(tunnel_->open(), 1u);

  const auto requests = node.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& seen = requests[0];
  EXPECT_EQ(seen.target(), "/ws?access_token=abc&x=1");
  EXPECT_EQ(seen["X-Forwarded-For"], "127.0.0.1"); // the client's own claim is not trusted
  EXPECT_EQ(seen["X-Forwarded-Proto"], "http");
  EXPECT_FALSE(seen["X-Request-Id"].empty());
  EXPECT_EQ(seen[beast::http::field::upgrade], "websocket");
}

TEST_F(WsTunnelTest, TheClientsCloseReachesTheNodeAndBack) {
  EchoNode node;
  start({node.url()});
  Client client(gateway_.port());
  ASSERT_FALSE(client.handshake("/ws"));
  EXPECT_EQ(client.receive(), "hello");
  EXPECT_FALSE(client.close(websocket::close_code::going_away));
  ASSERT_TRUE(node.wait_for_ends(1));
  ASSERT_EQ(node.close_frames().size(), 1u);
  EXPECT_EQ(node.close_frames()[0].code, websocket::close_code::going_away);
  EXPECT_TRUE(wait_until_closed());
}

TEST_F(WsTunnelTest, TheNodesCloseReachesTheClient) {
  EchoNode node;
  start({node.url()});
  Client client(gateway_.port());
  ASSERT_FALSE(client.handshake("/ws"));
  EXPECT_EQ(client.receive(), "hello");
  ASSERT_FALSE(client.send("close-me"));
  error_code ec;
  client.receive(ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client.reason().code, 4401);
  EXPECT_EQ(client.reason().reason, "bye");
  EXPECT_TRUE(wait_until_closed());
}

TEST_F(WsTunnelTest, ANodeThatDropsTheConnectionDropsTheClient) {
  EchoNode node;
  start({node.url()});
  Client client(gateway_.port());
  ASSERT_FALSE(client.handshake("/ws"));
  EXPECT_EQ(client.receive(), "hello");
  ASSERT_FALSE(client.send("drop"));
  error_code ec;
  client.receive(ec);
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, asio::error::timed_out);
  EXPECT_TRUE(wait_until_closed());
}

TEST_F(WsTunnelTest, AClientsHalfCloseLetsTheNodeFinish) {
  EchoNode node;
  start({node.url()});
  Client client(gateway_.port());
  ASSERT_FALSE(client.handshake("/ws"));
  EXPECT_EQ(client.receive(), "hello");
  ASSERT_FALSE(client.send("last words"));
  client.shutdown_send();
  EXPECT_EQ(client.receive(), "last words"); // the node's answer still arrives
  error_code ec;
  client.receive(ec);
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, asio::error::timed_out);
  EXPECT_TRUE(wait_until_closed());
}

TEST_F(WsTunnelTest, ANodesRefusalIsRelayed) {
  EchoNode node;
  start({node.url()});
  const auto res = raw_upgrade(gateway_.port(), "/ws?refuse=1");
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(res.body(), R"({"error":{"code":"invalid_token","message":"no"}})");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(wait_until_closed());
}

TEST_F(WsTunnelTest, NoReachableNodeIs502) {
  start({dead_url()});
  const auto res = raw_upgrade(gateway_.port(), "/ws");
  EXPECT_EQ(res.result_int(), 502u);
  EXPECT_NE(res.body().find("upstream_unavailable"), std::string::npos);
  EXPECT_TRUE(wait_until_closed());
}

TEST_F(WsTunnelTest, FailsOverToTheNextNode) {
  EchoNode node;
  start({dead_url(), node.url()});
  for (int i = 0; i < 4; ++i) {
    Client client(gateway_.port());
    ASSERT_FALSE(client.handshake("/ws"));
    EXPECT_EQ(client.receive(), "hello");
    EXPECT_FALSE(client.close(websocket::close_code::normal));
  }
  EXPECT_EQ(node.connections(), 4);
}

TEST_F(WsTunnelTest, AdmitCanRefuseBeforeANodeIsContacted) {
  EchoNode node;
  start({node.url()}, [](const http::Request& req) -> std::optional<http::Response> {
    if (req.query("access_token") == "good") return std::nullopt;
    return http::error_response(Error::unauthenticated("invalid_token", "a bearer access token is required"));
  });
  const auto refused = raw_upgrade(gateway_.port(), "/ws?access_token=bad");
  EXPECT_EQ(refused.result_int(), 401u);
  EXPECT_NE(refused.body().find("invalid_token"), std::string::npos);
  EXPECT_EQ(node.connections(), 0);
  Client client(gateway_.port());
  ASSERT_FALSE(client.handshake("/ws?access_token=good"));
  EXPECT_EQ(client.receive(), "hello");
}

TEST_F(WsTunnelTest, TunnelsHoldConnectionSlots) {
  EchoNode node;
  start({node.url()}, {}, 2);
  Client first(gateway_.port());
  ASSERT_FALSE(first.handshake("/ws"));
  Client second(gateway_.port());
  ASSERT_FALSE(second.handshake("/ws"));
  Client third(gateway_.port()); // over max_connections: closed at once
  EXPECT_TRUE(third.handshake("/ws"));
  EXPECT_FALSE(first.close(websocket::close_code::normal));
  ASSERT_TRUE(node.wait_for_ends(1));
  // The slot goes with the tunnel: the server counts one connection again.
  for (int i = 0; i < 500 && gateway_.metrics().open_connections() > 1; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(gateway_.metrics().open_connections(), 1);
  std::this_thread::sleep_for(20ms);
  Client fourth(gateway_.port());
  EXPECT_FALSE(fourth.handshake("/ws"));
  EXPECT_EQ(fourth.receive(), "hello");
}

TEST_F(WsTunnelTest, ShutdownClosesEveryTunnel) {
  EchoNode node;
  start({node.url()});
  Client a(gateway_.port());
  Client b(gateway_.port());
  ASSERT_FALSE(a.handshake("/ws"));
  ASSERT_FALSE(b.handshake("/ws"));
  EXPECT_EQ(a.receive(), "hello");
  EXPECT_EQ(b.receive(), "hello");
  EXPECT_EQ(tunnel_->open(), 2u);
  const auto before = std::chrono::steady_clock::now();
  gateway_.stop(); // returns once every connection, tunnels included, is gone
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
  EXPECT_EQ(tunnel_->open(), 0u);
  error_code ec;
  a.receive(ec);
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, asio::error::timed_out);
  EXPECT_TRUE(node.wait_for_ends(2)); // the nodes' side is closed too
}

TEST_F(WsTunnelTest, UpgradesAreCountedInTheMetrics) {
  EchoNode node;
  start({node.url()});
  Client client(gateway_.port());
  ASSERT_FALSE(client.handshake("/ws"));
  EXPECT_NE(gateway_.metrics().render().find(R"(route="/ws",method="GET",status="101")"), std::string::npos)
      << gateway_.metrics().render();
}

} // namespace
} // namespace parley::proxy
