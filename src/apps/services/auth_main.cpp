// parley-auth: the auth service of a distributed deployment (accounts, sessions, codes,
// tokens) on MongoDB, with Redis rate limits; the only process holding the signing key.

#include "adapters/mongo/mongo_account_store.hpp"
#include "adapters/mongo/mongo_otp_store.hpp"
#include "adapters/mongo/mongo_session_store.hpp"
#include "adapters/redis/redis_rate_limiter.hpp"
#include "adapters/remote/remote_user_directory.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/settings.hpp"
#include "services/auth/internal_routes.hpp"
#include "services/auth/routes.hpp"

namespace parley {
namespace {

struct AuthApp final : ClusterService {
  explicit AuthApp(const Settings& s)
      : ClusterService(s, Tokens::signed_here),
        pool(mongo_config(s)),
        accounts(pool, cluster.database("auth")),
        sessions(pool, cluster.database("auth")),
        otps(pool, cluster.database("auth")),
        users(cluster.service("user")),
        limiter(cluster.redis(), "parley:auth:rate:"),
        mailer(make_mailer(s.parley, clock)),
        signer(load_or_create_signing_key(signing_key_file(s.parley)), s.parley.jwt_issuer, clock,
               std::chrono::seconds(s.parley.access_ttl_s)),
        hasher(password_hasher(s.parley)),
        auth(auth_config(s.parley), AuthPorts{accounts, sessions, otps, users, *mailer, limiter, clock, ids}, signer,
             hasher) {
    create_indexes(accounts, sessions, otps);
    mount_auth_routes(routes, auth, signer);
    mount_auth_internal_routes(routes, auth, auth, s.cluster.service_token);
  }

  MongoPool pool;
  MongoAccountStore accounts;
  MongoSessionStore sessions;
  MongoOtpStore otps;
  RemoteUserDirectory users;
  RedisRateLimiter limiter;
  std::unique_ptr<Mailer> mailer;
  JwtSigner signer;
  PasswordHasher hasher;
  AuthService auth;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::AuthApp>("parley-auth", "the auth service of a distributed Parley.", argc, argv);
}
