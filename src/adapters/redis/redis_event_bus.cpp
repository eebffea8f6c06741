#include "adapters/redis/redis_event_bus.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <utility>

#include "core/log.hpp"

namespace parley {

namespace {

const Logger kLog{"redis"};
constexpr std::string_view kVersion = "v2";
constexpr int kHeaderLines = 7; // version, type, chat, exclude, recipients, sender, client_id

// Ids and types never contain these; the payload may contain anything and comes last.
bool plain(std::string_view s) { return s.find_first_of("\n,") == std::string_view::npos; }

} // namespace

std::string encode_live_event(const LiveEvent& e) {
  std::string out(kVersion);
  out += '\n' + e.type + '\n' + e.chat_id + '\n' + e.exclude_user + '\n';
  for (std::size_t i = 0; i < e.recipients.size(); ++i) {
    if (i) out += ',';
    out += e.recipients[i];
  }
  out += '\n' + e.sender_id + '\n' + e.client_id + '\n';
  out += e.payload;
  return out;
}

Result<LiveEvent> decode_live_event(std::string_view text) {
  const auto bad = [] { return fail(Error::invalid("bad_live_event", "not a live event")); };
  std::vector<std::string_view> lines;
  for (int i = 0; i < kHeaderLines; ++i) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) return bad();
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  if (lines[0] != kVersion || lines[1].empty()) return bad();
  LiveEvent e{std::string(lines[1]), std::string(lines[2]), std::string(text),    {},
              std::string(lines[3]), std::string(lines[5]), std::string(lines[6])};
  for (auto rest = lines[4]; !rest.empty();) {
    const auto comma = rest.find(',');
    const auto id = rest.substr(0, comma);
    if (id.empty()) return bad();
    e.recipients.emplace_back(id);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
    if (rest.empty()) return bad();
  }
  return e;
}

RedisEventBus::RedisEventBus(RedisConfig config, std::string channel)
    : config_(config), channel_(std::move(channel)), publisher_(std::move(config)) {}

RedisEventBus::~RedisEventBus() {
  stopping_ = true;
  {
    std::lock_guard lock(mutex_);
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR); // unblocks the listener's read
  }
  if (listener_.joinable()) listener_.join();
}

void RedisEventBus::publish(std::span<const LiveEvent> events) {
  for (const auto& event : events) {
    if (!plain(event.type) || !plain(event.chat_id) || !plain(event.exclude_user)) {
      kLog.error("live event not published: malformed", {{"type", event.type}});
      continue;
    }
    auto r = publisher_.command({"PUBLISH", channel_, encode_live_event(event)});
    if (!r) kLog.warn("live event not published", {{"type", event.type}, {"error", r.error().message}});
  }
}

void RedisEventBus::subscribe(Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(std::move(subscriber));
  if (!listener_.joinable()) listener_ = std::thread([this] { listen(); });
}

void RedisEventBus::dispatch(std::span<const LiveEvent> events) {
  if (events.empty()) return;
  std::vector<Subscriber> subscribers;
  {
    std::lock_guard lock(mutex_);
    subscribers = subscribers_;
  }
  for (const auto& s : subscribers) s(events);
}

void RedisEventBus::listen() {
  auto backoff = std::chrono::milliseconds(100);
  bool missed = false; // events may have been published while this node was not subscribed
  while (!stopping_) {
    const timeval connect_timeout{static_cast<time_t>(config_.timeout.count() / 1000),
                                  static_cast<suseconds_t>((config_.timeout.count() % 1000) * 1000)};
    redisContext* c = redisConnectWithTimeout(config_.host.c_str(), config_.port, connect_timeout);
    bool registered = false;
    if (c && !c->err) {
      std::lock_guard lock(mutex_);
      // Registered under the lock after stopping_ was checked: the destructor either sees
      // the socket (and shuts it down) or this thread sees stopping_.
      registered = !stopping_;
      if (registered) fd_ = c->fd;
    }
    if (registered) {
      const timeval blocking{0, 0}; // reads wait until an event arrives or shutdown unblocks them
      redisSetTimeout(c, blocking);
      const char* argv[] = {"SUBSCRIBE", channel_.c_str()};
      if (auto* r = static_cast<redisReply*>(redisCommandArgv(c, 2, argv, nullptr))) {
        freeReplyObject(r);
        kLog.info("subscribed", {{"channel", channel_}});
        backoff = std::chrono::milliseconds(100);
        if (std::exchange(missed, false))
          dispatch(std::array{LiveEvent{std::string(kLiveInterrupted), "", "", {}, ""}});
        std::vector<LiveEvent> batch;
        void* raw = nullptr;
        // Waits for one event, then takes the ones already read with it, without waiting.
        while (!stopping_ && redisGetReply(c, &raw) == REDIS_OK && raw) {
          do {
            auto* reply = static_cast<redisReply*>(raw);
            // ["message", channel, payload]
            if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
                reply->element[2]->type == REDIS_REPLY_STRING) {
              auto event = decode_live_event(std::string_view(reply->element[2]->str, reply->element[2]->len));
              if (event)
                batch.push_back(std::move(*event));
              else
                kLog.warn("malformed live event ignored");
            }
            freeReplyObject(reply);
            raw = nullptr;
          } while (batch.size() < kMaxBatch && redisReaderGetReply(c->reader, &raw) == REDIS_OK && raw);
          dispatch(batch);
          batch.clear();
        }
      }
      std::lock_guard lock(mutex_);
      fd_ = -1;
    }
    const std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    if (stopping_) break;
    missed = true;
    kLog.warn("subscriber disconnected; reconnecting", {{"error", why}, {"in_ms", backoff.count()}});
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stopping_;
         waited += std::chrono::milliseconds(20))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

} // namespace parley
