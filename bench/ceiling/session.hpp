#pragma once
// One connection of the ceiling server, on its context's one thread: reads the HTTP request, upgrades
// `GET /ws?group=G` (anything else gets 200 "ok", which is the readiness check), greets with
// {"type":"hello"}, joins G, then broadcasts every text frame it reads to G. Outbound frames
// wait in a queue with exactly one write in flight, which carries every frame queued when it
// starts, newline-separated in one buffer, up to 64 or 32 KiB (as Parley's protocol 2 does;
// unbounded here: the bench's publishers bound what is in flight).

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "ceiling/groups.hpp"

namespace ceiling {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket`'s executor is its io_context's, run by one thread.
  Session(boost::asio::ip::tcp::socket socket, Groups& groups);

  boost::asio::awaitable<void> run();
  // Queues frames, in order; thread-safe.
  void send(std::vector<Frame> frames);

 private:
  void write_front(); // on its thread, with a frame queued and none in flight
  void wrote(boost::beast::error_code ec);

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  Groups& groups_;
  std::deque<Frame> queue_; // on its thread only
  std::string batch_;       // the write in flight: its frames joined (one buffer, one sendmsg)
  bool writing_ = false;
  bool open_ = true;
};

} // namespace ceiling
