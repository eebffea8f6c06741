#pragma once
// The auth service: accounts, e-mail verification, sessions (rotating refresh tokens),
// password reset and change, rate limits. Transport-free: routes.cpp maps HTTP to it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "ports/access_tokens.hpp"
#include "ports/account_admin.hpp"
#include "ports/account_store.hpp"
#include "ports/email_directory.hpp"
#include "ports/mailer.hpp"
#include "ports/otp_store.hpp"
#include "ports/rate_limiter.hpp"
#include "ports/session_store.hpp"
#include "ports/user_directory.hpp"
#include "services/auth/jwt.hpp"
#include "services/auth/password_hasher.hpp"

namespace parley {

struct AuthConfig {
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  std::chrono::seconds otp_ttl{600};
  int otp_max_attempts = 5;
  std::chrono::seconds otp_resend_cooldown{60}; // 0: no cooldown
  int rate_ip_per_min = 30;                     // per IP and route
  int rate_account_per_min = 10;                // per e-mail and route
};

struct AuthPorts {
  AccountStore& accounts;
  SessionStore& sessions;
  OtpStore& otps;
  UserDirectory& users;
  Mailer& mailer;
  RateLimiter& limiter;
  const Clock& clock;
  IdGen& ids;
};

struct RegisterInput {
  std::string email;
  std::string username;
  std::string password;
  std::optional<std::string> display_name;
};

struct Registered {
  std::string user_id;
  std::string email;
  std::string username;
};

struct TokenPair {
  std::string user_id;
  std::string access_token;
  std::chrono::seconds expires_in{0};
  std::string refresh_token;
  std::chrono::seconds refresh_expires_in{0};
};

class AuthService final : public AccountAdmin, public EmailDirectory {
 public:
  AuthService(AuthConfig config, AuthPorts ports, const JwtSigner& signer, const PasswordHasher& hasher);

  // Every call that takes `ip` is rate limited per IP and, where an e-mail is given, per account.
  Result<Registered> register_user(const RegisterInput& input, std::string_view ip);
  Result<void> verify_email(std::string_view email, std::string_view code, std::string_view ip);
  // Always succeeds for unknown or verified e-mails (no enumeration); only the cooldown refuses.
  Result<void> resend_verification(std::string_view email, std::string_view ip);
  Result<TokenPair> login(std::string_view email, std::string_view password, std::string_view ip);
  Result<TokenPair> refresh(std::string_view refresh_token, std::string_view ip);
  Result<void> logout(const Principal& who);
  Result<void> logout_all(const Principal& who);
  Result<void> forgot_password(std::string_view email, std::string_view ip);
  Result<void> reset_password(std::string_view email, std::string_view code, std::string_view new_password,
                              std::string_view ip);
  Result<void> change_password(const Principal& who, std::string_view current, std::string_view next);
  Result<void> close_account(std::string_view user_id, std::string_view password) override;
  Result<std::optional<std::string>> email_of(std::string_view user_id) override;
  std::string jwks_json() const { return signer_.jwks_json(); }

 private:
  Result<void> limit(std::string_view action, std::string_view who, int per_minute);
  // One verification mail per e-mail per cooldown, whoever asks.
  Result<void> resend_cooldown(std::string_view email);
  Result<void> issue_code(const Account& account, OtpPurpose purpose);
  Result<void> check_code(const Account& account, OtpPurpose purpose, std::string_view code);
  Result<TokenPair> start_session(const std::string& user_id);
  Result<TokenPair> tokens_for(const RefreshToken& token, const std::string& opaque);

  AuthConfig config_;
  AuthPorts ports_;
  const JwtSigner& signer_;
  const PasswordHasher& hasher_;
};

} // namespace parley
