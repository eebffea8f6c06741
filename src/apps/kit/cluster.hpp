#pragma once
// What the per-service executables of a distributed deployment share: clients of the other
// services, the settings of Redis, Kafka and MongoDB in the adapters' own terms, and the base
// every service's wiring starts from.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/mongo/mongo_client.hpp"
#include "adapters/redis/redis_client.hpp"
#include "apps/kit/serve.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "services/auth/cached_verifier.hpp"
#include "services/auth/jwks_keys.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class Cluster {
 public:
  // Throws std::runtime_error on a malformed URL.
  explicit Cluster(const Settings& settings);

  // The client of another service: "auth", "user", "chat", "message" or "notification".
  const ServiceClient& service(const std::string& name) const;
  const RedisConfig& redis() const { return redis_; }
  KafkaConfig kafka(const std::string& topic) const;
  // The service's own database: PARLEY_MONGO_DATABASE_PREFIX + name.
  std::string database(std::string_view service) const;
  const Settings& settings() const { return settings_; }

 private:
  const Settings& settings_;
  HttpClient http_;
  RedisConfig redis_;
  std::map<std::string, std::unique_ptr<ServiceClient>, std::less<>> services_;
};

MongoConfig mongo_config(const Settings& settings);
// This process among the nodes sharing Redis presence: "<node id>@<listen address>#<run>",
// <run> telling this start of the process from earlier ones.
std::string node_name(const Settings& settings);
// 32 bytes for `purpose` derived from the service token (HMAC-SHA256): a secret every
// instance of a service shares, e.g. for signing media URLs.
std::string cluster_secret(const Settings& settings, std::string_view purpose);

// Creates each store's indexes, retrying for a while when MongoDB is not reachable yet (a
// service may start before it); throws std::runtime_error when they cannot be created.
template <class... Stores>
void create_indexes(Stores&... stores);

// What every service of a distributed deployment holds: the clients of the other services,
// a clock and ids, its routes, and the access-token keys fetched from the auth service.
class ClusterService : public Served {
 public:
  http::Router& router() override { return routes; }
  bool ready() override { return !verifies_tokens_ || keys.ready(); }

 protected:
  enum class Tokens { signed_here, from_auth };
  // With Tokens::from_auth, the keys are fetched now and refreshed in the background.
  ClusterService(const Settings& settings, Tokens tokens);

  Cluster cluster;
  SystemClock clock;
  SnowflakeIdGen ids;
  JwksKeys keys;
  CachedVerifier verifier{keys, clock}; // what the routes verify access tokens with
  http::Router routes;

 private:
  bool verifies_tokens_;
};

namespace detail {
void create_indexes_with_retry(const std::function<Result<void>()>& create);
}

template <class... Stores>
void create_indexes(Stores&... stores) {
  (detail::create_indexes_with_retry([&stores] { return stores.create_indexes(); }), ...);
}

} // namespace parley
