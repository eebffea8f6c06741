// parley: every service in one process, on SQLite and in-process adapters (media: local
// files or S3).
// Wiring only: the logic lives in the services.

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/inproc/memory_rate_limiter.hpp"
#include "adapters/localfs/local_blob_routes.hpp"
#include "adapters/localfs/local_media_storage.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_account_store.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_notification_store.hpp"
#include "adapters/sqlite/sqlite_otp_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "adapters/sqlite/sqlite_session_store.hpp"
#include "apps/kit/serve.hpp"
#include "apps/kit/settings.hpp"
#include "apps/parley/config.hpp"
#include "core/log.hpp"
#include "services/auth/account_checked_verifier.hpp"
#include "services/auth/cached_verifier.hpp"
#include "services/auth/routes.hpp"
#include "services/chat/caching_chat_store.hpp"
#include "services/chat/routes.hpp"
#include "services/media/routes.hpp"
#include "services/message/routes.hpp"
#include "services/message/send_limit.hpp"
#include "services/notification/routes.hpp"
#include "services/notification/worker.hpp"
#include "services/realtime/service.hpp"
#include "services/user/routes.hpp"
#include "transport/http/ops_routes.hpp"
#include "transport/http/static_files.hpp"

namespace parley {
namespace {

// Everything the server needs, built in dependency order and torn down in reverse.
struct App final : Served {
  explicit App(const ParleyConfig& c)
      : ids(clock, static_cast<std::uint32_t>(c.node_id)),
        db((std::filesystem::path(c.data_dir) / "parley.db").string(), SqliteDatabase::Locking::exclusive),
        accounts(db),
        sessions(db),
        otps(db),
        profiles(db),
        sqlite_chats(db),
        message_store(db),
        notification_store(db),
        limiter(clock),
        mailer(make_mailer(c, clock)),
        signing_key(load_or_create_signing_key(signing_key_file(c))),
        signer(signing_key, c.jwt_issuer, clock, std::chrono::seconds(c.access_ttl_s)),
        verifier(cached_signer, accounts),
        hasher(password_hasher(c)),
        directory(profiles, clock),
        auth(auth_config(c), AuthPorts{accounts, sessions, otps, directory, *mailer, limiter, clock, ids}, signer,
             hasher),
        users(profiles, auth, clock),
        membership(chat_store),
        media_storage(make_media_storage(c, derive_secret(signing_key, "parley media urls v1"), clock)),
        media(media_config(c), *media_storage, membership, message_store, clock),
        messages({message_store, membership, bus, log, media, clock, ids}),
        send_limiter(clock),
        send_limit(send_limiter, static_cast<double>(c.send_per_min), static_cast<double>(c.send_burst)),
        limited_messages(messages, send_limit),
        chats(ChatConfig{c.max_group_members}, {chat_store, directory, messages, presence, bus, log, clock, ids}),
        notifications(notification_config(c),
                      {notification_store, messages, membership, presence, bus, auth, *mailer, clock, ids}),
        realtime(realtime_config(c), {verifier, limited_messages, membership, presence, bus, clock}),
        web(c.web_dir, media_upload_origin(c)),
        notification_worker(notifications, std::chrono::milliseconds(200),
                            std::clamp<std::chrono::milliseconds>(notifications.config().digest_after,
                                                                  std::chrono::seconds(1), std::chrono::minutes(1))) {
    log.subscribe("notifications", [this](std::span<const DomainEvent> batch) { return notifications.handle(batch); });
    mount_auth_routes(routes, auth, verifier);
    mount_user_routes(routes, users, verifier);
    mount_chat_routes(routes, chats, verifier);
    mount_message_routes(routes, messages, verifier,
                         [this](std::string_view me, const SendInput& in) -> Result<Appended> {
                           if (auto ok = send_limit.take(me); !ok) return fail(std::move(ok.error()));
                           return messages.send(me, in);
                         });
    mount_notification_routes(routes, notifications, verifier);
    mount_media_routes(routes, media, verifier);
    // Parley serves the bytes itself only with the local storage; S3 serves its own.
    if (auto* local = dynamic_cast<LocalMediaStorage*>(media_storage.get())) mount_blob_routes(routes, *local);
    if (!c.web_dir.empty()) routes.set_fallback([this](http::Request& req) { return web.serve(req); });
  }
  // Consumers stop before the services they call go away.
  ~App() override { log.close(); }

  http::Router& router() override { return routes; }
  std::optional<http::Upgrade> upgrade() override { return realtime.upgrade(); }

  SystemClock clock;
  SnowflakeIdGen ids;
  SqliteDatabase db;
  SqliteAccountStore accounts;
  SqliteSessionStore sessions;
  SqliteOtpStore otps;
  SqliteProfileStore profiles;
  SqliteChatStore sqlite_chats;
  CachingChatStore chat_store{sqlite_chats}; // every membership change goes through this process
  SqliteMessageStore message_store;
  SqliteNotificationStore notification_store;
  MemoryRateLimiter limiter;
  InprocEventBus bus;
  InprocEventLog log;
  MemoryPresence presence;
  std::unique_ptr<Mailer> mailer;
  SigningKey signing_key;
  JwtSigner signer;
  CachedVerifier cached_signer{signer, clock};
  AccountCheckedVerifier verifier; // the accounts are local: a deleted account's tokens stop at once
  PasswordHasher hasher;
  ProfileDirectory directory;
  AuthService auth;
  UserService users;
  ChatDirectory membership;
  std::unique_ptr<MediaStorage> media_storage;
  MediaService media;
  MessageService messages;
  MemoryRateLimiter send_limiter; // its own table: auth keys cannot crowd it out
  SendLimit send_limit;
  SendLimitedMessaging limited_messages;
  ChatService chats;
  NotificationService notifications;
  RealtimeService realtime;
  http::StaticFiles web;
  NotificationWorker notification_worker;
  http::Router routes;
};

// Mounts everything on a throwaway data dir of its own and prints "METHOD /pattern" lines.
int print_routes(const Settings& settings) {
  ParleyConfig config = settings.parley;
  const auto dir = std::filesystem::temp_directory_path() / ("parley-routes-" + std::to_string(::getpid()));
  config.data_dir = dir.string();
  config.jwt_key_file.clear();
  {
    App app(config);
    http::HttpMetrics metrics;
    http::mount_ops_routes(app.router(), metrics, [] { return false; });
    for (const auto& r : app.router().routes()) std::cout << r.method << " " << r.pattern << "\n";
  }
  std::filesystem::remove_all(dir);
  return 0;
}

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::serve_main({"parley",
                             "the Parley messaging server (every service in one process).",
                             false,
                             [](const parley::Settings& s) { return std::make_unique<parley::App>(s.parley); },
                             {{"--routes", parley::print_routes}}},
                            argc, argv);
}
