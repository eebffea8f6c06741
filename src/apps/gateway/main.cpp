// parley-gateway: the one address clients talk to in a distributed deployment. Forwards each
// API route to its service, tunnels /ws to the WebSocket nodes, serves the web client, and
// refuses at the edge what no service should see. Wiring only: the logic lives in
// services/gateway and transport/proxy.

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include <sys/resource.h>

#include "adapters/inproc/memory_rate_limiter.hpp"
#include "adapters/redis/redis_rate_limiter.hpp"
#include "apps/gateway/config.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "services/auth/cached_verifier.hpp"
#include "services/auth/jwks_keys.hpp"
#include "services/gateway/edge_guard.hpp"
#include "services/gateway/routes.hpp"
#include "transport/client/service_client.hpp"
#include "transport/http/ops_routes.hpp"
#include "transport/http/server.hpp"
#include "transport/http/static_files.hpp"
#include "transport/proxy/reverse_proxy.hpp"
#include "transport/proxy/ws_tunnel.hpp"

namespace parley {
namespace {

const Logger kLog{"gateway"};

constexpr std::string_view kJwksPath = "/api/v1/auth/jwks";
constexpr std::size_t kReplySlack = 1 << 20; // headers and envelope around the largest file
constexpr rlim_t kSpareFds = 256;            // the listening socket, Redis, web files, logs

// The upstream lists, each checked; problems are added to `problems`.
struct UpstreamLists {
  std::vector<proxy::UpstreamAddress> auth, user, chat, message, notification, ws;
};

UpstreamLists parse_upstreams(const GatewayConfig& c, std::vector<std::string>& problems) {
  UpstreamLists out;
  const std::array<std::tuple<const char*, const std::string*, std::vector<proxy::UpstreamAddress>*>, 6> lists{{
      {"PARLEY_AUTH_URLS", &c.auth_urls, &out.auth},
      {"PARLEY_USER_URLS", &c.user_urls, &out.user},
      {"PARLEY_CHAT_URLS", &c.chat_urls, &out.chat},
      {"PARLEY_MESSAGE_URLS", &c.message_urls, &out.message},
      {"PARLEY_NOTIFICATION_URLS", &c.notification_urls, &out.notification},
      {"PARLEY_WS_URLS", &c.ws_urls, &out.ws},
  }};
  for (const auto& [name, text, target] : lists) {
    auto parsed = proxy::parse_upstream_list(*text);
    if (parsed)
      *target = std::move(*parsed);
    else
      problems.push_back(std::string(name) + ": " + parsed.error().message);
  }
  return out;
}

http::ServerConfig server_config(const GatewayConfig& c) {
  http::ServerConfig s;
  if (!parse_host_port(c.listen, s.host, s.port))
    throw std::runtime_error("PARLEY_LISTEN must be host:port, with a port from 0 to 65535");
  s.io_threads = static_cast<int>(c.io_threads);
  // Forwarding handlers mostly wait on their upstream: many more threads than cores.
  s.handler_threads = c.handler_threads > 0 ? static_cast<int>(c.handler_threads)
                                            : std::max(16, 16 * static_cast<int>(std::thread::hardware_concurrency()));
  s.max_body_bytes = static_cast<std::size_t>(c.max_body_bytes);
  s.max_header_bytes = static_cast<std::size_t>(c.max_header_bytes);
  s.max_connections = static_cast<std::size_t>(c.max_connections);
  s.read_timeout = std::chrono::seconds(c.read_timeout_s);
  s.idle_timeout = std::chrono::seconds(c.idle_timeout_s);
  s.shutdown_grace = std::chrono::seconds(c.shutdown_grace_s);
  s.cors_origins = split_list(c.cors_origins);
  s.large_body_prefixes = {{"/api/v1/media/blob/", static_cast<std::size_t>(c.media_max_bytes)}};
  return s;
}

HttpClientConfig client_config(const GatewayConfig& c) {
  HttpClientConfig h;
  h.connect_timeout = std::chrono::milliseconds(c.upstream_connect_timeout_ms);
  h.timeout = std::chrono::seconds(c.upstream_timeout_s);
  h.max_reply_bytes = static_cast<std::size_t>(std::max(c.media_max_bytes, c.max_body_bytes)) + kReplySlack;
  return h;
}

std::unique_ptr<RateLimiter> make_limiter(const GatewayConfig& c, const Clock& clock) {
  if (c.redis_url.empty()) return std::make_unique<MemoryRateLimiter>(clock);
  auto redis = parse_redis_url(c.redis_url);
  if (!redis) throw std::runtime_error("PARLEY_REDIS_URL: " + redis.error().message);
  return std::make_unique<RedisRateLimiter>(*redis, "parley:gateway:rate:");
}

// GET /api/v1/auth/jwks from the auth instances in turn (it is idempotent: any failure moves on).
JwksKeys::Fetch jwks_fetch(const proxy::Upstreams& auth, const HttpClient& http) {
  return [&auth, &http]() -> Result<std::string> {
    Error last = Error::unavailable("upstream_unavailable", "no auth instance answered");
    const std::size_t first = auth.first();
    for (std::size_t attempt = 0; attempt < auth.size(); ++attempt) {
      const auto& instance = auth.at(first, attempt);
      auto reply = http.call({"GET", instance.base_url + std::string(kJwksPath), {}, {}});
      if (reply && reply->status == 200) return std::move(reply->body);
      last = reply ? Error::unavailable("upstream_error", instance.base_url + std::string(kJwksPath) + " answered " +
                                                              std::to_string(reply->status))
                   : reply.error();
    }
    return fail(std::move(last));
  };
}

proxy::ForwardingPolicy forwarding(const GatewayConfig& c) {
  // The internal API's credential never comes from outside.
  return {c.trust_forwarded, {std::string(kServiceTokenHeader)}};
}

proxy::TunnelConfig tunnel_config(const GatewayConfig& c, http::HttpMetrics& metrics) {
  proxy::TunnelConfig t;
  t.connect_timeout = std::chrono::milliseconds(c.upstream_connect_timeout_ms);
  t.handshake_timeout = std::chrono::seconds(c.read_timeout_s);
  t.buffer_bytes = static_cast<std::size_t>(c.ws_buffer_bytes);
  t.forwarding = forwarding(c);
  t.metrics = &metrics;
  return t;
}

// Everything the gateway needs, built in dependency order and torn down in reverse.
struct Gateway {
  Gateway(const GatewayConfig& c, UpstreamLists up)
      : client(client_config(c)),
        limiter(make_limiter(c, clock)),
        auth("auth", std::move(up.auth), client, forwarding(c)),
        user("user", std::move(up.user), client, forwarding(c)),
        chat("chat", std::move(up.chat), client, forwarding(c)),
        message("message", std::move(up.message), client, forwarding(c)),
        notification("notification", std::move(up.notification), client, forwarding(c)),
        keys(jwks_fetch(auth.upstreams(), client), c.jwt_issuer, clock,
             {std::chrono::seconds(c.jwks_refresh_s), std::chrono::milliseconds(1000), std::chrono::seconds(10)}),
        edge({static_cast<int>(c.rate_ip_per_min), c.trust_forwarded}, *limiter, tokens),
        tunnel(tunnel_config(c, metrics), std::move(up.ws),
               [this](const http::Request& req) { return edge.check_upgrade(req); }),
        web(c.web_dir, c.web_connect_origins) {
    gateway::mount_gateway_routes(router, edge, [this](gateway::Service service, const http::Request& req) {
      return proxy_for(service).forward(req);
    });
    if (!c.web_dir.empty()) gateway::mount_web_client(router, web);
  }

  const proxy::ReverseProxy& proxy_for(gateway::Service service) const {
    switch (service) {
      case gateway::Service::auth:
        return auth;
      case gateway::Service::user:
        return user;
      case gateway::Service::chat:
        return chat;
      case gateway::Service::message:
        return message;
      case gateway::Service::notification:
        return notification;
    }
    throw std::logic_error("unknown service");
  }

  SystemClock clock;
  http::HttpMetrics metrics;
  HttpClient client; // for every upstream call; keeps connections per handler thread
  std::unique_ptr<RateLimiter> limiter;
  proxy::ReverseProxy auth;
  proxy::ReverseProxy user;
  proxy::ReverseProxy chat;
  proxy::ReverseProxy message;
  proxy::ReverseProxy notification;
  JwksKeys keys;
  CachedVerifier tokens{keys, clock};
  gateway::EdgeGuard edge;
  proxy::WsTunnel tunnel;
  http::StaticFiles web;
  http::Router router;
};

void print_help() {
  std::cout << "parley-gateway: the entry point of a distributed Parley deployment.\n\n"
               "Usage: parley-gateway [--config FILE] [--help] [--routes]\n\n"
               "Settings come from PARLEY_* environment variables, or NAME=value lines in the file given\n"
               "by --config or PARLEY_CONFIG (the environment wins):\n\n"
            << config_help<GatewayConfig>(kGatewayOptions);
}

// "METHOD /pattern -> where" lines: the routing table as this binary applies it.
int print_routes() {
  for (const auto& r : gateway::gateway_routes())
    std::cout << r.method << " " << r.pattern << " -> " << gateway::service_name(*gateway::service_for(r.pattern))
              << (r.needs_token ? "" : " (public)") << "\n";
  std::cout << "GET /ws -> ws (tunnel)\n"
               "GET /healthz -> gateway\n"
               "GET /readyz -> gateway\n"
               "GET /metrics -> gateway\n"
               "* /internal/... -> 404\n"
               "GET other paths -> web client\n";
  return 0;
}

// Lifts the soft descriptor limit to what max_connections needs (up to the hard limit).
void raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < wanted) {
    lim.rlim_cur = std::min(wanted, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < wanted)
    kLog.warn("descriptor limit below what PARLEY_MAX_CONNECTIONS needs",
              {{"limit", static_cast<std::int64_t>(lim.rlim_cur)}, {"wanted", static_cast<std::int64_t>(wanted)}});
}

int run(int argc, char** argv) {
  ConfigSource source;
  std::string config_file = std::getenv("PARLEY_CONFIG") ? std::getenv("PARLEY_CONFIG") : "";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_help();
      return 0;
    } else if (arg == "--routes") {
      return print_routes();
    } else if (arg == "--config" && i + 1 < argc) {
      config_file = argv[++i];
    } else {
      std::cerr << "parley-gateway: unknown argument '" << arg << "' (see --help)\n";
      return 2;
    }
  }
  if (!config_file.empty()) source.load_file(config_file);
  source.load_environment();
  GatewayConfig config;
  auto problems = load_config<GatewayConfig>(kGatewayOptions, source, config);
  auto upstreams = parse_upstreams(config, problems);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << "parley-gateway: " << p << "\n";
    return 2;
  }
  Logger::set_level(Logger::parse_level(config.log_level));

  Gateway gateway(config, std::move(upstreams));
  std::unique_ptr<http::Server> server;
  http::mount_ops_routes(gateway.router, gateway.metrics,
                         [&server, &gateway] { return server && server->ready() && gateway.keys.ready(); });
  // A WebSocket holds a client socket and a node socket.
  raise_fd_limit(2 * static_cast<rlim_t>(config.max_connections) + kSpareFds);
  server =
      std::make_unique<http::Server>(server_config(config), gateway.router, gateway.metrics, gateway.tunnel.upgrade());
  gateway.keys.start(); // not ready until the auth service's key is in place
  kLog.info("starting", {{"limiter", config.redis_url.empty() ? "memory" : "redis"},
                         {"web", config.web_dir.empty() ? "off" : "on"},
                         {"trust_forwarded", config.trust_forwarded}});
  server->run();
  server.reset();
  return 0;
}

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  try {
    return parley::run(argc, argv);
  } catch (const std::exception& e) {
    parley::kLog.error("fatal", {{"error", e.what()}});
    std::cerr << "parley-gateway: " << e.what() << "\n";
    return 1;
  }
}
