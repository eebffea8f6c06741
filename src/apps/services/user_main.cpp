// parley-user: the user service of a distributed deployment (profiles, search) on MongoDB.

#include "adapters/mongo/mongo_stores.hpp"
#include "adapters/remote/remote_ports.hpp"
#include "apps/kit/cluster.hpp"
#include "apps/kit/jwks_verifier.hpp"
#include "services/user/internal_routes.hpp"
#include "services/user/routes.hpp"

namespace parley {
namespace {

struct UserApp final : Served {
  explicit UserApp(const Settings& s)
      : cluster(s),
        verifier(cluster.service("auth"), s.parley.jwt_issuer, clock, std::chrono::seconds(s.cluster.jwks_refresh_s)),
        pool(mongo_config(s)),
        db(pool, cluster.database("user")),
        profiles(db),
        accounts(cluster.service("auth")),
        directory(profiles, clock),
        users(profiles, accounts, clock) {
    mount_user_routes(routes, users, verifier);
    mount_user_internal_routes(routes, directory, s.cluster.service_token);
  }
  http::Router& router() override { return routes; }
  bool ready() override { return verifier.ready(); }

  Cluster cluster;
  SystemClock clock;
  JwksVerifier verifier;
  MongoPool pool;
  MongoDatabase db;
  MongoProfileStore profiles;
  RemoteAccountAdmin accounts;
  ProfileDirectory directory;
  UserService users;
  http::Router routes;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::UserApp>("parley-user", "the user service of a distributed Parley.", argc, argv);
}
