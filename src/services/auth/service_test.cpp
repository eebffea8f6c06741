// The auth service's rules on real SQLite stores (in memory), a manual clock and a
// mailer that keeps what it is given.
#include "services/auth/service.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <regex>

#include "adapters/inproc/memory_rate_limiter.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_account_store.hpp"
#include "adapters/sqlite/sqlite_otp_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "adapters/sqlite/sqlite_session_store.hpp"
#include "services/user/service.hpp"

namespace parley {
namespace {

class KeptMail final : public Mailer {
 public:
  Result<void> send(const Mail& mail) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(mail);
    return {};
  }
  std::size_t count() const { return sent_.size(); }
  // The code in the newest mail's text (not the side channel), as a user would read it.
  std::string last_code() const {
    std::smatch m;
    const std::string& text = sent_.back().text;
    return std::regex_search(text, m, std::regex(R"(\b(\d{6})\b)")) ? m[1].str() : "";
  }

 private:
  std::mutex mutex_;
  std::vector<Mail> sent_;
};

constexpr std::string_view kPassword = "correct horse battery";
constexpr std::string_view kIp = "203.0.113.7";

class AuthServiceTest : public ::testing::Test {
 protected:
  AuthServiceTest()
      : ids_(clock_, 1),
        db_(":memory:"),
        accounts_(db_),
        sessions_(db_),
        otps_(db_),
        profiles_(db_),
        limiter_(clock_),
        signer_(load_or_create_signing_key(key_path()), "parley", clock_, std::chrono::seconds(900)),
        hasher_(1, 8192 * 1024),
        directory_(profiles_, clock_),
        auth_(config(), AuthPorts{accounts_, sessions_, otps_, directory_, mail_, limiter_, clock_, ids_}, signer_,
              hasher_),
        users_(profiles_, auth_, clock_) {}

  static std::filesystem::path key_path() {
    return std::filesystem::path(::testing::TempDir()) / "parley-auth-test" / "jwt.key";
  }
  static AuthConfig config() {
    AuthConfig c;
    c.rate_ip_per_min = 1000;
    c.rate_account_per_min = 1000;
    return c;
  }

  std::string register_verified(std::string email = "ann@example.com", std::string username = "ann") {
    const auto r = auth_.register_user({email, username, std::string(kPassword), std::nullopt}, kIp);
    EXPECT_TRUE(r) << (r ? "" : r.error().code);
    EXPECT_TRUE(auth_.verify_email(email, mail_.last_code(), kIp));
    return r ? r->user_id : "";
  }

  ManualClock clock_;
  SnowflakeIdGen ids_;
  SqliteDatabase db_;
  SqliteAccountStore accounts_;
  SqliteSessionStore sessions_;
  SqliteOtpStore otps_;
  SqliteProfileStore profiles_;
  MemoryRateLimiter limiter_;
  KeptMail mail_;
  JwtSigner signer_;
  PasswordHasher hasher_;
  ProfileDirectory directory_;
  AuthService auth_;
  UserService users_;
};

} // namespace

TEST_F(AuthServiceTest, RegistrationNormalisesAndMailsACode) {
  const auto r = auth_.register_user({" Ann@Example.COM ", "Ann", std::string(kPassword), "Ann Lee"}, kIp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->email, "ann@example.com");
  EXPECT_EQ(r->username, "ann");
  ASSERT_EQ(mail_.count(), 1u);
  EXPECT_EQ(mail_.last_code().size(), 6u);
  EXPECT_EQ(users_.get(r->user_id)->display_name, "Ann Lee");
}

TEST_F(AuthServiceTest, DuplicatesAreRefusedAndLeaveNothingBehind) {
  register_verified();
  EXPECT_EQ(auth_.register_user({"ANN@example.com", "other", std::string(kPassword), {}}, kIp).error().code,
            "email_taken");
  EXPECT_EQ(auth_.register_user({"bob@example.com", "ANN", std::string(kPassword), {}}, kIp).error().code,
            "username_taken");
  // The refused e-mail is still free: the failed attempt left no account behind.
  EXPECT_TRUE(auth_.register_user({"bob@example.com", "bob", std::string(kPassword), {}}, kIp));
}

TEST_F(AuthServiceTest, LoginNeedsAVerifiedAddressAndTheRightPassword) {
  ASSERT_TRUE(auth_.register_user({"ann@example.com", "ann", std::string(kPassword), {}}, kIp));
  EXPECT_EQ(auth_.login("ann@example.com", "wrong password!", kIp).error().code, "invalid_credentials");
  EXPECT_EQ(auth_.login("ann@example.com", kPassword, kIp).error().code, "email_not_verified");
  EXPECT_EQ(auth_.login("nobody@example.com", kPassword, kIp).error().code, "invalid_credentials");
  ASSERT_TRUE(auth_.verify_email("ann@example.com", mail_.last_code(), kIp));
  const auto tokens = auth_.login("ANN@example.com", kPassword, kIp);
  ASSERT_TRUE(tokens);
  const auto who = signer_.verify(tokens->access_token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user_id, tokens->user_id);
}

TEST_F(AuthServiceTest, CodesExpire) {
  ASSERT_TRUE(auth_.register_user({"ann@example.com", "ann", std::string(kPassword), {}}, kIp));
  const auto code = mail_.last_code();
  clock_.advance_ms(601'000);
  EXPECT_EQ(auth_.verify_email("ann@example.com", code, kIp).error().code, "code_expired");
}

TEST_F(AuthServiceTest, FiveWrongGuessesBurnTheCodeUntilANewOneIsSent) {
  ASSERT_TRUE(auth_.register_user({"ann@example.com", "ann", std::string(kPassword), {}}, kIp));
  const auto code = mail_.last_code();
  const std::string wrong = code == "000000" ? "111111" : "000000";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(auth_.verify_email("ann@example.com", wrong, kIp).error().code, "invalid_code");
  const auto burnt = auth_.verify_email("ann@example.com", code, kIp);
  ASSERT_FALSE(burnt);
  EXPECT_EQ(burnt.error().code, "too_many_attempts");
  EXPECT_EQ(burnt.error().kind, ErrorKind::rate_limited);
  clock_.advance_ms(61'000); // past the resend cooldown
  ASSERT_TRUE(auth_.resend_verification("ann@example.com", kIp));
  EXPECT_TRUE(auth_.verify_email("ann@example.com", mail_.last_code(), kIp));
}

TEST_F(AuthServiceTest, ResendHasACooldownAndRevealsNothing) {
  ASSERT_TRUE(auth_.register_user({"ann@example.com", "ann", std::string(kPassword), {}}, kIp));
  EXPECT_EQ(auth_.resend_verification("ann@example.com", kIp).error().kind, ErrorKind::rate_limited);
  EXPECT_TRUE(auth_.resend_verification("nobody@example.com", kIp)); // unknown: same answer as known
  clock_.advance_ms(60'000);
  EXPECT_TRUE(auth_.resend_verification("ann@example.com", kIp));
  EXPECT_EQ(mail_.count(), 2u);
}

TEST_F(AuthServiceTest, RefreshRotatesAndReuseRevokesTheSession) {
  register_verified();
  const auto first = auth_.login("ann@example.com", kPassword, kIp);
  ASSERT_TRUE(first);
  const auto second = auth_.refresh(first->refresh_token, kIp);
  ASSERT_TRUE(second);
  EXPECT_NE(second->refresh_token, first->refresh_token);
  EXPECT_EQ(auth_.refresh(first->refresh_token, kIp).error().code, "refresh_token_reused");
  EXPECT_EQ(auth_.refresh(second->refresh_token, kIp).error().code, "invalid_refresh_token");
  EXPECT_EQ(auth_.refresh("not-a-token", kIp).error().code, "invalid_refresh_token");
}

TEST_F(AuthServiceTest, RefreshTokensExpire) {
  register_verified();
  const auto t = auth_.login("ann@example.com", kPassword, kIp);
  clock_.advance_ms(31LL * 24 * 3600 * 1000);
  EXPECT_EQ(auth_.refresh(t->refresh_token, kIp).error().code, "invalid_refresh_token");
}

TEST_F(AuthServiceTest, ChangingThePasswordKeepsOnlyThisSession) {
  register_verified();
  const auto here = auth_.login("ann@example.com", kPassword, kIp);
  const auto there = auth_.login("ann@example.com", kPassword, kIp);
  const auto who = signer_.verify(here->access_token);
  ASSERT_TRUE(who);
  EXPECT_EQ(auth_.change_password(*who, "not my password", "a new long secret").error().code, "invalid_credentials");
  EXPECT_EQ(auth_.change_password(*who, kPassword, "short").error().code, "weak_password");
  ASSERT_TRUE(auth_.change_password(*who, kPassword, "a new long secret"));
  EXPECT_TRUE(auth_.refresh(here->refresh_token, kIp));
  EXPECT_FALSE(auth_.refresh(there->refresh_token, kIp));
  EXPECT_FALSE(auth_.login("ann@example.com", kPassword, kIp));
  EXPECT_TRUE(auth_.login("ann@example.com", "a new long secret", kIp));
}

TEST_F(AuthServiceTest, ResetNeedsTheMailedCodeAndRevokesEverySession) {
  register_verified();
  const auto session = auth_.login("ann@example.com", kPassword, kIp);
  ASSERT_TRUE(auth_.forgot_password("ann@example.com", kIp));
  ASSERT_TRUE(auth_.forgot_password("nobody@example.com", kIp));
  const auto code = mail_.last_code();
  EXPECT_EQ(auth_.reset_password("ann@example.com", code, "12345678", kIp).error().code, "weak_password");
  EXPECT_EQ(auth_.reset_password("ann@example.com", code == "000000" ? "111111" : "000000", "a new long secret", kIp)
                .error()
                .code,
            "invalid_code");
  ASSERT_TRUE(auth_.reset_password("ann@example.com", code, "a new long secret", kIp));
  EXPECT_FALSE(auth_.refresh(session->refresh_token, kIp));
  EXPECT_TRUE(auth_.login("ann@example.com", "a new long secret", kIp));
  EXPECT_FALSE(auth_.reset_password("ann@example.com", code, "yet another secret", kIp)); // used up
}

TEST_F(AuthServiceTest, LogoutAndLogoutAll) {
  register_verified();
  const auto a = auth_.login("ann@example.com", kPassword, kIp);
  const auto b = auth_.login("ann@example.com", kPassword, kIp);
  const auto c = auth_.login("ann@example.com", kPassword, kIp);
  ASSERT_TRUE(auth_.logout(*signer_.verify(a->access_token)));
  EXPECT_FALSE(auth_.refresh(a->refresh_token, kIp));
  EXPECT_TRUE(auth_.refresh(b->refresh_token, kIp));
  ASSERT_TRUE(auth_.logout_all(*signer_.verify(c->access_token)));
  EXPECT_FALSE(auth_.refresh(c->refresh_token, kIp));
}

TEST_F(AuthServiceTest, IpRateLimitRefusesWithRetryAfter) {
  AuthConfig strict;
  strict.rate_ip_per_min = 3;
  AuthService limited(strict, AuthPorts{accounts_, sessions_, otps_, directory_, mail_, limiter_, clock_, ids_},
                      signer_, hasher_);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(limited.login("x@example.com", kPassword, kIp).error().code, "invalid_credentials");
  const auto refused = limited.login("x@example.com", kPassword, kIp);
  EXPECT_EQ(refused.error().code, "rate_limited");
  EXPECT_GE(refused.error().retry_after.count(), 1);
  EXPECT_TRUE(limited.login("x@example.com", kPassword, "198.51.100.1").error().code == "invalid_credentials");
}

TEST_F(AuthServiceTest, DeletingTheAccountFreesItsAddressAndName) {
  const auto id = register_verified();
  const auto t = auth_.login("ann@example.com", kPassword, kIp);
  EXPECT_EQ(users_.delete_account(id, "wrong password!").error().code, "invalid_credentials");
  ASSERT_TRUE(users_.delete_account(id, kPassword));
  EXPECT_FALSE(auth_.login("ann@example.com", kPassword, kIp));
  EXPECT_FALSE(auth_.refresh(t->refresh_token, kIp));
  EXPECT_EQ(users_.get(id).error().code, "user_not_found");
  EXPECT_TRUE(auth_.register_user({"ann@example.com", "ann", std::string(kPassword), {}}, kIp));
}

} // namespace parley
