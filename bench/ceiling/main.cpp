// parley-ceiling: a broadcast WebSocket server with nothing but fan-out, the bench's upper
// bound for what Parley's libraries can deliver on this machine (bench/README.md).
//   parley-ceiling --listen 127.0.0.1:8090 [--threads N]
// A client upgrades `GET /ws?group=G`; every text frame it sends goes to every connection of
// G, itself included. N I/O threads (default: one per core, as Parley's
// PARLEY_IO_THREADS=0), each with an io_context of its own, as Parley's server: connections
// are dealt to them round robin; each connection runs on its context's one thread.

#include <charconv>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ceiling/groups.hpp"
#include "ceiling/session.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& contexts,
                                  ceiling::Groups& groups) {
  for (std::size_t next = 0;; ++next) {
    boost::system::error_code ec;
    tcp::socket socket(*contexts[next % contexts.size()]);
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;                           // e.g. out of descriptors: the next attempt may succeed
    socket.set_option(tcp::no_delay(true), ec); // as Parley's: small frames leave at once
    const auto executor = socket.get_executor();
    auto session = std::make_shared<ceiling::Session>(std::move(socket), groups);
    // The lambda, and the session it holds, live as long as the session's coroutine.
    asio::co_spawn(
        executor, [session]() { return session->run(); }, asio::detached);
  }
}

int usage() {
  std::cerr << "usage: parley-ceiling --listen HOST:PORT [--threads N]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::string listen;
  int threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i], value = argv[i + 1];
    if (flag == "--listen") {
      listen = value;
    } else if (flag == "--threads") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), threads);
      if (ec != std::errc{} || end != value.data() + value.size() || threads < 1) return usage();
    } else {
      return usage();
    }
  }
  const auto colon = listen.rfind(':');
  if (argc % 2 == 0 || colon == std::string::npos) return usage();
  try {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      keep_running.push_back(asio::make_work_guard(*contexts.back()));
    }
    auto& ioc = *contexts.front();
    tcp::acceptor acceptor(ioc, {asio::ip::make_address(listen.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))});
    ceiling::Groups groups;
    asio::co_spawn(ioc, accept_loop(acceptor, contexts, groups), asio::detached);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&contexts](const boost::system::error_code&, int) {
      for (auto& c : contexts) c->stop();
    });
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < contexts.size(); ++i) pool.emplace_back([&c = *contexts[i]] { c.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
  } catch (const std::exception& e) {
    std::cerr << "parley-ceiling: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
