#include "apps/kit/jwks_verifier.hpp"

#include <boost/json/serialize.hpp>

#include "core/log.hpp"

namespace parley {
namespace {
const Logger kLog{"jwks"};
constexpr std::chrono::seconds kRetry{1};
} // namespace

JwksVerifier::JwksVerifier(const ServiceClient& auth, std::string issuer, const Clock& clock,
                           std::chrono::seconds refresh)
    : auth_(auth), issuer_(std::move(issuer)), clock_(clock), refresh_(refresh), thread_([this] { run(); }) {}

JwksVerifier::~JwksVerifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool JwksVerifier::fetch() {
  auto reply = auth_.call("GET", "/api/v1/auth/jwks");
  if (!reply) {
    kLog.warn("cannot fetch the access-token keys", {{"error", reply.error().message}});
    return false;
  }
  auto verifier = JwtVerifier::from_jwks(boost::json::serialize(*reply), issuer_, clock_);
  if (!verifier) {
    kLog.error("the auth service's JWKS is unusable", {{"error", verifier.error().message}});
    return false;
  }
  std::lock_guard lock(mutex_);
  if (!current_ || current_->kid() != verifier->kid()) kLog.info("access-token key loaded", {{"kid", verifier->kid()}});
  current_ = std::make_shared<const JwtVerifier>(std::move(*verifier));
  return true;
}

void JwksVerifier::run() {
  for (;;) {
    const bool ok = fetch();
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, ok ? std::chrono::duration_cast<std::chrono::seconds>(refresh_) : kRetry,
                       [this] { return stopping_; }))
      return;
  }
}

bool JwksVerifier::ready() const {
  std::lock_guard lock(mutex_);
  return current_ != nullptr;
}

Result<Principal> JwksVerifier::verify(std::string_view token) const {
  std::shared_ptr<const JwtVerifier> verifier;
  {
    std::lock_guard lock(mutex_);
    verifier = current_;
  }
  if (!verifier) return fail(Error::unavailable("keys_unavailable", "access-token keys not loaded yet"));
  return verifier->verify(token);
}

} // namespace parley
