#pragma once
// The settings of `parley-gateway`, declared once in kGatewayOptions.

#include <array>
#include <cstdint>
#include <string>

#include "core/config.hpp"

namespace parley {

struct GatewayConfig {
  std::string listen;
  std::string web_dir;
  std::string web_connect_origins;
  std::int64_t io_threads = 0;
  std::int64_t handler_threads = 0;
  std::string log_level;
  std::string cors_origins;
  std::int64_t max_body_bytes = 0;
  std::int64_t media_max_bytes = 0;
  std::int64_t max_header_bytes = 0;
  std::int64_t max_connections = 0;
  std::int64_t read_timeout_s = 0;
  std::int64_t idle_timeout_s = 0;
  std::int64_t shutdown_grace_s = 0;
  std::string auth_urls;
  std::string user_urls;
  std::string chat_urls;
  std::string message_urls;
  std::string notification_urls;
  std::string ws_urls;
  std::int64_t upstream_connect_timeout_ms = 0;
  std::int64_t upstream_timeout_s = 0;
  std::int64_t ws_buffer_bytes = 0;
  std::string redis_url;
  std::int64_t rate_ip_per_min = 0;
  bool trust_forwarded = false;
  std::string jwt_issuer;
  std::int64_t jwks_refresh_s = 0;
};

using G = GatewayConfig;
inline constexpr std::array<ConfigOption<G>, 28> kGatewayOptions{{
    {"PARLEY_LISTEN", "127.0.0.1:8080", "Address and port to serve HTTP and WebSockets on (port 0: any free port).",
     &G::listen},
    {"PARLEY_WEB_DIR", "./web/dist", "The built web client, served at / (absent: only the API is served).",
     &G::web_dir},
    {"PARLEY_WEB_CONNECT_ORIGINS", "",
     "Origins besides this one the web client may send requests to, space-separated (with S3 media: the "
     "bucket's, where uploads go).",
     &G::web_connect_origins},
    {"PARLEY_IO_THREADS", "0", "Network threads (0: one per core).", &G::io_threads, 0, 256},
    {"PARLEY_HANDLER_THREADS", "0",
     "Threads that forward API requests, each waiting for its upstream's answer (0: sixteen per core).",
     &G::handler_threads, 0, 4096},
    {"PARLEY_LOG_LEVEL", "info", "debug, info, warn or error.", &G::log_level},
    {"PARLEY_CORS_ORIGINS", "http://localhost:5173,http://127.0.0.1:5173",
     "Comma-separated origins allowed to call the API from a browser.", &G::cors_origins},
    {"PARLEY_MAX_BODY_BYTES", "1048576", "Largest accepted request body (uploads: PARLEY_MEDIA_MAX_BYTES).",
     &G::max_body_bytes, 1024, 1LL << 30},
    {"PARLEY_MEDIA_MAX_BYTES", "26214400", "Largest body of an upload to /api/v1/media/blob/ (and of any answer).",
     &G::media_max_bytes, 1, 1LL << 34},
    {"PARLEY_MAX_HEADER_BYTES", "16384", "Largest accepted request header block.", &G::max_header_bytes, 1024, 1 << 20},
    {"PARLEY_MAX_CONNECTIONS", "18000",
     "Client connections (HTTP and WebSocket) served at once; more are refused. A WebSocket also holds one "
     "connection to its node.",
     &G::max_connections, 1, 1000000},
    {"PARLEY_READ_TIMEOUT_S", "15", "Seconds to receive a whole request once it started.", &G::read_timeout_s, 1, 3600},
    {"PARLEY_IDLE_TIMEOUT_S", "60", "Seconds a kept-alive connection may wait for its next request.",
     &G::idle_timeout_s, 1, 86400},
    {"PARLEY_SHUTDOWN_GRACE_S", "10", "Seconds in-flight requests get to finish at shutdown.", &G::shutdown_grace_s, 0,
     600},
    {"PARLEY_AUTH_URLS", "http://127.0.0.1:8081", "Instances of the auth service, comma-separated http://host:port.",
     &G::auth_urls},
    {"PARLEY_USER_URLS", "http://127.0.0.1:8082", "Instances of the user service.", &G::user_urls},
    {"PARLEY_CHAT_URLS", "http://127.0.0.1:8083", "Instances of the chat service.", &G::chat_urls},
    {"PARLEY_MESSAGE_URLS", "http://127.0.0.1:8084", "Instances of the message service (which also serves media).",
     &G::message_urls},
    {"PARLEY_NOTIFICATION_URLS", "http://127.0.0.1:8085", "Instances of the notification service.",
     &G::notification_urls},
    {"PARLEY_WS_URLS", "http://127.0.0.1:8086", "WebSocket nodes, comma-separated http://host:port.", &G::ws_urls},
    {"PARLEY_UPSTREAM_CONNECT_TIMEOUT_MS", "2000", "Milliseconds to connect to an instance before trying the next one.",
     &G::upstream_connect_timeout_ms, 1, 60000},
    {"PARLEY_UPSTREAM_TIMEOUT_S", "30", "Seconds an instance has to answer a forwarded request (then 502).",
     &G::upstream_timeout_s, 1, 3600},
    {"PARLEY_WS_BUFFER_BYTES", "16384", "Buffer per direction of each WebSocket connection.", &G::ws_buffer_bytes, 1024,
     1 << 20},
    {"PARLEY_REDIS_URL", "", "redis://host:port for rate limits shared by every gateway (empty: in this process).",
     &G::redis_url},
    {"PARLEY_RATE_IP_PER_MIN", "600", "API requests per minute per client address (token bucket, same burst).",
     &G::rate_ip_per_min, 1, 1000000},
    {"PARLEY_TRUST_FORWARDED", "false",
     "Take the client's address from X-Forwarded-For (only behind a load balancer that sets it).", &G::trust_forwarded},
    {"PARLEY_JWT_ISSUER", "parley", "The iss claim access tokens must carry (as the auth service sets it).",
     &G::jwt_issuer},
    {"PARLEY_JWKS_REFRESH_S", "300", "Seconds between fetches of the access-token key from the auth service.",
     &G::jwks_refresh_s, 1, 86400},
}};

} // namespace parley
