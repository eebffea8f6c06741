#pragma once
// Access-token verification outside the auth service (the gateway, every other service): the
// auth service's public key, fetched from its JWKS at start (retried until it answers: the
// process is not ready before) and refreshed
// periodically. A token the current key refuses as invalid also asks for an early refresh
// (at most one per `min_early_refresh`), so a rotated key is picked up within seconds
// rather than at the next period.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "ports/access_tokens.hpp"
#include "services/auth/jwt.hpp"

namespace parley {

struct JwksTiming {
  std::chrono::milliseconds refresh{300'000}; // between fetches once a key is loaded
  std::chrono::milliseconds retry{1'000};     // between failed fetches
  std::chrono::milliseconds min_early_refresh{10'000};
};

class JwksKeys final : public AccessTokenVerifier {
 public:
  // Returns the JWKS document (GET /api/v1/auth/jwks of some auth instance), or why not.
  using Fetch = std::function<Result<std::string>()>;

  // `clock` must outlive this. Nothing is fetched before refresh() or start().
  JwksKeys(Fetch fetch, std::string issuer, const Clock& clock, JwksTiming timing = {});
  // Stops the refresher.
  ~JwksKeys() override;
  JwksKeys(const JwksKeys&) = delete;
  JwksKeys& operator=(const JwksKeys&) = delete;

  // Fetches now and, when the document holds a usable key, puts it in place.
  Result<void> refresh();
  // Starts the refresher thread: it fetches at once, then on the timing above.
  void start();
  // True once a key is in place (for /readyz).
  bool ready() const;
  // The current key's id, "" before the first.
  std::string kid() const;

  // unavailable "keys_unavailable" until the first key is in place; then JwtVerifier::verify.
  Result<Principal> verify(std::string_view token) const override;

 private:
  void run();

  const Fetch fetch_;
  const std::string issuer_;
  const Clock& clock_;
  const JwksTiming timing_;
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
  mutable bool early_ = false; // a refused token asked for a refresh
  bool stopping_ = false;
  std::shared_ptr<const JwtVerifier> current_;
  std::thread thread_;
};

} // namespace parley
