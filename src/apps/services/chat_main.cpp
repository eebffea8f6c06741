// parley-chat: the chat service of a distributed deployment (chats, members, roles) on
// MongoDB; chat.updated goes live through Redis and to other services through Kafka.

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/mongo/mongo_stores.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/redis/redis_presence.hpp"
#include "adapters/remote/remote_ports.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/jwks_verifier.hpp"
#include "services/chat/internal_routes.hpp"
#include "services/chat/routes.hpp"

namespace parley {
namespace {

struct ChatApp final : Served {
  explicit ChatApp(const Settings& s)
      : cluster(s),
        ids(clock, static_cast<std::uint32_t>(s.parley.node_id)),
        verifier(cluster.service("auth"), s.parley.jwt_issuer, clock, std::chrono::seconds(s.cluster.jwks_refresh_s)),
        pool(mongo_config(s)),
        db(pool, cluster.database("chat")),
        store(db),
        users(cluster.service("user")),
        digests(cluster.service("message")),
        presence(cluster.redis(), node_name(s)),
        live(cluster.redis()),
        events(cluster.kafka(s.cluster.kafka_events_topic)),
        membership(store),
        chats(ChatConfig{s.parley.max_group_members}, {store, users, digests, presence, live, events, clock, ids}) {
    mount_chat_routes(routes, chats, verifier);
    mount_chat_internal_routes(routes, membership, s.cluster.service_token);
  }
  http::Router& router() override { return routes; }
  bool ready() override { return verifier.ready(); }

  Cluster cluster;
  SystemClock clock;
  SnowflakeIdGen ids;
  JwksVerifier verifier;
  MongoPool pool;
  MongoDatabase db;
  MongoChatStore store;
  RemoteUserDirectory users;
  RemoteMessageDigest digests;
  RedisPresence presence;
  RedisEventBus live;
  KafkaEventLog events;
  ChatDirectory membership;
  ChatService chats;
  http::Router routes;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::ChatApp>("parley-chat", "the chat service of a distributed Parley.", argc, argv);
}
