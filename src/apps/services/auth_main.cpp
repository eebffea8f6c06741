// parley-auth: the auth service of a distributed deployment (accounts, sessions, codes,
// tokens) on MongoDB, with Redis rate limits; the only process holding the signing key.

#include "adapters/mongo/mongo_stores.hpp"
#include "adapters/redis/redis_rate_limiter.hpp"
#include "adapters/remote/remote_ports.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/settings.hpp"
#include "core/log.hpp"
#include "services/auth/internal_routes.hpp"
#include "services/auth/routes.hpp"

namespace parley {
namespace {

struct AuthApp final : Served {
  explicit AuthApp(const Settings& s)
      : cluster(s),
        ids(clock, static_cast<std::uint32_t>(s.parley.node_id)),
        pool(mongo_config(s)),
        db(pool, cluster.database("auth")),
        accounts(db),
        sessions(db),
        otps(db),
        users(cluster.service("user")),
        limiter(cluster.redis()),
        mailer(make_mailer(s.parley, clock)),
        signer(load_or_create_signing_key(signing_key_file(s.parley)), s.parley.jwt_issuer, clock,
               std::chrono::seconds(s.parley.access_ttl_s)),
        hasher(password_hasher(s.parley)),
        auth(auth_config(s.parley), AuthPorts{accounts, sessions, otps, users, *mailer, limiter, clock, ids}, signer,
             hasher) {
    mount_auth_routes(routes, auth, signer);
    mount_auth_internal_routes(routes, auth, s.cluster.service_token);
  }
  http::Router& router() override { return routes; }

  Cluster cluster;
  SystemClock clock;
  SnowflakeIdGen ids;
  MongoPool pool;
  MongoDatabase db;
  MongoAccountStore accounts;
  MongoSessionStore sessions;
  MongoOtpStore otps;
  RemoteUserDirectory users;
  RedisRateLimiter limiter;
  std::unique_ptr<Mailer> mailer;
  JwtSigner signer;
  PasswordHasher hasher;
  AuthService auth;
  http::Router routes;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::AuthApp>("parley-auth", "the auth service of a distributed Parley.", argc, argv);
}
