#include "adapters/redis/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace parley {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      out.string.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.string.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

} // namespace

Result<RedisConfig> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  const auto bad = [&] { return fail(Error::invalid("invalid_redis_url", "expected redis://host:port")); };
  if (!url.starts_with(kScheme)) return bad();
  auto rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  RedisConfig c;
  c.host = std::string(rest.substr(0, colon));
  const auto port = rest.substr(colon + 1);
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), c.port);
  if (ec != std::errc() || ptr != port.data() + port.size() || c.port <= 0 || c.port > 65535) return bad();
  return c;
}

RedisClient::RedisClient(RedisConfig config) : config_(std::move(config)) {}

RedisClient::~RedisClient() { drop(); }

void RedisClient::drop() {
  if (context_) redisFree(context_);
  context_ = nullptr;
}

Result<void> RedisClient::ensure_connected() {
  if (context_) return {};
  context_ = redisConnectWithTimeout(config_.host.c_str(), config_.port, to_timeval(config_.timeout));
  if (!context_ || context_->err) {
    const std::string why = context_ ? context_->errstr : "out of memory";
    drop();
    return fail(Error::unavailable("redis_unavailable",
                                   "redis " + config_.host + ":" + std::to_string(config_.port) + ": " + why));
  }
  redisSetTimeout(context_, to_timeval(config_.timeout));
  return {};
}

Result<RedisReply> RedisClient::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  std::lock_guard lock(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto ok = ensure_connected(); !ok) return fail(ok.error());
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (!reply) { // the connection broke: try once more on a fresh one
      drop();
      continue;
    }
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> owned(reply, freeReplyObject);
    if (reply->type == REDIS_REPLY_ERROR) return fail(Error::internal("redis: " + std::string(reply->str, reply->len)));
    return convert(reply);
  }
  return fail(Error::unavailable("redis_unavailable", "redis connection lost"));
}

Result<RedisReply> RedisClient::next_push() {
  std::lock_guard lock(mutex_);
  if (auto ok = ensure_connected(); !ok) return fail(ok.error());
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || !raw) {
    const bool timeout = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    drop();
    return fail(Error::unavailable(timeout ? "redis_timeout" : "redis_unavailable", "no reply from redis"));
  }
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> owned(static_cast<redisReply*>(raw), freeReplyObject);
  return convert(owned.get());
}

} // namespace parley
