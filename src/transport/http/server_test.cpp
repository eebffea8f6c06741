// The server over real sockets on port 0.
#include "transport/http/server.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace parley::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerConfig config = {}, std::optional<Upgrade> upgrade = {}) {
    config.port = 0;
    config.io_threads = 2;
    config.handler_threads = 2;
    router_.add("GET", "/hello", [](Request& req) { return json_response(200, {{"path", req.path()}}); });
    router_.add("POST", "/echo", [](Request& req) { return Response{200, std::string(req.body())}; });
    router_.add("GET", "/slow", [this](Request&) {
      entered_slow_.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return Response{200, "done"};
    });
    server_ = std::make_unique<Server>(config, router_, metrics_, std::move(upgrade));
    runner_ = std::thread([this] { server_->run(); });
    while (!server_->ready()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
  }
  tcp::socket connect() {
    tcp::socket s(client_ioc_);
    s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    return s;
  }
  beast::http::response<beast::http::string_body> exchange(tcp::socket& s, beast::http::verb verb, std::string target,
                                                           std::string body = {}) {
    beast::http::request<beast::http::string_body> req{verb, target, 11};
    req.set(beast::http::field::host, "127.0.0.1");
    req.body() = std::move(body);
    req.prepare_payload();
    beast::http::write(s, req);
    beast::flat_buffer buf;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(s, buf, res);
    return res;
  }

  asio::io_context client_ioc_;
  Router router_;
  HttpMetrics metrics_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
  std::promise<void> entered_slow_;
};

} // namespace

TEST_F(ServerTest, ServesSeveralRequestsOnOneKeptAliveConnection) {
  start();
  auto s = connect();
  for (int i = 0; i < 3; ++i) {
    const auto res = exchange(s, beast::http::verb::get, "/hello?x=1");
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), R"({"path":"/hello"})");
    EXPECT_TRUE(res.keep_alive());
  }
  EXPECT_EQ(metrics_.open_connections(), 1);
}

TEST_F(ServerTest, OversizedBodiesGet413AndTheServerKeepsServing) {
  ServerConfig config;
  config.max_body_bytes = 64;
  start(config);
  auto s = connect();
  const auto res = exchange(s, beast::http::verb::post, "/echo", std::string(1000, 'x'));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_NE(res.body().find("payload_too_large"), std::string::npos);
  auto again = connect();
  EXPECT_EQ(exchange(again, beast::http::verb::post, "/echo", "small").body(), "small");
}

TEST_F(ServerTest, MalformedRequestsGet400) {
  start();
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GARBAGE\r\n\r\n")));
  beast::flat_buffer buf;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(s, buf, res);
  EXPECT_EQ(res.result_int(), 400u);
}

TEST_F(ServerTest, OversizedHeadersGet431) {
  ServerConfig config;
  config.max_header_bytes = 512;
  start(config);
  auto s = connect();
  beast::http::request<beast::http::string_body> req{beast::http::verb::get, "/hello", 11};
  req.set("X-Big", std::string(2000, 'a'));
  beast::http::write(s, req);
  beast::flat_buffer buf;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(s, buf, res);
  EXPECT_EQ(res.result_int(), 431u);
}

TEST_F(ServerTest, ShutdownFinishesInFlightRequestsAndClosesIdleOnes) {
  start();
  auto idle = connect();
  EXPECT_EQ(exchange(idle, beast::http::verb::get, "/hello").result_int(), 200u);
  auto busy = connect();
  auto answer = std::async(std::launch::async, [&] { return exchange(busy, beast::http::verb::get, "/slow"); });
  entered_slow_.get_future().wait();
  server_->stop();
  EXPECT_FALSE(server_->ready());
  const auto res = answer.get();
  EXPECT_EQ(res.body(), "done");
  EXPECT_FALSE(res.keep_alive()); // told to close
  runner_.join();                 // run() returns once drained
  char byte;
  boost::system::error_code ec;
  idle.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec); // the idle connection was closed by the server
}

TEST_F(ServerTest, AnUpgradedConnectionCountsUntilItsSlotIsDropped) {
  std::promise<void> upgraded;
  std::mutex mutex;
  std::shared_ptr<void> held; // the slot, as the upgraded connection holds it
  Upgrade upgrade{"/ws",
                  [&](beast::tcp_stream, BeastRequest, asio::any_io_executor, std::shared_ptr<void> slot) {
                    {
                      std::lock_guard lock(mutex);
                      held = std::move(slot);
                    }
                    upgraded.set_value();
                  },
                  [&] { // shutdown: upgraded connections close and drop their slots
                    std::lock_guard lock(mutex);
                    held.reset();
                  }};
  start({}, std::move(upgrade));
  auto s = connect();
  beast::http::request<beast::http::empty_body> req{beast::http::verb::get, "/ws", 11};
  req.set(beast::http::field::host, "127.0.0.1");
  req.set(beast::http::field::upgrade, "websocket");
  req.set(beast::http::field::connection, "Upgrade");
  req.set(beast::http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(beast::http::field::sec_websocket_version, "13");
  beast::http::write(s, req);
  upgraded.get_future().wait();
  EXPECT_EQ(metrics_.open_connections(), 1); // counted by the slot, not by the HTTP session
  server_->stop();
  runner_.join(); // run() returns once the slot is dropped
  EXPECT_EQ(metrics_.open_connections(), 0);
}

TEST_F(ServerTest, IdleConnectionsTimeOut) {
  ServerConfig config;
  config.idle_timeout = std::chrono::seconds(1);
  start(config);
  auto s = connect();
  char byte;
  boost::system::error_code ec;
  s.read_some(asio::buffer(&byte, 1), ec); // blocks until the server gives up on us
  EXPECT_TRUE(ec);
}

} // namespace parley::http
