// parley-ws: a WebSocket node of a distributed deployment. It holds connections, hands sends
// to the message service through Kafka (keyed by chat), calls it for the rest, and delivers
// the live events every node receives from Redis to the connections it holds.

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/redis/redis_presence.hpp"
#include "adapters/redis/redis_rate_limiter.hpp"
#include "adapters/remote/cached_membership.hpp"
#include "adapters/remote/remote_membership.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/settings.hpp"
#include "services/message/message_client.hpp"
#include "services/message/send_limit.hpp"
#include "services/realtime/service.hpp"

namespace parley {
namespace {

struct WsApp final : ClusterService {
  explicit WsApp(const Settings& s)
      : ClusterService(s, Tokens::from_auth),
        chat_service(cluster.service("chat")),
        presence(cluster.redis(), node_name(s)),
        live(cluster.redis()),
        membership(chat_service, live, clock),
        commands(cluster.kafka(s.cluster.kafka_commands_topic)),
        messages({cluster.service("message"), commands, membership, ids}),
        send_limiter(cluster.redis(), kSendRatePrefix),
        send_limit(send_limiter, static_cast<double>(s.parley.send_per_min), static_cast<double>(s.parley.send_burst)),
        limited_messages(messages, send_limit),
        realtime(realtime_config(s.parley), {verifier, limited_messages, membership, presence, live, clock}) {}
  std::optional<http::Upgrade> upgrade() override { return realtime.upgrade(); }

  RemoteMembership chat_service;
  RedisPresence presence;
  RedisEventBus live;
  CachedMembership membership; // every send and typing frame asks it
  KafkaEventLog commands;
  MessageClient messages;
  RedisRateLimiter send_limiter; // shared with the message instances (REST sends)
  SendLimit send_limit;
  SendLimitedMessaging limited_messages;
  RealtimeService realtime;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::WsApp>("parley-ws", "a WebSocket node of a distributed Parley.", argc, argv);
}
