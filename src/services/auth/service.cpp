#include "services/auth/service.hpp"

#include "core/log.hpp"
#include "domain/validation.hpp"
#include "services/auth/secrets.hpp"

namespace parley {
namespace {

const Logger kLog{"auth"};

std::string_view purpose_name(OtpPurpose p) { return p == OtpPurpose::verify_email ? "verify" : "reset"; }

// Codes are stored as SHA-256 over (user, purpose, code): a leaked row reveals nothing
// usable for another user or purpose, and guessing online is attempt-limited.
std::string code_hash(std::string_view user_id, OtpPurpose purpose, std::string_view code) {
  return sha256_hex(std::string(user_id) + ":" + std::string(purpose_name(purpose)) + ":" + std::string(code));
}

Error invalid_credentials() { return Error::unauthenticated("invalid_credentials", "wrong e-mail or password"); }
Error invalid_code() { return Error::invalid("invalid_code", "the code is not valid"); }
Error invalid_refresh() { return Error::unauthenticated("invalid_refresh_token", "the refresh token is not valid"); }

} // namespace

AuthService::AuthService(AuthConfig config, AuthPorts ports, const JwtSigner& signer, const PasswordHasher& hasher)
    : config_(config), ports_(ports), signer_(signer), hasher_(hasher) {}

Result<void> AuthService::limit(std::string_view action, std::string_view who, int per_minute) {
  const RateRule rule{static_cast<double>(per_minute), per_minute / 60.0};
  const auto decision = ports_.limiter.take(std::string(action) + ":" + std::string(who), rule);
  if (!decision.allowed) return fail(Error::rate_limited(decision.retry_after));
  return {};
}

Result<void> AuthService::resend_cooldown(std::string_view email) {
  if (config_.otp_resend_cooldown.count() <= 0) return {};
  const RateRule rule{1, 1.0 / static_cast<double>(config_.otp_resend_cooldown.count())};
  const auto decision = ports_.limiter.take("resend:email:" + std::string(email), rule);
  if (!decision.allowed) return fail(Error::rate_limited(decision.retry_after));
  return {};
}

Result<Registered> AuthService::register_user(const RegisterInput& input, std::string_view ip) {
  if (auto ok = limit("register:ip", ip, config_.rate_ip_per_min); !ok) return fail(ok.error());
  const auto email = domain::normalize_email(input.email);
  if (!email) return fail(email.error());
  const auto username = domain::normalize_username(input.username);
  if (!username) return fail(username.error());
  if (auto ok = domain::check_password(input.password); !ok) return fail(ok.error());
  const auto display_name = domain::normalize_display_name(input.display_name.value_or(*username));
  if (!display_name) return fail(display_name.error());

  const auto existing = ports_.accounts.find_by_email(*email);
  if (!existing) return fail(existing.error());
  if (*existing) return fail(Error::conflict("email_taken", "this e-mail is already registered"));
  const auto hash = hasher_.hash(input.password);
  if (!hash) return fail(hash.error());

  Account account{ports_.ids.next(), *email, *hash, false, ports_.clock.now_ms()};
  if (auto ok = ports_.users.create_profile({account.id, *username, *email, *display_name}); !ok)
    return fail(ok.error());
  if (auto ok = ports_.accounts.insert(account); !ok) {
    (void)ports_.users.remove_profile(account.id); // lost a race on the e-mail: undo the profile
    return fail(ok.error());
  }
  kLog.info("registered", {{"user", account.id}});
  // The registration mail counts as the first send of the resend cooldown.
  (void)resend_cooldown(*email);
  if (auto sent = issue_code(account, OtpPurpose::verify_email); !sent)
    kLog.error("verification mail failed", {{"user", account.id}, {"error", sent.error().message}});
  return Registered{account.id, *email, *username};
}

Result<void> AuthService::issue_code(const Account& account, OtpPurpose purpose) {
  const std::string code = random_otp_code();
  const auto now = ports_.clock.now_ms();
  const Otp otp{account.id,
                purpose,
                code_hash(account.id, purpose, code),
                now + std::chrono::duration_cast<std::chrono::milliseconds>(config_.otp_ttl).count(),
                now,
                0};
  if (auto ok = ports_.otps.put(otp); !ok) return ok;
  const auto minutes = std::to_string(std::max<std::int64_t>(1, config_.otp_ttl.count() / 60));
  Mail mail;
  mail.to = account.email;
  mail.code = code;
  if (purpose == OtpPurpose::verify_email) {
    mail.subject = "Your Parley verification code";
    mail.text = "Welcome to Parley!\n\nYour verification code is " + code + ".\nIt expires in " + minutes +
                " minutes.\n\nIf you did not sign up, ignore this mail.\n";
  } else {
    mail.subject = "Your Parley password reset code";
    mail.text = "Someone asked to reset your Parley password.\n\nYour reset code is " + code + ".\nIt expires in " +
                minutes + " minutes.\n\nIf this was not you, ignore this mail: your password is unchanged.\n";
  }
  return ports_.mailer.send(mail);
}

Result<void> AuthService::check_code(const Account& account, OtpPurpose purpose, std::string_view code) {
  const auto otp = ports_.otps.get(account.id, purpose);
  if (!otp) return fail(otp.error());
  if (!*otp) return fail(invalid_code());
  if ((*otp)->attempts >= config_.otp_max_attempts)
    return fail({ErrorKind::rate_limited, "too_many_attempts", "too many wrong codes: ask for a new one"});
  if ((*otp)->expires_at_ms <= ports_.clock.now_ms())
    return fail(Error::invalid("code_expired", "the code has expired: ask for a new one"));
  if (!constant_time_equal(code_hash(account.id, purpose, code), (*otp)->code_hash)) {
    if (auto n = ports_.otps.add_attempt(account.id, purpose); !n) return fail(n.error());
    return fail(invalid_code());
  }
  return ports_.otps.remove(account.id, purpose);
}

Result<void> AuthService::verify_email(std::string_view email_in, std::string_view code, std::string_view ip) {
  if (auto ok = limit("verify:ip", ip, config_.rate_ip_per_min); !ok) return ok;
  const auto email = domain::normalize_email(email_in);
  if (!email) return fail(invalid_code());
  if (auto ok = limit("verify:email", *email, config_.rate_account_per_min); !ok) return ok;
  const auto account = ports_.accounts.find_by_email(*email);
  if (!account) return fail(account.error());
  if (!*account) return fail(invalid_code());
  if ((*account)->verified) return {};
  if (auto ok = check_code(**account, OtpPurpose::verify_email, code); !ok) return ok;
  kLog.info("e-mail verified", {{"user", (*account)->id}});
  return ports_.accounts.set_verified((*account)->id);
}

Result<void> AuthService::resend_verification(std::string_view email_in, std::string_view ip) {
  if (auto ok = limit("resend:ip", ip, config_.rate_ip_per_min); !ok) return ok;
  const auto email = domain::normalize_email(email_in);
  if (!email) return {}; // nothing can be sent there; say nothing
  if (auto ok = resend_cooldown(*email); !ok) return ok;
  const auto account = ports_.accounts.find_by_email(*email);
  if (!account) return fail(account.error());
  if (!*account || (*account)->verified) return {};
  if (auto sent = issue_code(**account, OtpPurpose::verify_email); !sent)
    kLog.error("verification mail failed", {{"user", (*account)->id}, {"error", sent.error().message}});
  return {};
}

Result<TokenPair> AuthService::login(std::string_view email_in, std::string_view password, std::string_view ip) {
  if (auto ok = limit("login:ip", ip, config_.rate_ip_per_min); !ok) return fail(ok.error());
  const auto email = domain::normalize_email(email_in);
  if (!email) return fail(invalid_credentials());
  if (auto ok = limit("login:email", *email, config_.rate_account_per_min); !ok) return fail(ok.error());
  const auto account = ports_.accounts.find_by_email(*email);
  if (!account) return fail(account.error());
  if (!*account) {
    hasher_.burn_time(password); // an unknown e-mail costs what a wrong password costs
    return fail(invalid_credentials());
  }
  if (!hasher_.verify((*account)->password_hash, password)) return fail(invalid_credentials());
  if (!(*account)->verified)
    return fail(Error::forbidden("email_not_verified", "verify your e-mail address before logging in"));
  kLog.info("login", {{"user", (*account)->id}});
  return start_session((*account)->id);
}

Result<TokenPair> AuthService::start_session(const std::string& user_id) {
  const std::string opaque = random_token(32);
  const auto now = ports_.clock.now_ms();
  const RefreshToken token{sha256_hex(opaque), ports_.ids.next(), user_id, now,
                           now + std::chrono::duration_cast<std::chrono::milliseconds>(config_.refresh_ttl).count()};
  if (auto ok = ports_.sessions.create_session(token); !ok) return fail(ok.error());
  return tokens_for(token, opaque);
}

Result<TokenPair> AuthService::tokens_for(const RefreshToken& token, const std::string& opaque) {
  return TokenPair{token.user_id, signer_.sign(token.user_id, token.session_id), signer_.ttl(), opaque,
                   config_.refresh_ttl};
}

Result<TokenPair> AuthService::refresh(std::string_view refresh_token, std::string_view ip) {
  if (auto ok = limit("refresh:ip", ip, config_.rate_ip_per_min * 4); !ok) return fail(ok.error());
  if (refresh_token.empty() || refresh_token.size() > 256) return fail(invalid_refresh());
  const auto found = ports_.sessions.find_token(sha256_hex(refresh_token));
  if (!found) return fail(found.error());
  if (!*found || (*found)->session_revoked) return fail(invalid_refresh());
  const RefreshToken& old = **found;
  const auto reused = [&]() -> Result<TokenPair> {
    // A rotated token came back: whoever holds the family may be a thief. End it.
    kLog.warn("refresh token reused: session revoked", {{"user", old.user_id}, {"session", old.session_id}});
    if (auto ok = ports_.sessions.revoke_session(old.session_id); !ok) return fail(ok.error());
    return fail(Error::unauthenticated("refresh_token_reused", "this refresh token was already used; log in again"));
  };
  if (old.rotated) return reused();
  const auto now = ports_.clock.now_ms();
  if (old.expires_at_ms <= now) return fail(invalid_refresh());
  const std::string opaque = random_token(32);
  const RefreshToken next{sha256_hex(opaque), old.session_id, old.user_id, now,
                          now + std::chrono::duration_cast<std::chrono::milliseconds>(config_.refresh_ttl).count()};
  const auto rotated = ports_.sessions.rotate(old.token_hash, next);
  if (!rotated) return fail(rotated.error());
  if (!*rotated) return reused(); // a concurrent refresh won: the same token was used twice
  return tokens_for(next, opaque);
}

Result<void> AuthService::logout(const Principal& who) { return ports_.sessions.revoke_session(who.session_id); }

Result<void> AuthService::logout_all(const Principal& who) { return ports_.sessions.revoke_all(who.user_id); }

Result<void> AuthService::forgot_password(std::string_view email_in, std::string_view ip) {
  if (auto ok = limit("forgot:ip", ip, config_.rate_ip_per_min); !ok) return ok;
  const auto email = domain::normalize_email(email_in);
  if (!email) return {};
  if (auto ok = limit("forgot:email", *email, config_.rate_account_per_min); !ok) return ok;
  const auto account = ports_.accounts.find_by_email(*email);
  if (!account) return fail(account.error());
  if (!*account) return {};
  if (auto sent = issue_code(**account, OtpPurpose::reset_password); !sent)
    kLog.error("reset mail failed", {{"user", (*account)->id}, {"error", sent.error().message}});
  return {};
}

Result<void> AuthService::reset_password(std::string_view email_in, std::string_view code,
                                         std::string_view new_password, std::string_view ip) {
  if (auto ok = limit("reset:ip", ip, config_.rate_ip_per_min); !ok) return ok;
  const auto email = domain::normalize_email(email_in);
  if (!email) return fail(invalid_code());
  if (auto ok = limit("reset:email", *email, config_.rate_account_per_min); !ok) return ok;
  // The policy is checked first so that a weak choice does not burn the code.
  if (auto ok = domain::check_password(new_password); !ok) return ok;
  const auto account = ports_.accounts.find_by_email(*email);
  if (!account) return fail(account.error());
  if (!*account) return fail(invalid_code());
  const Account& acc = **account;
  if (auto ok = check_code(acc, OtpPurpose::reset_password, code); !ok) return ok;
  const auto hash = hasher_.hash(new_password);
  if (!hash) return fail(hash.error());
  if (auto ok = ports_.accounts.set_password_hash(acc.id, *hash); !ok) return ok;
  if (!acc.verified) (void)ports_.accounts.set_verified(acc.id); // the code proved the address
  kLog.info("password reset: all sessions revoked", {{"user", acc.id}});
  return ports_.sessions.revoke_all(acc.id);
}

Result<void> AuthService::change_password(const Principal& who, std::string_view current, std::string_view next) {
  const auto account = ports_.accounts.find_by_id(who.user_id);
  if (!account) return fail(account.error());
  if (!*account || !hasher_.verify((*account)->password_hash, current)) return fail(invalid_credentials());
  if (auto ok = domain::check_password(next); !ok) return ok;
  const auto hash = hasher_.hash(next);
  if (!hash) return fail(hash.error());
  if (auto ok = ports_.accounts.set_password_hash(who.user_id, *hash); !ok) return ok;
  kLog.info("password changed: other sessions revoked", {{"user", who.user_id}});
  return ports_.sessions.revoke_all(who.user_id, who.session_id);
}

Result<void> AuthService::close_account(std::string_view user_id, std::string_view password) {
  const auto account = ports_.accounts.find_by_id(user_id);
  if (!account) return fail(account.error());
  if (!*account || !hasher_.verify((*account)->password_hash, password)) return fail(invalid_credentials());
  if (auto ok = ports_.sessions.revoke_all(user_id); !ok) return ok;
  (void)ports_.otps.remove(user_id, OtpPurpose::verify_email);
  (void)ports_.otps.remove(user_id, OtpPurpose::reset_password);
  kLog.info("account closed", {{"user", std::string(user_id)}});
  return ports_.accounts.remove(user_id);
}

Result<std::optional<std::string>> AuthService::email_of(std::string_view user_id) {
  auto account = ports_.accounts.find_by_id(user_id);
  if (!account) return fail(account.error());
  if (!*account || !(*account)->verified) return std::optional<std::string>{};
  return std::optional<std::string>{(*account)->email};
}

} // namespace parley
