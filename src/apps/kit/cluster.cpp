#include "apps/kit/cluster.hpp"

#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include <sodium.h>
#include <boost/json/serialize.hpp>

#include "apps/kit/settings.hpp"
#include "core/log.hpp"

namespace parley {
namespace {

const Logger kLog{"cluster"};
constexpr int kIndexAttempts = 30; // one second apart

// GET /api/v1/auth/jwks from an auth instance.
JwksKeys::Fetch jwks_from(const ServiceClient& auth) {
  return [&auth]() -> Result<std::string> {
    auto reply = auth.call("GET", "/api/v1/auth/jwks");
    if (!reply) return fail(std::move(reply.error()));
    return boost::json::serialize(*reply);
  };
}

JwksTiming jwks_timing(const Settings& s) {
  return {std::chrono::seconds(s.cluster.jwks_refresh_s), std::chrono::seconds(1), std::chrono::seconds(10)};
}

} // namespace

Cluster::Cluster(const Settings& settings) : settings_(settings) {
  auto redis = parse_redis_url(settings.cluster.redis_url);
  if (!redis) throw std::runtime_error("PARLEY_REDIS_URL: " + redis.error().message);
  redis_ = *redis;
  const auto& c = settings.cluster;
  for (const auto& [name, urls] : {std::pair{"auth", &c.auth_urls},
                                   {"user", &c.user_urls},
                                   {"chat", &c.chat_urls},
                                   {"message", &c.message_urls},
                                   {"notification", &c.notification_urls}}) {
    auto list = split_list(*urls);
    for (const auto& url : list)
      if (!url.starts_with("http://") && !url.starts_with("https://"))
        throw std::runtime_error(std::string("the ") + name + " service's URL '" + url + "' is not http(s)://");
    if (!list.empty())
      services_.emplace(name, std::make_unique<ServiceClient>(name, std::move(list), c.service_token, http_));
  }
}

const ServiceClient& Cluster::service(const std::string& name) const {
  const auto it = services_.find(name);
  if (it == services_.end()) throw std::runtime_error("no URL configured for the " + name + " service");
  return *it->second;
}

KafkaConfig Cluster::kafka(const std::string& topic) const {
  KafkaConfig k;
  k.brokers = settings_.cluster.kafka_brokers;
  k.topic = topic;
  k.partitions = static_cast<int>(settings_.cluster.kafka_partitions);
  k.replication = static_cast<int>(settings_.cluster.kafka_replication);
  k.session_timeout = std::chrono::milliseconds(settings_.cluster.kafka_session_timeout_ms);
  return k;
}

std::string Cluster::database(std::string_view service) const {
  return settings_.cluster.mongo_database_prefix + std::string(service);
}

MongoConfig mongo_config(const Settings& settings) {
  MongoConfig m;
  m.url = settings.cluster.mongo_url;
  if (settings.cluster.mongo_write_concern != "majority" && settings.cluster.mongo_write_concern != "1")
    throw std::runtime_error("PARLEY_MONGO_WRITE_CONCERN: majority or 1");
  m.majority = settings.cluster.mongo_write_concern == "majority";
  return m;
}

std::string node_name(const Settings& settings) {
  // Unique per process start: a node restarted after a crash does not inherit the counts its
  // previous run left behind (they lapse with that run's heartbeat).
  static const std::string run =
      std::to_string(::getpid()) + "." +
      std::to_string(std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1));
  return std::to_string(settings.parley.node_id) + "@" + settings.parley.listen + "#" + run;
}

std::string cluster_secret(const Settings& settings, std::string_view purpose) {
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(settings.cluster.service_token.data()),
                              settings.cluster.service_token.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

ClusterService::ClusterService(const Settings& settings, Tokens tokens)
    : cluster(settings),
      ids(clock, static_cast<std::uint32_t>(settings.parley.node_id)),
      keys(tokens == Tokens::from_auth ? jwks_from(cluster.service("auth")) : JwksKeys::Fetch{},
           settings.parley.jwt_issuer, clock, jwks_timing(settings)),
      verifies_tokens_(tokens == Tokens::from_auth) {
  if (verifies_tokens_) keys.start();
}

namespace detail {
void create_indexes_with_retry(const std::function<Result<void>()>& create) {
  for (int attempt = 1;; ++attempt) {
    auto created = create();
    if (created) return;
    if (attempt == kIndexAttempts || created.error().kind != ErrorKind::unavailable)
      throw std::runtime_error("cannot create the MongoDB indexes: " + created.error().message);
    kLog.warn("MongoDB not reachable yet, retrying", {{"error", created.error().message}});
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}
} // namespace detail

} // namespace parley
