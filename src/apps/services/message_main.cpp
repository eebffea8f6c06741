// parley-message: the message service of a distributed deployment on MongoDB. It stores the
// send commands WebSocket nodes put on Kafka (one chat partition at a time: per-chat order),
// serves history, edits, receipts and reactions, and the media uploads of messages.

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/localfs/local_blob_routes.hpp"
#include "adapters/localfs/local_media_storage.hpp"
#include "adapters/mongo/mongo_message_store.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/redis/redis_rate_limiter.hpp"
#include "adapters/remote/cached_membership.hpp"
#include "adapters/remote/remote_membership.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/settings.hpp"
#include "services/media/routes.hpp"
#include "services/message/commands.hpp"
#include "services/message/internal_routes.hpp"
#include "services/message/messaging_routes.hpp"
#include "services/message/routes.hpp"
#include "services/message/send_limit.hpp"

namespace parley {
namespace {

struct MessageApp final : ClusterService {
  explicit MessageApp(const Settings& s)
      : ClusterService(s, Tokens::from_auth),
        pool(mongo_config(s)),
        store(pool, cluster.database("message")),
        chat_service(cluster.service("chat")),
        live(cluster.redis()),
        membership(chat_service, live, clock),
        events(cluster.kafka(s.cluster.kafka_events_topic)),
        commands(cluster.kafka(s.cluster.kafka_commands_topic)),
        media_storage(make_media_storage(s.parley, cluster_secret(s, "parley media urls v1"), clock)),
        media(media_config(s.parley), *media_storage, membership, store, clock),
        messages({store, membership, live, events, media, clock, ids}),
        rest_sends(messages, commands, ids),
        send_limiter(cluster.redis(), kSendRatePrefix),
        send_limit(send_limiter, static_cast<double>(s.parley.send_per_min), static_cast<double>(s.parley.send_burst)) {
    create_indexes(store);
    commands.subscribe("message-commands", SendCommandHandler(messages, live));
    mount_message_routes(routes, messages, verifier,
                         [this](std::string_view me, const SendInput& in) -> Result<Appended> {
                           if (auto ok = send_limit.take(me); !ok) return fail(std::move(ok.error()));
                           return rest_sends.send(me, in);
                         });
    mount_messaging_routes(routes, messages, s.cluster.service_token);
    mount_message_internal_routes(routes, messages, s.cluster.service_token);
    mount_media_routes(routes, media, verifier);
    // The bytes are served here only with local storage (every instance shares its folder).
    if (auto* local = dynamic_cast<LocalMediaStorage*>(media_storage.get())) mount_blob_routes(routes, *local);
  }
  // The command consumer stops before the service it calls goes away.
  ~MessageApp() override { commands.close(); }

  MongoPool pool;
  MongoMessageStore store;
  RemoteMembership chat_service;
  RedisEventBus live;
  CachedMembership membership; // every send, receipt and batch of new messages asks it
  KafkaEventLog events;
  KafkaEventLog commands;
  std::unique_ptr<MediaStorage> media_storage;
  MediaService media;
  MessageService messages;
  QueuedSends rest_sends;
  RedisRateLimiter send_limiter; // shared with the WebSocket nodes
  SendLimit send_limit;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::MessageApp>("parley-message", "the message service of a distributed Parley.", argc,
                                                 argv);
}
