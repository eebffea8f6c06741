// REST request bodies, route by route: every public route of the embedded server (auth, user,
// chat, message, notification, media) and the services' internal routes, mounted by their own
// mount_* functions on the real services over an in-memory SQLite database. The handler of the
// chosen route runs as the HTTP server would run it: its body reader (BodyReader and the
// route's own field reads), its query parameters, then the service with what was accepted.
//
// Tokens are checked by the signer alone (verifying them is the jwt target's business).
//
// Input: one byte picks the route (modulo the number of routes); its `{name}` parameters are
// filled with ids that exist (a group chat, its members, a message); then a line holding the
// query string (may be empty), then the body.
// Contract under test: a handler answers every request, and never with a 5xx: malformed input
// is a 4xx.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <unistd.h>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/inproc/memory_rate_limiter.hpp"
#include "adapters/localfs/local_media_storage.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_account_store.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_notification_store.hpp"
#include "adapters/sqlite/sqlite_otp_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "adapters/sqlite/sqlite_session_store.hpp"
#include "apps/kit/settings.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "services/auth/internal_routes.hpp"
#include "services/auth/routes.hpp"
#include "services/chat/internal_routes.hpp"
#include "services/chat/routes.hpp"
#include "services/media/routes.hpp"
#include "services/message/internal_routes.hpp"
#include "services/message/messaging_routes.hpp"
#include "services/message/routes.hpp"
#include "services/notification/routes.hpp"
#include "services/user/internal_routes.hpp"
#include "services/user/routes.hpp"

namespace {

using namespace parley;
namespace fs = std::filesystem;

constexpr std::string_view kServiceToken = "fuzz-service-token-0123456789";

class NoMail final : public Mailer {
 public:
  Result<void> send(const Mail&) override { return {}; }
};

// The settings' defaults, as the server starts with no configuration.
ParleyConfig defaults(const fs::path& dir) {
  ParleyConfig c;
  (void)load_config<ParleyConfig>(kParleyOptions, ConfigSource{}, c);
  c.data_dir = dir.string();
  return c;
}

// Everything the routes need, wired as the embedded server wires it (apps/parley/main.cpp),
// with a manual clock, an in-memory database and the cheapest password hashing.
struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("parley-fuzz-rest-" + std::to_string(::getpid()));
  ParleyConfig config = defaults(dir);
  ManualClock clock;
  SnowflakeIdGen ids{clock, 1};
  SqliteDatabase db{":memory:"};
  SqliteAccountStore accounts{db};
  SqliteSessionStore sessions{db};
  SqliteOtpStore otps{db};
  SqliteProfileStore profiles{db};
  SqliteChatStore chat_store{db};
  SqliteMessageStore message_store{db};
  SqliteNotificationStore notification_store{db};
  MemoryRateLimiter limiter{clock};
  InprocEventBus bus;
  InprocEventLog log;
  MemoryPresence presence;
  NoMail mailer;
  SigningKey signing_key = generate_signing_key();
  JwtSigner signer{signing_key, "parley", clock, std::chrono::hours(24 * 365 * 100)};
  PasswordHasher hasher{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  ProfileDirectory directory{profiles, clock};
  AuthService auth{auth_config(config), AuthPorts{accounts, sessions, otps, directory, mailer, limiter, clock, ids},
                   signer, hasher};
  UserService users{profiles, auth, clock};
  ChatDirectory membership{chat_store};
  LocalMediaStorage media_storage{dir / "media", "http://127.0.0.1:8080", derive_secret(signing_key, "media"), clock};
  MediaService media{media_config(config), media_storage, membership, message_store, clock};
  MessageService messages{{message_store, membership, bus, log, media, clock, ids}};
  ChatService chats{ChatConfig{config.max_group_members},
                    {chat_store, directory, messages, presence, bus, log, clock, ids}};
  NotificationService notifications{
      notification_config(config), {notification_store, messages, membership, presence, bus, auth, mailer, clock, ids}};
  http::Router router;
  std::string token;
  std::string chat_id;
  std::string message_id;

  Fixture() {
    Logger::set_level(LogLevel::error); // the services' info lines are noise here
    for (const char* id : {"ann", "bob", "cat"})
      if (!directory.create_profile({id, id, std::string(id) + "@example.com", id})) std::abort();
    token = signer.sign("ann", "session-1");
    auto group = chats.create_group("ann", {"Team", "", {"bob", "cat"}});
    if (!group) std::abort();
    chat_id = group->chat.id;
    auto sent = messages.send("ann", {chat_id, "c1", "hello @bob", "", {"bob"}, {}});
    if (!sent) std::abort();
    message_id = sent->message.id;

    mount_auth_routes(router, auth, signer);
    mount_user_routes(router, users, signer);
    mount_chat_routes(router, chats, signer);
    mount_message_routes(router, messages, signer);
    mount_notification_routes(router, notifications, signer);
    mount_media_routes(router, media, signer);
    const std::string service_token(kServiceToken);
    mount_auth_internal_routes(router, auth, auth, service_token);
    mount_user_internal_routes(router, directory, service_token);
    mount_chat_internal_routes(router, membership, service_token);
    mount_message_internal_routes(router, messages, service_token);
    mount_messaging_routes(router, messages, service_token);
    // What the seeds' first byte picks (the order of the mount_* calls above).
    if (std::getenv("PARLEY_FUZZ_LIST")) {
      for (std::size_t i = 0; i < router.routes().size(); ++i)
        std::fprintf(stderr, "%3zu %s %s\n", i, router.routes()[i].method.c_str(), router.routes()[i].pattern.c_str());
      std::fprintf(stderr, "chat %s, message %s\n", chat_id.c_str(), message_id.c_str());
    }
  }
  ~Fixture() {
    log.close();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  std::string value_of(std::string_view param) const {
    if (param == "chat_id") return chat_id;
    if (param == "message_id") return message_id;
    if (param == "user_id") return "bob";
    if (param == "key") return "ann_AAAAAAAAAAAAAAAAAAAAAA";
    return "x";
  }

  // The route's pattern with its parameters filled in.
  std::string path_of(std::string_view pattern) const {
    std::string out;
    while (!pattern.empty()) {
      const auto open = pattern.find('{');
      const auto close = pattern.find('}', open);
      if (open == std::string_view::npos || close == std::string_view::npos) break;
      out += pattern.substr(0, open);
      out += value_of(pattern.substr(open + 1, close - open - 1));
      pattern.remove_prefix(close + 1);
    }
    out += pattern;
    return out;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto& f = fixture();
  f.clock.advance_ms(1000); // rate limits refill as time passes
  const auto& route = f.router.routes()[data[0] % f.router.routes().size()];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto newline = input.find('\n');
  const auto query = input.substr(0, newline);
  const auto body = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  http::Request req;
  std::string target = f.path_of(route.pattern);
  if (!query.empty()) target += "?" + std::string(query);
  req.message.method_string(route.method);
  req.message.target(target);
  req.message.set(boost::beast::http::field::authorization, "Bearer " + f.token);
  req.message.set("X-Parley-Service-Token", kServiceToken);
  req.message.set(boost::beast::http::field::content_type, "application/json");
  req.message.body() = std::string(body);
  req.remote_ip = "203.0.113.7";
  const auto match = f.router.match(route.method, req.path(), req.path_params);
  if (!match.route) std::abort(); // the path is the route's own
  const auto res = match.route->handler(req);
  if (res.status >= 500) std::abort();
  return 0;
}
