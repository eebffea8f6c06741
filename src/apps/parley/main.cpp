// parley: every service in one process, on SQLite and in-process adapters.
// Wiring only: the logic lives in the services.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include <sys/resource.h>
#include <unistd.h>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/inproc/memory_rate_limiter.hpp"
#include "adapters/localfs/local_blob_routes.hpp"
#include "adapters/localfs/local_media_storage.hpp"
#include "adapters/mail/file_mailer.hpp"
#include "adapters/mail/smtp_mailer.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_account_store.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_notification_store.hpp"
#include "adapters/sqlite/sqlite_otp_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "adapters/sqlite/sqlite_session_store.hpp"
#include "apps/parley/config.hpp"
#include "core/log.hpp"
#include "services/auth/routes.hpp"
#include "services/chat/routes.hpp"
#include "services/media/routes.hpp"
#include "services/message/routes.hpp"
#include "services/notification/routes.hpp"
#include "services/notification/worker.hpp"
#include "services/realtime/service.hpp"
#include "services/user/routes.hpp"
#include "transport/http/ops_routes.hpp"
#include "transport/http/server.hpp"
#include "transport/http/static_files.hpp"

namespace parley {
namespace {

const Logger kLog{"parley"};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

http::ServerConfig server_config(const ParleyConfig& c) {
  http::ServerConfig s;
  const auto colon = c.listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("PARLEY_LISTEN must be host:port");
  s.host = c.listen.substr(0, colon);
  s.port = static_cast<std::uint16_t>(std::stoi(c.listen.substr(colon + 1)));
  s.io_threads = static_cast<int>(c.io_threads);
  s.handler_threads = static_cast<int>(c.handler_threads);
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

std::unique_ptr<Mailer> make_mailer(const ParleyConfig& c, const Clock& clock) {
  if (c.smtp_url.empty())
    return std::make_unique<FileMailer>(std::filesystem::path(c.data_dir) / "mail", c.mail_from, clock);
  return std::make_unique<SmtpMailer>(
      SmtpConfig{c.smtp_url, c.mail_from, c.smtp_username, c.smtp_password, c.smtp_starttls}, clock);
}

RealtimeConfig realtime_config(const ParleyConfig& c) {
  RealtimeConfig r;
  r.limits.max_frame_bytes = static_cast<std::size_t>(c.ws_max_frame_bytes);
  r.limits.max_queued_frames = static_cast<std::size_t>(c.ws_queue_frames);
  r.limits.idle_timeout = std::chrono::seconds(c.ws_idle_timeout_s);
  r.frames_per_sec = static_cast<double>(c.ws_frames_per_sec);
  r.frame_burst = static_cast<double>(c.ws_frame_burst);
  r.sync_limit = static_cast<int>(c.ws_sync_limit);
  return r;
}

std::string public_url(const ParleyConfig& c) { return c.public_url.empty() ? "http://" + c.listen : c.public_url; }

MediaConfig media_config(const ParleyConfig& c) {
  return {c.media_max_bytes, split_list(c.media_types), std::chrono::seconds(c.media_upload_ttl_s),
          std::chrono::seconds(c.media_download_ttl_s)};
}

NotificationConfig notification_config(const ParleyConfig& c) {
  return {std::chrono::seconds(c.notify_delay_s), c.notify_email_digest, std::chrono::seconds(c.notify_digest_after_s)};
}

// Everything the server needs, built in dependency order and torn down in reverse.
struct App {
  explicit App(const ParleyConfig& c)
      : ids(clock, static_cast<std::uint32_t>(c.node_id)),
        db((std::filesystem::path(c.data_dir) / "parley.db").string()),
        accounts(db),
        sessions(db),
        otps(db),
        profiles(db),
        chat_store(db),
        message_store(db),
        notification_store(db),
        limiter(clock),
        mailer(make_mailer(c, clock)),
        signing_key(load_or_create_signing_key(c.jwt_key_file.empty()
                                                   ? std::filesystem::path(c.data_dir) / "keys" / "jwt-ed25519.key"
                                                   : std::filesystem::path(c.jwt_key_file))),
        signer(signing_key, c.jwt_issuer, clock, std::chrono::seconds(c.access_ttl_s)),
        hasher(static_cast<unsigned long long>(c.argon2_opslimit),
               static_cast<std::size_t>(c.argon2_memlimit_kib) * 1024),
        directory(profiles, clock),
        auth(AuthConfig{std::chrono::seconds(c.refresh_ttl_s), std::chrono::seconds(c.otp_ttl_s),
                        static_cast<int>(c.otp_max_attempts), std::chrono::seconds(c.otp_resend_cooldown_s),
                        static_cast<int>(c.rate_ip_per_min), static_cast<int>(c.rate_account_per_min)},
             AuthPorts{accounts, sessions, otps, directory, *mailer, limiter, clock, ids}, signer, hasher),
        users(profiles, auth, clock),
        membership(chat_store),
        media_storage(std::filesystem::path(c.data_dir) / "media", public_url(c),
                      derive_secret(signing_key, "parley media urls v1"), clock),
        media(media_config(c), media_storage, membership, clock),
        messages({message_store, membership, bus, log, media, clock, ids}),
        chats(ChatConfig{c.max_group_members}, {chat_store, directory, messages, presence, bus, log, clock, ids}),
        notifications(notification_config(c), {notification_store, messages, presence, bus, auth, *mailer, clock, ids}),
        realtime(realtime_config(c), {signer, messages, membership, presence, bus, clock}),
        web(c.web_dir),
        notification_worker(notifications, std::chrono::milliseconds(200),
                            std::clamp<std::chrono::milliseconds>(notifications.config().digest_after,
                                                                  std::chrono::seconds(1), std::chrono::minutes(1))) {
    log.subscribe("notifications", [this](const DomainEvent& e) { return notifications.handle(e); });
    mount_auth_routes(router, auth, signer);
    mount_user_routes(router, users, signer);
    mount_chat_routes(router, chats, signer);
    mount_message_routes(router, messages, signer);
    mount_notification_routes(router, notifications, signer);
    mount_media_routes(router, media, signer);
    mount_blob_routes(router, media_storage);
    if (!c.web_dir.empty()) router.set_fallback([this](http::Request& req) { return web.serve(req); });
  }
  // Consumers stop before the services they call go away.
  ~App() { log.close(); }

  SystemClock clock;
  SnowflakeIdGen ids;
  SqliteDatabase db;
  SqliteAccountStore accounts;
  SqliteSessionStore sessions;
  SqliteOtpStore otps;
  SqliteProfileStore profiles;
  SqliteChatStore chat_store;
  SqliteMessageStore message_store;
  SqliteNotificationStore notification_store;
  MemoryRateLimiter limiter;
  InprocEventBus bus;
  InprocEventLog log;
  MemoryPresence presence;
  std::unique_ptr<Mailer> mailer;
  SigningKey signing_key;
  JwtSigner signer;
  PasswordHasher hasher;
  ProfileDirectory directory;
  AuthService auth;
  UserService users;
  ChatDirectory membership;
  LocalMediaStorage media_storage;
  MediaService media;
  MessageService messages;
  ChatService chats;
  NotificationService notifications;
  RealtimeService realtime;
  http::StaticFiles web;
  NotificationWorker notification_worker;
  http::Router router;
  http::HttpMetrics metrics;
};

void print_help() {
  std::cout << "parley: the Parley messaging server (every service in one process).\n\n"
               "Usage: parley [--config FILE] [--help] [--routes]\n\n"
               "Settings come from PARLEY_* environment variables, or NAME=value lines in the file given\n"
               "by --config or PARLEY_CONFIG (the environment wins):\n\n"
            << config_help<ParleyConfig>(kParleyOptions);
}

constexpr rlim_t kSpareFds = 256; // files, the database, mail, the listening socket

// Lifts the soft descriptor limit to what max_connections needs (up to the hard limit).
void raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < wanted) {
    lim.rlim_cur = std::min(wanted, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < wanted)
    kLog.warn("descriptor limit below PARLEY_MAX_CONNECTIONS",
              {{"limit", static_cast<std::int64_t>(lim.rlim_cur)}, {"wanted", static_cast<std::int64_t>(wanted)}});
}

// Mounts everything on a throwaway data dir of its own and prints "METHOD /pattern" lines.
int print_routes(ParleyConfig config) {
  const auto dir = std::filesystem::temp_directory_path() / ("parley-routes-" + std::to_string(::getpid()));
  config.data_dir = dir.string();
  config.jwt_key_file.clear();
  {
    App app(config);
    http::HttpMetrics metrics;
    http::mount_ops_routes(app.router, metrics, [] { return false; });
    for (const auto& r : app.router.routes()) std::cout << r.method << " " << r.pattern << "\n";
  }
  std::filesystem::remove_all(dir);
  return 0;
}

int run(int argc, char** argv) {
  ConfigSource source;
  bool list_routes = false;
  std::string config_file = std::getenv("PARLEY_CONFIG") ? std::getenv("PARLEY_CONFIG") : "";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_help();
      return 0;
    } else if (arg == "--routes") {
      list_routes = true;
    } else if (arg == "--config" && i + 1 < argc) {
      config_file = argv[++i];
    } else {
      std::cerr << "parley: unknown argument '" << arg << "' (see --help)\n";
      return 2;
    }
  }
  if (!config_file.empty()) source.load_file(config_file);
  source.load_environment();
  ParleyConfig config;
  if (const auto problems = load_config<ParleyConfig>(kParleyOptions, source, config); !problems.empty()) {
    for (const auto& p : problems) std::cerr << "parley: " << p << "\n";
    return 2;
  }
  Logger::set_level(Logger::parse_level(config.log_level));
  if (list_routes) return print_routes(config);

  App app(config);
  std::unique_ptr<http::Server> server;
  http::mount_ops_routes(app.router, app.metrics, [&server] { return server && server->ready(); });
  raise_fd_limit(static_cast<rlim_t>(config.max_connections) + kSpareFds);
  server = std::make_unique<http::Server>(server_config(config), app.router, app.metrics, app.realtime.upgrade());
  kLog.info("starting", {{"data_dir", config.data_dir}, {"mail", config.smtp_url.empty() ? "files" : "smtp"}});
  server->run();
  return 0;
}

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  try {
    return parley::run(argc, argv);
  } catch (const std::exception& e) {
    parley::kLog.error("fatal", {{"error", e.what()}});
    std::cerr << "parley: " << e.what() << "\n";
    return 1;
  }
}
