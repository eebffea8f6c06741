// parley-chat: the chat service of a distributed deployment (chats, members, roles) on
// MongoDB; chat.updated goes live through Redis and to other services through Kafka.

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/mongo/mongo_chat_store.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/redis/redis_presence.hpp"
#include "adapters/remote/remote_message_digest.hpp"
#include "adapters/remote/remote_user_directory.hpp"
#include "apps/kit/cluster.hpp"
#include "services/chat/internal_routes.hpp"
#include "services/chat/routes.hpp"

namespace parley {
namespace {

struct ChatApp final : ClusterService {
  explicit ChatApp(const Settings& s)
      : ClusterService(s, Tokens::from_auth),
        pool(mongo_config(s)),
        store(pool, cluster.database("chat")),
        users(cluster.service("user")),
        digests(cluster.service("message")),
        presence(cluster.redis(), node_name(s)),
        live(cluster.redis()),
        events(cluster.kafka(s.cluster.kafka_events_topic)),
        membership(store),
        chats(ChatConfig{s.parley.max_group_members}, {store, users, digests, presence, live, events, clock, ids}) {
    create_indexes(store);
    mount_chat_routes(routes, chats, verifier);
    mount_chat_internal_routes(routes, membership, s.cluster.service_token);
  }

  MongoPool pool;
  MongoChatStore store;
  RemoteUserDirectory users;
  RemoteMessageDigest digests;
  RedisPresence presence;
  RedisEventBus live;
  KafkaEventLog events;
  ChatDirectory membership;
  ChatService chats;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::ChatApp>("parley-chat", "the chat service of a distributed Parley.", argc, argv);
}
