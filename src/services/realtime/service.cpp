#include "services/realtime/service.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include "core/log.hpp"
#include "core/time_format.hpp"
#include "services/message/message_json.hpp"
#include "transport/http/response.hpp"

namespace parley {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;

const Logger kLog{"ws"};
constexpr std::size_t kMaxTypingChats = 64;   // throttle entries kept per connection
constexpr std::size_t kMaxQueuedSends = 1000; // per connection; beyond, sends are refused (retryable)

ws::Frame frame_of(const json::object& obj) { return std::make_shared<const std::string>(json::serialize(obj)); }

std::optional<std::string> string_field(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<std::int64_t> int_field(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  if (!v || !v->is_int64() || v->as_int64() < 0) return std::nullopt;
  return v->as_int64();
}

json::value id_of(const json::object& frame) {
  const auto* v = frame.if_contains("id");
  return v && (v->is_string() || v->is_int64()) ? *v : json::value(nullptr);
}

// The sender's `stored` ack, from the message's JSON.
json::object stored_ack(const json::value& id, const json::object& message) {
  const auto field = [&](std::string_view key) {
    const auto* v = message.if_contains(key);
    return v ? *v : json::value(nullptr);
  };
  return {{"type", "ack"},
          {"id", id},
          {"client_id", field("client_id")},
          {"status", "stored"},
          {"chat_id", field("chat_id")},
          {"message_id", field("id")},
          {"seq", field("seq")},
          {"created_at", field("created_at")}};
}

// As over REST, internal details go to the log and the client gets a generic message.
json::object error_frame(const json::value& id, const Error& e) {
  const bool internal = e.kind == ErrorKind::internal;
  if (internal) kLog.error("frame failed", {{"code", e.code}, {"error", e.message}});
  return {{"type", "error"}, {"id", id}, {"code", e.code}, {"message", internal ? "internal error" : e.message}};
}

// The protocol version a client asked for: the newest this server speaks when it asked for a
// newer one (the client reads it in `hello`), nothing when the value is not a version.
std::optional<int> requested_protocol(const http::Request& req, int oldest, int newest) {
  const auto text = req.query("protocol");
  if (!text) return oldest;
  int version = 0;
  const auto* end = text->data() + text->size();
  if (text->empty() || std::from_chars(text->data(), end, version).ptr != end || version < oldest) return {};
  return std::min(version, newest);
}

} // namespace

struct RealtimeService::Peer {
  Peer(std::shared_ptr<ws::Connection> c, Principal p, const asio::any_io_executor& pool, double burst,
       std::int64_t now)
      : conn(std::move(c)),
        who(std::move(p)),
        blocking(asio::make_strand(pool)),
        tokens(burst),
        refilled_ms(now),
        expires_at_s(who.expires_at_s),
        expiry(conn->executor()) {}

  std::shared_ptr<ws::Connection> conn;
  Principal who;
  asio::strand<asio::any_io_executor> blocking; // this connection's calls run in order
  double tokens = 0;
  std::int64_t refilled_ms = 0;
  std::unordered_map<std::string, std::int64_t> typing_sent_ms;
  std::int64_t expires_at_s = 0;
  asio::steady_timer expiry; // on the connection's network thread, like expires_at_s
  // Sends queued for the message service: client_id -> the frame's id (under mutex_).
  std::unordered_map<std::string, json::value> queued;

  void send(const json::object& frame) const { conn->send(frame_of(frame)); }
};

RealtimeService::RealtimeService(RealtimeConfig config, Ports ports)
    : config_(config),
      verifier_(ports.verifier),
      messages_(ports.messages),
      membership_(ports.membership),
      presence_(ports.presence),
      events_(ports.events),
      clock_(ports.clock) {
  events_.subscribe([this](std::span<const LiveEvent> events) { deliver(events); });
}

http::Upgrade RealtimeService::upgrade() {
  // One hand-over for plain and TLS streams: open() is a template over the stream.
  const auto hand_over = [this](auto stream, http::BeastRequest request, asio::any_io_executor blocking,
                                std::shared_ptr<void> slot) {
    const auto executor = stream.get_executor();
    // Arguments, not lambda captures: a coroutine's parameters live in its frame.
    asio::co_spawn(executor, open(std::move(stream), std::move(request), std::move(blocking), std::move(slot)),
                   asio::detached);
  };
  return {"/ws", hand_over, [this] { close_all(ws::kCloseServiceRestart, "server restart"); }, hand_over};
}

std::size_t RealtimeService::connection_count() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [user, peers] : by_user_) n += peers.size();
  return n;
}

template <class Stream>
asio::awaitable<void> RealtimeService::open(Stream stream, http::BeastRequest request, asio::any_io_executor blocking,
                                            std::shared_ptr<void> slot) {
  http::Request req{std::move(request), {}, {}, {}};
  const std::string token = req.query("access_token").value_or(std::string(req.bearer_token()));
  const auto protocol = requested_protocol(req, kOldestProtocol, kNewestProtocol);
  auto who =
      protocol
          ? verifier_.verify(token)
          : Result<Principal>(fail(Error::invalid("invalid_protocol", "protocol must be a version number, 1 or more")));
  boost::system::error_code ec;
  if (!who) { // refused before the upgrade: a plain HTTP error with the error envelope
    const auto refusal = http::error_response(who.error());
    beast::http::response<beast::http::string_body> res{static_cast<beast::http::status>(refusal.status), 11};
    res.set(beast::http::field::content_type, "application/json");
    res.body() = refusal.body;
    res.keep_alive(false);
    res.prepare_payload();
    co_await beast::http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    beast::get_lowest_layer(stream).close();
    co_return;
  }
  const auto framing = *protocol >= 2 ? ws::Framing::batched : ws::Framing::one_per_frame;
  auto conn = co_await ws::accept(std::move(stream), req.message, config_.limits, ++next_id_, framing);
  if (!conn) co_return;
  auto peer = std::make_shared<Peer>(conn, *who, blocking, config_.frame_burst, clock_.now_ms());
  // hello is queued before the connection can receive anything else
  peer->send({{"type", "hello"},
              {"data", {{"protocol", *protocol}, {"user_id", who->user_id}, {"connection_id", conn->id()}}}});
  add(peer);
  watch_expiry(peer);
  asio::co_spawn(conn->executor(), session(std::move(peer), std::move(slot)), asio::detached);
}

asio::awaitable<void> RealtimeService::session(std::shared_ptr<Peer> peer,
                                               [[maybe_unused]] std::shared_ptr<void> slot) {
  // A named handler, not a temporary in the co_await expression: GCC 12 destroys such
  // temporaries twice. `peer` outlives run() in this frame.
  ws::Connection::OnText on_text = [this, &peer](std::string&& text) { on_frame(peer, std::move(text)); };
  co_await peer->conn->run(std::move(on_text));
  peer->expiry.cancel();
  remove(peer);
}

// A timer callback rather than a coroutine waiting beside the read loop: idle connections are
// the many, and this costs one pending wait each.
void RealtimeService::watch_expiry(const std::shared_ptr<Peer>& peer) {
  const auto left = std::chrono::milliseconds(peer->expires_at_s * 1000 - clock_.now_ms());
  if (left.count() <= 0) return peer->conn->close(ws::kCloseTokenExpired, "access token expired");
  peer->expiry.expires_after(left);
  peer->expiry.async_wait([this, weak = std::weak_ptr(peer)](boost::system::error_code ec) {
    if (auto p = weak.lock(); p && !ec) watch_expiry(p); // expires_at_s may have moved: check again
  });
}

void RealtimeService::on_frame(const std::shared_ptr<Peer>& peer, std::string&& text) {
  // Token bucket per connection: a flood gets errors, and the flooder's own frames only.
  const auto now = clock_.now_ms();
  peer->tokens = std::min(config_.frame_burst, peer->tokens + static_cast<double>(now - peer->refilled_ms) / 1000.0 *
                                                                  config_.frames_per_sec);
  peer->refilled_ms = now;
  if (peer->tokens < 1) {
    peer->send(error_frame(nullptr, Error::rate_limited(std::chrono::seconds(1))));
    return;
  }
  peer->tokens -= 1;
  json::parse_options options;
  options.max_depth = 16;
  boost::system::error_code ec;
  auto value = json::parse(text, ec, {}, options);
  if (ec || !value.is_object()) {
    peer->send(error_frame(nullptr, Error::invalid("invalid_frame", "a frame is a JSON object")));
    return;
  }
  const auto& frame = value.as_object();
  const auto type = string_field(frame, "type");
  if (!type) {
    peer->send(error_frame(id_of(frame), Error::invalid("invalid_frame", "a frame needs a string \"type\"")));
    return;
  }
  handle(peer, *type, frame);
}

void RealtimeService::handle(const std::shared_ptr<Peer>& peer, const std::string& type, const json::object& frame) {
  const json::value id = id_of(frame);
  const std::string me = peer->who.user_id;
  const auto missing = [&](std::string_view what) {
    peer->send(error_frame(id, Error::invalid("invalid_frame", std::string(what) + " is required")));
  };
  const auto chat_id = string_field(frame, "chat_id").value_or("");

  if (type == "ping") return peer->send({{"type", "pong"}, {"id", id}});

  if (type == "auth") {
    auto who = verifier_.verify(string_field(frame, "token").value_or(""));
    if (!who || who->user_id != me)
      return peer->send(error_frame(id, who ? Error::forbidden("wrong_user", "token of another user") : who.error()));
    peer->expires_at_s = who->expires_at_s;
    return peer->send({{"type", "ack"}, {"id", id}, {"status", "authenticated"}});
  }

  if (type == "message.send") {
    SendInput in{chat_id,
                 string_field(frame, "client_id").value_or(""),
                 string_field(frame, "body").value_or(""),
                 string_field(frame, "reply_to").value_or(""),
                 {},
                 {}};
    if (const auto* m = frame.if_contains("mentions"); m && m->is_array())
      for (const auto& u : m->as_array())
        if (u.is_string() && in.mentions.size() < domain::kMaxMentions) in.mentions.emplace_back(u.as_string());
    if (in.chat_id.empty()) return missing("chat_id");
    auto attachments = attachments_from_json(frame.if_contains("attachments"));
    if (!attachments) return peer->send(error_frame(id, attachments.error()));
    in.attachments = std::move(*attachments);
    peer->send({{"type", "ack"}, {"id", id}, {"client_id", in.client_id}, {"status", "accepted"}});
    return asio::post(peer->blocking, [this, peer, id, in = std::move(in)] {
      const auto refuse = [&](const Error& e) {
        auto err = error_frame(id, e);
        err["client_id"] = in.client_id;
        peer->send(err);
      };
      {
        // Registered before submitting: the answer may come (to settle()) before submit() returns.
        std::lock_guard lock(mutex_);
        if (peer->queued.size() >= kMaxQueuedSends)
          return refuse(Error::unavailable("send_queue_full", "too many sends waiting for an answer; retry"));
        peer->queued[in.client_id] = id;
      }
      auto sent = messages_.submit(peer->who.user_id, in);
      if (sent && !*sent) return; // queued: settle() answers
      {
        // Answered here, unless settle() did already (its entry is gone then).
        std::lock_guard lock(mutex_);
        if (peer->queued.erase(in.client_id) == 0) return;
      }
      if (!sent) return refuse(sent.error());
      peer->send(stored_ack(id, message_json((*sent)->message)));
    });
  }

  if (type == "message.edit" || type == "message.delete") {
    const auto message_id = string_field(frame, "message_id");
    if (chat_id.empty() || !message_id) return missing("chat_id and message_id");
    const bool edit = type == "message.edit";
    const auto body = string_field(frame, "body").value_or("");
    return asio::post(peer->blocking, [this, peer, id, chat_id, message_id = *message_id, body, edit] {
      auto done = edit ? messages_.edit(peer->who.user_id, chat_id, message_id, body)
                       : messages_.remove(peer->who.user_id, chat_id, message_id);
      if (!done) return peer->send(error_frame(id, done.error()));
      peer->send({{"type", "ack"}, {"id", id}, {"status", "done"}, {"message_id", message_id}});
    });
  }

  if (type == "receipt.read" || type == "receipt.delivered") {
    const auto seq = int_field(frame, "seq");
    if (chat_id.empty() || !seq) return missing("chat_id and seq");
    const bool read = type == "receipt.read";
    return asio::post(peer->blocking, [this, peer, id, chat_id, seq = *seq, read] {
      auto cursor = read ? messages_.mark_read(peer->who.user_id, chat_id, seq)
                         : messages_.mark_delivered(peer->who.user_id, chat_id, seq);
      if (!cursor) return peer->send(error_frame(id, cursor.error()));
      peer->send({{"type", "ack"},
                  {"id", id},
                  {"status", "done"},
                  {"read_seq", cursor->read_seq},
                  {"delivered_seq", cursor->delivered_seq}});
    });
  }

  if (type == "typing") {
    if (chat_id.empty()) return missing("chat_id");
    const auto now = clock_.now_ms();
    if (peer->typing_sent_ms.size() >= kMaxTypingChats) peer->typing_sent_ms.clear();
    auto& last = peer->typing_sent_ms[chat_id];
    if (now - last < config_.typing_interval_ms) return; // throttled: the last one still stands
    last = now;
    return asio::post(peer->blocking, [this, peer, id, chat_id] {
      auto role = membership_.role_of(chat_id, peer->who.user_id);
      if (!role || !*role) return peer->send(error_frame(id, Error::not_found("chat_not_found", "no such chat")));
      auto members = membership_.member_ids(chat_id);
      if (!members) return;
      events_.publish(
          {"typing", chat_id,
           json::serialize(json::object{
               {"chat_id", chat_id}, {"user_id", peer->who.user_id}, {"expires_in_ms", config_.typing_ttl_ms}}),
           std::move(*members), peer->who.user_id});
    });
  }

  if (type == "reaction.set" || type == "reaction.remove") {
    const auto message_id = string_field(frame, "message_id");
    const auto emoji = string_field(frame, "emoji");
    const bool set = type == "reaction.set";
    if (chat_id.empty() || !message_id || (set && !emoji))
      return missing(set ? "chat_id, message_id and emoji" : "chat_id and message_id");
    return asio::post(peer->blocking,
                      [this, peer, id, chat_id, message_id = *message_id, emoji = emoji.value_or(""), set] {
                        auto done = set ? messages_.react(peer->who.user_id, chat_id, message_id, emoji)
                                        : messages_.unreact(peer->who.user_id, chat_id, message_id);
                        if (!done) return peer->send(error_frame(id, done.error()));
                        peer->send({{"type", "ack"}, {"id", id}, {"status", "done"}, {"message_id", message_id}});
                      });
  }

  if (type == "sync") {
    const auto* chats = frame.if_contains("chats");
    if (!chats || !chats->is_array() || chats->as_array().size() > 1000) return missing("chats (an array)");
    std::vector<std::pair<std::string, std::int64_t>> wanted;
    for (const auto& c : chats->as_array()) {
      if (!c.is_object()) return missing("chats[].chat_id and after_seq");
      const auto cid = string_field(c.as_object(), "chat_id");
      const auto after = int_field(c.as_object(), "after_seq");
      if (!cid || !after) return missing("chats[].chat_id and after_seq");
      wanted.emplace_back(*cid, *after);
    }
    return asio::post(peer->blocking, [this, peer, id, wanted = std::move(wanted)] {
      for (const auto& [cid, after] : wanted) {
        // The store is the log: replay what the client missed, in seq order.
        std::vector<Message> missed;
        std::optional<Error> failed;
        for (std::int64_t from = after; static_cast<int>(missed.size()) <= config_.sync_limit;) {
          auto page = messages_.history(peer->who.user_id, cid, {0, from, Messaging::kMaxPage});
          if (!page) {
            failed = page.error();
            break;
          }
          if (page->empty()) break;
          from = page->back().seq;
          const bool last_page = static_cast<int>(page->size()) < Messaging::kMaxPage;
          std::move(page->begin(), page->end(), std::back_inserter(missed));
          if (last_page) break;
        }
        if (failed) {
          auto err = error_frame(id, *failed);
          err["chat_id"] = cid;
          peer->send(err);
          continue;
        }
        if (static_cast<int>(missed.size()) > config_.sync_limit) {
          peer->send({{"type", "resync_required"}, {"data", {{"chat_id", cid}, {"after_seq", after}}}});
          continue;
        }
        for (const auto& m : missed) peer->send({{"type", "message.new"}, {"data", message_json(m)}});
      }
      peer->send({{"type", "ack"}, {"id", id}, {"status", "synced"}});
    });
  }

  peer->send(error_frame(id, Error::invalid("unknown_type", "unknown frame type '" + type + "'")));
}

// What a batch of live events sends, per connection and in order; each connection gets its
// share in one send(), so it goes out in one write.
class RealtimeService::Outbox {
 public:
  void add(const std::shared_ptr<ws::Connection>& conn, const ws::Frame& frame) {
    const auto [at, fresh] = index_.try_emplace(conn.get(), entries_.size());
    if (fresh) entries_.push_back({conn, {}});
    entries_[at->second].frames.push_back(frame);
  }
  void flush() {
    for (const auto& e : entries_) e.conn->send(e.frames);
    entries_.clear();
    index_.clear();
  }

 private:
  struct Entry {
    std::shared_ptr<ws::Connection> conn;
    std::vector<ws::Frame> frames;
  };
  std::vector<Entry> entries_;
  std::unordered_map<const ws::Connection*, std::size_t> index_;
};

void RealtimeService::settle(const LiveEvent& event, Outbox& out) {
  if (event.sender_id.empty() || event.client_id.empty()) return;
  std::vector<std::pair<std::shared_ptr<ws::Connection>, json::value>> settled;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = by_user_.find(event.sender_id); it != by_user_.end())
      for (const auto& p : it->second)
        if (auto q = p->queued.find(event.client_id); q != p->queued.end()) {
          settled.emplace_back(p->conn, std::move(q->second));
          p->queued.erase(q);
        }
  }
  if (settled.empty()) return; // not sent through this node, or answered already
  boost::system::error_code ec;
  auto parsed = json::parse(event.payload, ec);
  if (ec || !parsed.is_object()) return;
  const auto& data = parsed.as_object();
  const bool stored = event.type != kSendRejected;
  for (const auto& [conn, id] : settled) {
    if (stored) {
      out.add(conn, frame_of(stored_ack(id, data)));
    } else {
      auto err = error_frame(id, Error{ErrorKind::unprocessable, string_field(data, "code").value_or("rejected"),
                                       string_field(data, "message").value_or("")});
      err["client_id"] = event.client_id;
      err["chat_id"] = event.chat_id;
      out.add(conn, frame_of(err));
    }
  }
}

void RealtimeService::deliver(std::span<const LiveEvent> events) {
  Outbox out;
  for (const auto& event : events) {
    if (event.type == kLiveInterrupted) {
      // Live events may have been lost: every client reconnects and catches up with sync.
      kLog.warn("live events interrupted; closing every connection so that clients catch up");
      out.flush();
      return close_all(ws::kCloseServiceRestart, "live events interrupted; reconnect and sync");
    }
    if (event.type == "message.new" || event.type == kSendRejected || event.type == kSendStored) settle(event, out);
    if (event.type == kSendRejected || event.type == kSendStored) continue; // answered to the sender only
    // Serialised once, shared by every recipient connection.
    const auto frame = std::make_shared<const std::string>("{\"type\":" + json::serialize(json::value(event.type)) +
                                                           ",\"data\":" + event.payload + "}");
    std::lock_guard lock(mutex_);
    for (const auto& user : event.recipients) {
      if (user == event.exclude_user) continue;
      const auto it = by_user_.find(user);
      if (it == by_user_.end()) continue;
      for (const auto& p : it->second) out.add(p->conn, frame);
    }
  }
  out.flush();
}

void RealtimeService::add(const std::shared_ptr<Peer>& peer) {
  {
    std::lock_guard lock(mutex_);
    by_user_[peer->who.user_id].push_back(peer);
  }
  kLog.debug("connected", {{"user", peer->who.user_id}, {"conn", peer->conn->id()}});
  announce_presence(peer->who.user_id, true);
}

void RealtimeService::remove(const std::shared_ptr<Peer>& peer) {
  {
    std::lock_guard lock(mutex_);
    auto it = by_user_.find(peer->who.user_id);
    if (it == by_user_.end()) return;
    std::erase(it->second, peer);
    if (it->second.empty()) by_user_.erase(it);
  }
  announce_presence(peer->who.user_id, false);
}

void RealtimeService::announce_presence(std::string user_id, bool connected) {
  asio::post(presence_worker_, [this, user_id = std::move(user_id), connected] {
    const auto now = clock_.now_ms();
    auto changed = connected ? presence_.connected(user_id, now) : presence_.disconnected(user_id, now);
    if (!changed || !*changed) return;
    auto contacts = membership_.contacts(user_id);
    if (!contacts) {
      kLog.warn("no presence event: contacts unknown", {{"user", user_id}, {"error", contacts.error().message}});
      return;
    }
    if (contacts->empty()) return;
    json::object data{{"user_id", user_id},
                      {"online", connected},
                      {"last_seen", connected ? json::value(nullptr) : json::value(format_rfc3339(now))}};
    events_.publish({"presence", "", json::serialize(data), std::move(*contacts), ""});
  });
}

void RealtimeService::close_all(std::uint16_t code, const std::string& reason) {
  std::vector<std::shared_ptr<ws::Connection>> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [user, peers] : by_user_)
      for (const auto& p : peers) all.push_back(p->conn);
  }
  for (const auto& c : all) c->close(code, reason);
}

} // namespace parley
