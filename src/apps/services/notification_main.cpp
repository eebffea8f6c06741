// parley-notification: the notification service of a distributed deployment on MongoDB; it
// consumes domain events from Kafka and pushes `notification` frames through Redis.

#include <algorithm>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/mongo/mongo_notification_store.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/redis/redis_presence.hpp"
#include "adapters/remote/remote_email_directory.hpp"
#include "adapters/remote/remote_membership.hpp"
#include "adapters/remote/remote_message_digest.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/settings.hpp"
#include "services/notification/routes.hpp"
#include "services/notification/worker.hpp"

namespace parley {
namespace {

struct NotificationApp final : ClusterService {
  explicit NotificationApp(const Settings& s)
      : ClusterService(s, Tokens::from_auth),
        pool(mongo_config(s)),
        store(pool, cluster.database("notification")),
        digests(cluster.service("message")),
        membership(cluster.service("chat")),
        presence(cluster.redis(), node_name(s)),
        live(cluster.redis()),
        addresses(cluster.service("auth")),
        mailer(make_mailer(s.parley, clock)),
        events(cluster.kafka(s.cluster.kafka_events_topic)),
        notifications(notification_config(s.parley),
                      {store, digests, membership, presence, live, addresses, *mailer, clock, ids}),
        worker(notifications, std::chrono::milliseconds(200),
               std::clamp<std::chrono::milliseconds>(notifications.config().digest_after, std::chrono::seconds(1),
                                                     std::chrono::minutes(1))) {
    create_indexes(store);
    events.subscribe("notifications",
                     [this](std::span<const DomainEvent> batch) { return notifications.handle(batch); });
    mount_notification_routes(routes, notifications, verifier);
  }
  // The consumer stops before the service it calls goes away.
  ~NotificationApp() override { events.close(); }

  MongoPool pool;
  MongoNotificationStore store;
  RemoteMessageDigest digests;
  RemoteMembership membership;
  RedisPresence presence;
  RedisEventBus live;
  RemoteEmailDirectory addresses;
  std::unique_ptr<Mailer> mailer;
  KafkaEventLog events;
  NotificationService notifications;
  NotificationWorker worker;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::NotificationApp>("parley-notification",
                                                      "the notification service of a distributed Parley.", argc, argv);
}
