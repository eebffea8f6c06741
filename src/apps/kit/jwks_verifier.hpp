#pragma once
// Access-token verification in a process that is not the auth service: the public key comes
// from the auth service's JWKS, fetched at start (retried until it answers) and refreshed
// periodically, so a rotated key is picked up without a restart.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/clock.hpp"
#include "ports/access_tokens.hpp"
#include "services/auth/jwt.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class JwksVerifier final : public AccessTokenVerifier {
 public:
  // `auth`, and `clock` must outlive this.
  JwksVerifier(const ServiceClient& auth, std::string issuer, const Clock& clock, std::chrono::seconds refresh);
  ~JwksVerifier() override;
  JwksVerifier(const JwksVerifier&) = delete;
  JwksVerifier& operator=(const JwksVerifier&) = delete;

  // unavailable "keys_unavailable" until the first key arrived.
  Result<Principal> verify(std::string_view token) const override;
  bool ready() const;

 private:
  void run();
  bool fetch();

  const ServiceClient& auth_;
  const std::string issuer_;
  const Clock& clock_;
  const std::chrono::seconds refresh_;
  mutable std::mutex mutex_;
  std::shared_ptr<const JwtVerifier> current_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace parley
