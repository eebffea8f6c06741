// parley-message: the message service of a distributed deployment on MongoDB. It stores the
// send commands WebSocket nodes put on Kafka (one chat partition at a time: per-chat order),
// serves history, edits, receipts and reactions, and the media uploads of messages.

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/localfs/local_blob_routes.hpp"
#include "adapters/localfs/local_media_storage.hpp"
#include "adapters/mongo/mongo_stores.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/remote/remote_ports.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/jwks_verifier.hpp"
#include "apps/kit/settings.hpp"
#include "services/media/routes.hpp"
#include "services/message/commands.hpp"
#include "services/message/internal_routes.hpp"
#include "services/message/messaging_routes.hpp"
#include "services/message/routes.hpp"

namespace parley {
namespace {

struct MessageApp final : Served {
  explicit MessageApp(const Settings& s)
      : cluster(s),
        ids(clock, static_cast<std::uint32_t>(s.parley.node_id)),
        verifier(cluster.service("auth"), s.parley.jwt_issuer, clock, std::chrono::seconds(s.cluster.jwks_refresh_s)),
        pool(mongo_config(s)),
        db(pool, cluster.database("message")),
        store(db),
        membership(cluster.service("chat")),
        live(cluster.redis()),
        events(cluster.kafka(s.cluster.kafka_events_topic)),
        commands(cluster.kafka(s.cluster.kafka_commands_topic)),
        media_storage(std::filesystem::path(s.parley.data_dir) / "media", public_url(s.parley),
                      cluster_secret(s, "parley media urls v1"), clock),
        media(media_config(s.parley), media_storage, membership, clock),
        messages({store, membership, live, events, media, clock, ids}) {
    commands.subscribe("message-commands", SendCommandHandler(messages, live));
    mount_message_routes(routes, messages, verifier);
    mount_messaging_routes(routes, messages, s.cluster.service_token);
    mount_message_internal_routes(routes, messages, s.cluster.service_token);
    mount_media_routes(routes, media, verifier);
    mount_blob_routes(routes, media_storage);
  }
  // The command consumer stops before the service it calls goes away.
  ~MessageApp() override { commands.close(); }
  http::Router& router() override { return routes; }
  bool ready() override { return verifier.ready(); }

  Cluster cluster;
  SystemClock clock;
  SnowflakeIdGen ids;
  JwksVerifier verifier;
  MongoPool pool;
  MongoDatabase db;
  MongoMessageStore store;
  RemoteMembership membership;
  RedisEventBus live;
  KafkaEventLog events;
  KafkaEventLog commands;
  LocalMediaStorage media_storage;
  MediaService media;
  MessageService messages;
  http::Router routes;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::MessageApp>("parley-message", "the message service of a distributed Parley.", argc,
                                                 argv);
}
