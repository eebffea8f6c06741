#include "services/auth/jwks_keys.hpp"

#include "core/log.hpp"

namespace parley {
namespace {
const Logger kLog{"jwks"};
} // namespace

JwksKeys::JwksKeys(Fetch fetch, std::string issuer, const Clock& clock, JwksTiming timing)
    : fetch_(std::move(fetch)), issuer_(std::move(issuer)), clock_(clock), timing_(timing) {}

JwksKeys::~JwksKeys() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> JwksKeys::refresh() {
  auto document = fetch_();
  if (!document) return fail(document.error());
  auto verifier = JwtVerifier::from_jwks(*document, issuer_, clock_);
  if (!verifier) return fail(verifier.error());
  auto next = std::make_shared<const JwtVerifier>(std::move(*verifier));
  std::lock_guard lock(mutex_);
  if (!current_ || current_->kid() != next->kid()) kLog.info("access-token key loaded", {{"kid", next->kid()}});
  current_ = std::move(next);
  return {};
}

void JwksKeys::start() {
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void JwksKeys::run() {
  using clock = std::chrono::steady_clock;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const auto result = refresh();
    if (!result) kLog.warn("cannot load the access-token keys", {{"error", result.error().message}});
    lock.lock();
    early_ = false;
    const auto fetched = clock::now();
    const auto next = fetched + (result ? timing_.refresh : timing_.retry);
    const auto early_at = fetched + timing_.min_early_refresh;
    for (;;) {
      if (stopping_) return;
      const auto now = clock::now();
      if (now >= next || (early_ && now >= early_at)) break;
      wake_.wait_until(lock, early_ ? std::min(next, early_at) : next);
    }
  }
}

bool JwksKeys::ready() const {
  std::lock_guard lock(mutex_);
  return current_ != nullptr;
}

std::string JwksKeys::kid() const {
  std::lock_guard lock(mutex_);
  return current_ ? current_->kid() : std::string();
}

Result<Principal> JwksKeys::verify(std::string_view token) const {
  std::shared_ptr<const JwtVerifier> verifier;
  {
    std::lock_guard lock(mutex_);
    verifier = current_;
  }
  if (!verifier) return fail(Error::unavailable("keys_unavailable", "access-token keys are not loaded yet"));
  auto who = verifier->verify(token);
  if (!who && who.error().code == "invalid_token") { // perhaps signed by a key we have not seen yet
    {
      std::lock_guard lock(mutex_);
      early_ = true;
    }
    wake_.notify_all();
  }
  return who;
}

} // namespace parley
