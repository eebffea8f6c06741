// parley-notification: the notification service of a distributed deployment on MongoDB; it
// consumes domain events from Kafka and pushes `notification` frames through Redis.

#include <algorithm>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/mongo/mongo_stores.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/redis/redis_presence.hpp"
#include "adapters/remote/remote_ports.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/jwks_verifier.hpp"
#include "apps/kit/settings.hpp"
#include "services/notification/routes.hpp"
#include "services/notification/worker.hpp"

namespace parley {
namespace {

struct NotificationApp final : Served {
  explicit NotificationApp(const Settings& s)
      : cluster(s),
        ids(clock, static_cast<std::uint32_t>(s.parley.node_id)),
        verifier(cluster.service("auth"), s.parley.jwt_issuer, clock, std::chrono::seconds(s.cluster.jwks_refresh_s)),
        pool(mongo_config(s)),
        db(pool, cluster.database("notification")),
        store(db),
        digests(cluster.service("message")),
        presence(cluster.redis(), node_name(s)),
        live(cluster.redis()),
        addresses(cluster.service("auth")),
        mailer(make_mailer(s.parley, clock)),
        events(cluster.kafka(s.cluster.kafka_events_topic)),
        notifications(notification_config(s.parley), {store, digests, presence, live, addresses, *mailer, clock, ids}),
        worker(notifications, std::chrono::milliseconds(200),
               std::clamp<std::chrono::milliseconds>(notifications.config().digest_after, std::chrono::seconds(1),
                                                     std::chrono::minutes(1))) {
    events.subscribe("notifications", [this](const DomainEvent& e) { return notifications.handle(e); });
    mount_notification_routes(routes, notifications, verifier);
  }
  // The consumer stops before the service it calls goes away.
  ~NotificationApp() override { events.close(); }
  http::Router& router() override { return routes; }
  bool ready() override { return verifier.ready(); }

  Cluster cluster;
  SystemClock clock;
  SnowflakeIdGen ids;
  JwksVerifier verifier;
  MongoPool pool;
  MongoDatabase db;
  MongoNotificationStore store;
  RemoteMessageDigest digests;
  RedisPresence presence;
  RedisEventBus live;
  RemoteEmailDirectory addresses;
  std::unique_ptr<Mailer> mailer;
  KafkaEventLog events;
  NotificationService notifications;
  NotificationWorker worker;
  http::Router routes;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::NotificationApp>("parley-notification",
                                                      "the notification service of a distributed Parley.", argc, argv);
}
