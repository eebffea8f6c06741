#pragma once
// The settings of a distributed deployment, on top of ParleyConfig: where the shared engines
// and the other services are, and the token services present to each other.

#include <array>
#include <cstdint>
#include <string>

#include "core/config.hpp"

namespace parley {

struct ClusterConfig {
  std::string service_token;
  std::string mongo_url;
  std::string mongo_write_concern;
  std::string mongo_database_prefix;
  std::string kafka_brokers;
  std::int64_t kafka_partitions = 0;
  std::int64_t kafka_replication = 0;
  std::int64_t kafka_session_timeout_ms = 0;
  std::string kafka_events_topic;
  std::string kafka_commands_topic;
  std::string redis_url;
  std::string auth_urls;
  std::string user_urls;
  std::string chat_urls;
  std::string message_urls;
  std::string notification_urls;
  std::int64_t jwks_refresh_s = 0;
  bool trust_forwarded = true;
};

using CC = ClusterConfig;
inline constexpr std::array<ConfigOption<CC>, 18> kClusterOptions{{
    {"PARLEY_SERVICE_TOKEN", "", "Shared secret services present to each other's internal API (required).",
     &CC::service_token, 0, 0, true},
    {"PARLEY_MONGO_URL", "mongodb://127.0.0.1:27017", "MongoDB connection string.", &CC::mongo_url},
    {"PARLEY_MONGO_WRITE_CONCERN", "majority", "Write concern of every write: majority or a number of nodes.",
     &CC::mongo_write_concern},
    {"PARLEY_MONGO_DATABASE_PREFIX", "parley_", "Prefix of the service's database name (e.g. parley_chat).",
     &CC::mongo_database_prefix},
    {"PARLEY_KAFKA_BROKERS", "127.0.0.1:9092", "Kafka bootstrap servers, comma-separated.", &CC::kafka_brokers},
    {"PARLEY_KAFKA_PARTITIONS", "12", "Partitions of the topics Parley creates.", &CC::kafka_partitions, 1, 10000},
    {"PARLEY_KAFKA_REPLICATION", "1", "Replication factor of the topics Parley creates.", &CC::kafka_replication, 1,
     16},
    {"PARLEY_KAFKA_SESSION_TIMEOUT_MS", "10000",
     "Milliseconds after which a silent consumer (a dead instance) loses its partitions to the others.",
     &CC::kafka_session_timeout_ms, 6000, 300000},
    {"PARLEY_KAFKA_EVENTS_TOPIC", "parley.events", "Topic of domain events (message.created, chat.updated, ...).",
     &CC::kafka_events_topic},
    {"PARLEY_KAFKA_COMMANDS_TOPIC", "parley.message-commands", "Topic of send commands, keyed by chat.",
     &CC::kafka_commands_topic},
    {"PARLEY_REDIS_URL", "redis://127.0.0.1:6379", "Redis for live fan-out, presence and rate limits.", &CC::redis_url},
    {"PARLEY_AUTH_URLS", "http://127.0.0.1:8081", "Instances of the auth service, comma-separated.", &CC::auth_urls},
    {"PARLEY_USER_URLS", "http://127.0.0.1:8082", "Instances of the user service.", &CC::user_urls},
    {"PARLEY_CHAT_URLS", "http://127.0.0.1:8083", "Instances of the chat service.", &CC::chat_urls},
    {"PARLEY_MESSAGE_URLS", "http://127.0.0.1:8084", "Instances of the message service.", &CC::message_urls},
    {"PARLEY_NOTIFICATION_URLS", "http://127.0.0.1:8085", "Instances of the notification service.",
     &CC::notification_urls},
    {"PARLEY_JWKS_REFRESH_S", "300", "Seconds between fetches of the access-token keys from the auth service.",
     &CC::jwks_refresh_s, 1, 86400},
    {"PARLEY_TRUST_FORWARDED", "true",
     "Take the client's address (rate limits, logs) from the last X-Forwarded-For entry, the gateway's: "
     "services must be reachable only through the gateway.",
     &CC::trust_forwarded},
}};

} // namespace parley
