#pragma once
// The realtime service: `/ws`. Authenticates the upgrade with the access token, keeps
// every user's connections (multi-device), turns client frames into calls on the message
// service, and delivers live events (serialised once per event) to the members' connections.
// The protocol is in docs/protocol.md.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "ports/access_tokens.hpp"
#include "ports/event_bus.hpp"
#include "ports/membership.hpp"
#include "ports/messaging.hpp"
#include "ports/presence.hpp"
#include "transport/http/server.hpp"
#include "transport/ws/connection.hpp"

namespace parley {

struct RealtimeConfig {
  ws::Limits limits;
  int sync_limit = 500;       // more missed messages than this in a chat: resync_required
  double frames_per_sec = 20; // per connection, token bucket
  double frame_burst = 60;
  std::int64_t typing_interval_ms = 2000; // at most one typing event per chat and connection
  std::int64_t typing_ttl_ms = 5000;      // how long clients show an indicator unless renewed
};

class RealtimeService {
 public:
  // The versions a client may ask for with `/ws?protocol=N` (docs/protocol.md); 1 without it.
  static constexpr int kOldestProtocol = 1;
  static constexpr int kNewestProtocol = 2; // 2: several messages per frame, newline-separated

  struct Ports {
    const AccessTokenVerifier& verifier;
    Messaging& messages;
    Membership& membership;
    Presence& presence;
    EventBus& events;
    const Clock& clock;
  };
  RealtimeService(RealtimeConfig config, Ports ports);

  // What the HTTP server needs to hand `/ws` upgrades over.
  http::Upgrade upgrade();
  std::size_t connection_count() const;

 private:
  struct Peer;
  // Authenticates an upgrade and completes it, then hands the connection to session(). What only
  // the handshake needs (the request, the token) goes with this coroutine's frame.
  // `Stream`: a beast::tcp_stream, or an http::TlsStream (HTTPS).
  template <class Stream>
  boost::asio::awaitable<void> open(Stream stream, http::BeastRequest request, boost::asio::any_io_executor blocking,
                                    std::shared_ptr<void> slot);
  // The connection's life; `slot` is held, unused, until it ends: it counts as one of the
  // server's connections until then.
  boost::asio::awaitable<void> session(std::shared_ptr<Peer> peer, std::shared_ptr<void> slot);
  // Closes the connection when its access token expires, unless an `auth` frame renewed it.
  void watch_expiry(const std::shared_ptr<Peer>& peer);
  void on_frame(const std::shared_ptr<Peer>& peer, std::string&& text);
  void handle(const std::shared_ptr<Peer>& peer, const std::string& type, const boost::json::object& frame);
  class Outbox;
  void deliver(std::span<const LiveEvent> events);
  // Acks or refuses, from its outcome's live event, a send queued for the message service.
  void settle(const LiveEvent& event, Outbox& out);
  void add(const std::shared_ptr<Peer>& peer);
  void remove(const std::shared_ptr<Peer>& peer);
  // Records a connection opening or closing and, when the user's status changed, tells
  // everyone who shares a chat with them. In order, off the network threads.
  void announce_presence(std::string user_id, bool connected);
  void close_all(std::uint16_t code, const std::string& reason);

  RealtimeConfig config_;
  const AccessTokenVerifier& verifier_;
  Messaging& messages_;
  Membership& membership_;
  Presence& presence_;
  EventBus& events_;
  const Clock& clock_;
  std::atomic<std::uint64_t> next_id_{0};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Peer>>> by_user_;
  boost::asio::thread_pool presence_worker_{1}; // one thread: presence changes stay in order
};

} // namespace parley
