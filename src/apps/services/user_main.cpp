// parley-user: the user service of a distributed deployment (profiles, search) on MongoDB.

#include "adapters/mongo/mongo_profile_store.hpp"
#include "adapters/remote/remote_account_admin.hpp"
#include "apps/kit/cluster.hpp"
#include "services/user/internal_routes.hpp"
#include "services/user/routes.hpp"

namespace parley {
namespace {

struct UserApp final : ClusterService {
  explicit UserApp(const Settings& s)
      : ClusterService(s, Tokens::from_auth),
        pool(mongo_config(s)),
        profiles(pool, cluster.database("user")),
        accounts(cluster.service("auth")),
        directory(profiles, clock),
        users(profiles, accounts, clock) {
    create_indexes(profiles);
    mount_user_routes(routes, users, verifier);
    mount_user_internal_routes(routes, directory, s.cluster.service_token);
  }

  MongoPool pool;
  MongoProfileStore profiles;
  RemoteAccountAdmin accounts;
  ProfileDirectory directory;
  UserService users;
};

} // namespace
} // namespace parley

int main(int argc, char** argv) {
  return parley::run_service<parley::UserApp>("parley-user", "the user service of a distributed Parley.", argc, argv);
}
