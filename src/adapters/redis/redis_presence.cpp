#include "adapters/redis/redis_presence.hpp"

#include "core/log.hpp"

namespace parley {

namespace {

const Logger kLog{"redis"};
constexpr const char* kNodePrefix = "parley:node:";

// KEYS[1] the user's hash, KEYS[2] their last-seen key; ARGV node, delta, now_ms.
// Returns {live connections before, after}. Counts of nodes without a heartbeat are dropped.
constexpr const char* kChangeScript = R"lua(
local function live_total()
  local total = 0
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if redis.call('EXISTS', 'parley:node:' .. all[i]) == 1 then
      total = total + tonumber(all[i + 1])
    else
      redis.call('HDEL', KEYS[1], all[i])
    end
  end
  return total
end
local before = live_total()
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
local after = live_total()
redis.call('SET', KEYS[2], ARGV[3])
return {before, after}
)lua";

// KEYS: for each user, their hash then their last-seen key. Returns {online, last_seen_ms}...
constexpr const char* kStatesScript = R"lua(
local out = {}
for i = 1, #KEYS, 2 do
  local online = 0
  local all = redis.call('HGETALL', KEYS[i])
  for j = 1, #all, 2 do
    if tonumber(all[j + 1]) > 0 and redis.call('EXISTS', 'parley:node:' .. all[j]) == 1 then online = 1 end
  end
  out[#out + 1] = online
  out[#out + 1] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
end
return out
)lua";

std::string hash_key(std::string_view user) { return "parley:presence:" + std::string(user); }
std::string seen_key(std::string_view user) { return "parley:last_seen:" + std::string(user); }

} // namespace

RedisPresence::RedisPresence(RedisConfig config, std::string node_id, std::chrono::milliseconds heartbeat_ttl)
    : redis_(config), heart_(config), node_id_(std::move(node_id)), ttl_(heartbeat_ttl) {
  // The first beat before any connection is counted: counts of a node without one do not exist.
  if (auto ok = heart_.command({"SET", kNodePrefix + node_id_, "1", "PX", std::to_string(ttl_.count())}); !ok)
    kLog.warn("presence heartbeat failed", {{"error", ok.error().message}});
  heartbeat_ = std::thread([this] { beat(); });
}

RedisPresence::~RedisPresence() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  heartbeat_.join();
  (void)heart_.command({"DEL", kNodePrefix + node_id_});
}

void RedisPresence::beat() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, ttl_ / 3, [this] { return stopping_; })) {
    lock.unlock();
    if (auto ok = heart_.command({"SET", kNodePrefix + node_id_, "1", "PX", std::to_string(ttl_.count())}); !ok)
      kLog.warn("presence heartbeat failed", {{"error", ok.error().message}});
    lock.lock();
  }
}

Result<bool> RedisPresence::change(std::string_view user_id, int delta, std::int64_t now_ms) {
  auto r = redis_.command({"EVAL", kChangeScript, "2", hash_key(user_id), seen_key(user_id), node_id_,
                           std::to_string(delta), std::to_string(now_ms)});
  if (!r) return fail(r.error());
  if (r->type != RedisReply::Type::array || r->elements.size() != 2)
    return fail(Error::internal("redis presence: unexpected reply"));
  const auto before = r->elements[0].integer;
  const auto after = r->elements[1].integer;
  return delta > 0 ? (before == 0 && after > 0) : (before > 0 && after == 0);
}

Result<bool> RedisPresence::connected(std::string_view user_id, std::int64_t now_ms) {
  return change(user_id, 1, now_ms);
}

Result<bool> RedisPresence::disconnected(std::string_view user_id, std::int64_t now_ms) {
  return change(user_id, -1, now_ms);
}

Result<std::vector<PresenceState>> RedisPresence::states(const std::vector<std::string>& user_ids) {
  std::vector<PresenceState> out;
  if (user_ids.empty()) return out;
  std::vector<std::string> args{"EVAL", kStatesScript, std::to_string(user_ids.size() * 2)};
  for (const auto& u : user_ids) {
    args.push_back(hash_key(u));
    args.push_back(seen_key(u));
  }
  auto r = redis_.command(args);
  if (!r) return fail(r.error());
  if (r->type != RedisReply::Type::array || r->elements.size() != user_ids.size() * 2)
    return fail(Error::internal("redis presence: unexpected reply"));
  for (std::size_t i = 0; i < user_ids.size(); ++i)
    out.push_back({r->elements[2 * i].integer == 1, r->elements[2 * i + 1].integer});
  return out;
}

} // namespace parley
