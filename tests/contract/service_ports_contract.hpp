#pragma once
// The contracts of the ports onto other services (UserDirectory, AccountAdmin,
// EmailDirectory, Membership, MessageDigest), run against every implementation: the services
// themselves in one process, and the remote adapters over their internal HTTP API. Each test
// gets a fresh ServiceWorld (the real services on SQLite in memory) to arrange what it needs,
// and the ports under test from its PortsParam.

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/inproc/memory_rate_limiter.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_account_store.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_otp_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "adapters/sqlite/sqlite_session_store.hpp"
#include "services/auth/service.hpp"
#include "services/chat/service.hpp"
#include "services/message/service.hpp"
#include "services/user/service.hpp"

namespace parley::contract {

inline constexpr std::string_view kPassword = "correct horse battery";
inline constexpr std::string_view kIp = "203.0.113.7";

// Keeps the mails so a test can read the codes in them.
class KeptMail final : public Mailer {
 public:
  Result<void> send(const Mail& mail) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(mail);
    return {};
  }
  // The six-digit code in the newest mail.
  std::string last_code() {
    std::lock_guard lock(mutex_);
    std::smatch m;
    if (sent_.empty()) return "";
    const std::string& text = sent_.back().text;
    return std::regex_search(text, m, std::regex(R"(\b(\d{6})\b)")) ? m[1].str() : "";
  }

 private:
  std::mutex mutex_;
  std::vector<Mail> sent_;
};

// Attachments are the media service's business; here every upload exists.
class EveryUpload final : public AttachmentCheck {
 public:
  Result<void> check(std::string_view, const std::vector<domain::Attachment>&) override { return {}; }
};

inline AuthConfig lenient_auth() {
  AuthConfig c;
  c.rate_ip_per_min = 10000;
  c.rate_account_per_min = 10000;
  c.otp_resend_cooldown = std::chrono::seconds(0);
  return c;
}

// Every service in one process, on SQLite in memory: what a test arranges its data with, and
// what the in-process ports are.
struct ServiceWorld {
  ServiceWorld()
      : ids(clock, 3),
        db(":memory:"),
        accounts(db),
        sessions(db),
        otps(db),
        profiles(db),
        chat_store(db),
        message_store(db),
        limiter(clock),
        signer(generate_signing_key(), "parley", clock, std::chrono::seconds(900)),
        hasher(1, 8192 * 1024),
        directory(profiles, clock),
        auth(lenient_auth(), AuthPorts{accounts, sessions, otps, directory, mail, limiter, clock, ids}, signer, hasher),
        membership(chat_store),
        messages({message_store, membership, bus, log, uploads, clock, ids}),
        chats(ChatConfig{100}, {chat_store, directory, messages, presence, bus, log, clock, ids}) {}
  ~ServiceWorld() { log.close(); }

  // A registered account (and its profile); verified unless told otherwise. Returns its id.
  std::string register_user(const std::string& username, bool verified = true) {
    const std::string email = username + "@example.com";
    auto r = auth.register_user({email, username, std::string(kPassword), std::nullopt}, kIp);
    EXPECT_TRUE(r) << r.error().code;
    if (!r) return "";
    if (verified) {
      EXPECT_TRUE(auth.verify_email(email, mail.last_code(), kIp));
    }
    return r->user_id;
  }
  // A profile only (no account), with id == username.
  void add_profile(const std::string& id) {
    auto ok = directory.create_profile({id, id, id + "@example.com", id});
    EXPECT_TRUE(ok) << ok.error().code;
  }

  ManualClock clock;
  SnowflakeIdGen ids;
  SqliteDatabase db;
  SqliteAccountStore accounts;
  SqliteSessionStore sessions;
  SqliteOtpStore otps;
  SqliteProfileStore profiles;
  SqliteChatStore chat_store;
  SqliteMessageStore message_store;
  MemoryRateLimiter limiter;
  KeptMail mail;
  InprocEventBus bus;
  InprocEventLog log;
  MemoryPresence presence;
  EveryUpload uploads;
  JwtSigner signer;
  PasswordHasher hasher;
  ProfileDirectory directory;
  AuthService auth;
  ChatDirectory membership;
  MessageService messages;
  ChatService chats;
};

// The ports under test, as another service would hold them.
class PortSet {
 public:
  virtual ~PortSet() = default;
  virtual UserDirectory& users() = 0;
  virtual AccountAdmin& accounts() = 0;
  virtual EmailDirectory& emails() = 0;
  virtual Membership& membership() = 0;
  virtual MessageDigest& digests() = 0;
};

struct PortsParam {
  std::string name; // test-name suffix: letters, digits and '_' only
  std::function<std::unique_ptr<PortSet>(ServiceWorld&)> make;
};

inline std::ostream& operator<<(std::ostream& os, const PortsParam& p) { return os << p.name; }

inline std::string ports_name(const testing::TestParamInfo<PortsParam>& info) { return info.param.name; }

// Fixture base: a fresh world and fresh ports per test.
class ServicePortsContract : public testing::TestWithParam<PortsParam> {
 protected:
  void SetUp() override {
    world_ = std::make_unique<ServiceWorld>();
    ports_ = GetParam().make(*world_);
  }
  void TearDown() override {
    ports_.reset();
    world_.reset();
  }
  ServiceWorld& world() { return *world_; }
  PortSet& ports() { return *ports_; }

 private:
  std::unique_ptr<ServiceWorld> world_;
  std::unique_ptr<PortSet> ports_;
};

// The value of `r`; a failed expectation (and T{}) when it is an error.
template <class T>
T ok(Result<T> r) {
  EXPECT_TRUE(r) << r.error().code << ": " << r.error().message;
  return r ? std::move(*r) : T{};
}

inline void expect_same_message(const domain::Message& want, const domain::Message& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.chat_id, got.chat_id);
  EXPECT_EQ(want.seq, got.seq);
  EXPECT_EQ(want.sender_id, got.sender_id);
  EXPECT_EQ(want.client_id, got.client_id);
  EXPECT_EQ(want.body, got.body);
  EXPECT_EQ(want.attachments_json, got.attachments_json);
  EXPECT_EQ(want.reply_to, got.reply_to);
  EXPECT_EQ(want.mentions, got.mentions);
  EXPECT_EQ(want.created_at_ms, got.created_at_ms);
  EXPECT_EQ(want.edited_at_ms, got.edited_at_ms);
  EXPECT_EQ(want.deleted, got.deleted);
}

inline void expect_same_digest(const ChatDigest& want, const ChatDigest& got) {
  ASSERT_EQ(want.last_message.has_value(), got.last_message.has_value());
  if (want.last_message) expect_same_message(*want.last_message, *got.last_message);
  EXPECT_EQ(want.last_seq, got.last_seq);
  EXPECT_EQ(want.unread_count, got.unread_count);
  EXPECT_EQ(want.read_seq, got.read_seq);
}

// Ids with every kind of byte a path or query could misread.
inline const std::vector<std::string>& odd_ids() {
  static const std::vector<std::string> ids{"a/b", "a b+c", "x%2Fy", "q?x=1#f", "..", ".", "\xc3\xa9t\xc3\xa9"};
  return ids;
}

// --- UserDirectory -------------------------------------------------------------------------

class UserDirectoryContract : public ServicePortsContract {};

TEST_P(UserDirectoryContract, ACreatedProfileExistsWithWhatWasGiven) {
  ASSERT_TRUE(ports().users().create_profile({"u1", "ann", "ann@example.com", "Ann Lee"}));
  EXPECT_EQ(ok(ports().users().exists("u1")), true);
  EXPECT_EQ(ok(ports().users().exists("u2")), false);
  auto stored = world().profiles.find_by_id("u1");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->username, "ann");
  EXPECT_EQ((*stored)->email, "ann@example.com");
  EXPECT_EQ((*stored)->display_name, "Ann Lee");
}

TEST_P(UserDirectoryContract, ATakenUsernameIsAConflict) {
  ASSERT_TRUE(ports().users().create_profile({"u1", "ann", "ann@example.com", "Ann"}));
  auto again = ports().users().create_profile({"u2", "ann", "other@example.com", "Other"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(again.error().code, "username_taken");
  EXPECT_EQ(ok(ports().users().exists("u2")), false);
}

TEST_P(UserDirectoryContract, RemovingIsIdempotent) {
  ASSERT_TRUE(ports().users().create_profile({"u1", "ann", "ann@example.com", "Ann"}));
  EXPECT_TRUE(ports().users().remove_profile("u1"));
  EXPECT_EQ(ok(ports().users().exists("u1")), false);
  EXPECT_TRUE(ports().users().remove_profile("u1"));
  EXPECT_TRUE(ports().users().remove_profile("never"));
}

TEST_P(UserDirectoryContract, IdsArriveExactlyAsGiven) {
  int n = 0;
  for (const auto& id : odd_ids()) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(ports().users().create_profile({id, "user" + std::to_string(n++), id + "@example.com", "Odd"}));
    EXPECT_EQ(ok(ports().users().exists(id)), true);
    EXPECT_EQ(ok(world().directory.exists(id)), true);
  }
  EXPECT_EQ(ok(ports().users().exists("a")), false);
  EXPECT_EQ(ok(ports().users().exists("x/y")), false);
  EXPECT_EQ(ok(ports().users().exists("a+b+c")), false);
  ASSERT_TRUE(ports().users().remove_profile("a/b"));
  EXPECT_EQ(ok(world().directory.exists("a/b")), false);
  EXPECT_EQ(ok(world().directory.exists("x%2Fy")), true);
}

TEST_P(UserDirectoryContract, AnEmptyIdIsNoProfile) {
  EXPECT_EQ(ok(ports().users().exists("")), false);
  EXPECT_TRUE(ports().users().remove_profile(""));
}

// --- AccountAdmin --------------------------------------------------------------------------

class AccountAdminContract : public ServicePortsContract {};

TEST_P(AccountAdminContract, AWrongPasswordIsInvalidCredentialsAndChangesNothing) {
  const auto ann = world().register_user("ann");
  auto closed = ports().accounts().close_account(ann, "not the password");
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().kind, ErrorKind::unauthenticated);
  EXPECT_EQ(closed.error().code, "invalid_credentials");
  EXPECT_TRUE(world().auth.login("ann@example.com", kPassword, kIp));
}

TEST_P(AccountAdminContract, ClosingRemovesTheAccountAndFreesTheEmail) {
  const auto ann = world().register_user("ann");
  ASSERT_TRUE(world().auth.login("ann@example.com", kPassword, kIp));
  ASSERT_TRUE(ports().accounts().close_account(ann, kPassword));
  auto login = world().auth.login("ann@example.com", kPassword, kIp);
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code, "invalid_credentials");
  EXPECT_EQ(ok(world().auth.email_of(ann)), std::optional<std::string>{});
  // The profile is the user service's to remove; only then is the username free too.
  ASSERT_TRUE(world().directory.remove_profile(ann));
  EXPECT_TRUE(world().auth.register_user({"ann@example.com", "ann", std::string(kPassword), std::nullopt}, kIp));
}

TEST_P(AccountAdminContract, NoSuchAccountIsInvalidCredentials) {
  for (const std::string id : {"nobody", "", "a/b"}) {
    SCOPED_TRACE(id);
    auto closed = ports().accounts().close_account(id, kPassword);
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().kind, ErrorKind::unauthenticated);
    EXPECT_EQ(closed.error().code, "invalid_credentials");
  }
}

// --- EmailDirectory ------------------------------------------------------------------------

class EmailDirectoryContract : public ServicePortsContract {};

TEST_P(EmailDirectoryContract, AVerifiedUserHasTheirAddress) {
  const auto ann = world().register_user("ann");
  EXPECT_EQ(ok(ports().emails().email_of(ann)), std::optional<std::string>{"ann@example.com"});
}

TEST_P(EmailDirectoryContract, AnUnverifiedUserHasNone) {
  const auto bob = world().register_user("bob", false);
  auto email = ports().emails().email_of(bob);
  ASSERT_TRUE(email);
  EXPECT_EQ(*email, std::nullopt);
}

TEST_P(EmailDirectoryContract, NoSuchUserHasNone) {
  for (const std::string id : {"nobody", "", "a/b"}) {
    SCOPED_TRACE(id);
    auto email = ports().emails().email_of(id);
    ASSERT_TRUE(email) << email.error().code;
    EXPECT_EQ(*email, std::nullopt);
  }
}

// --- Membership ----------------------------------------------------------------------------

class MembershipContract : public ServicePortsContract {
 protected:
  // ann owns "Team" with bob (admin) and cat; ann and dan share a direct chat; eve is alone.
  void SetUp() override {
    ServicePortsContract::SetUp();
    for (const char* id : {"ann", "bob", "cat", "dan", "eve"}) world().add_profile(id);
    auto team = world().chats.create_group("ann", {"Team", "", {"bob", "cat"}});
    ASSERT_TRUE(team) << team.error().code;
    team_ = team->chat.id;
    ASSERT_TRUE(world().chats.set_role("ann", team_, "bob", domain::Role::admin));
    auto direct = world().chats.open_direct("ann", "dan");
    ASSERT_TRUE(direct) << direct.error().code;
    direct_ = direct->first.chat.id;
  }

  std::string team_;
  std::string direct_;
};

TEST_P(MembershipContract, EachMemberHasTheirRole) {
  using domain::Role;
  EXPECT_EQ(ok(ports().membership().role_of(team_, "ann")), std::optional<Role>{Role::owner});
  EXPECT_EQ(ok(ports().membership().role_of(team_, "bob")), std::optional<Role>{Role::admin});
  EXPECT_EQ(ok(ports().membership().role_of(team_, "cat")), std::optional<Role>{Role::member});
  EXPECT_EQ(ok(ports().membership().role_of(direct_, "dan")), std::optional<Role>{Role::member});
}

TEST_P(MembershipContract, NotAMemberOrNoSuchChatHasNoRole) {
  for (const auto& [chat, user] : std::vector<std::pair<std::string, std::string>>{
           {team_, "dan"}, {team_, "nobody"}, {"no-such-chat", "ann"}, {"", "ann"}, {team_, ""}, {"a/b", "a/b"}}) {
    SCOPED_TRACE(chat + " " + user);
    auto role = ports().membership().role_of(chat, user);
    ASSERT_TRUE(role) << role.error().code;
    EXPECT_EQ(*role, std::nullopt);
  }
}

TEST_P(MembershipContract, MemberIdsAreEveryMember) {
  auto team = ports().membership().member_ids(team_);
  ASSERT_TRUE(team);
  std::sort(team->begin(), team->end());
  EXPECT_EQ(*team, (std::vector<std::string>{"ann", "bob", "cat"}));
  auto direct = ports().membership().member_ids(direct_);
  ASSERT_TRUE(direct);
  std::sort(direct->begin(), direct->end());
  EXPECT_EQ(*direct, (std::vector<std::string>{"ann", "dan"}));
  for (const std::string chat : {"no-such-chat", "", "a/b"}) {
    SCOPED_TRACE(chat);
    EXPECT_EQ(ok(ports().membership().member_ids(chat)), std::vector<std::string>{});
  }
}

TEST_P(MembershipContract, ChangesMadeThroughTheChatServiceAreSeenAtOnce) {
  using domain::Role;
  auto& m = ports().membership();
  EXPECT_EQ(ok(m.role_of(team_, "dan")), std::nullopt); // asked once before each change
  EXPECT_EQ(ok(m.member_ids(team_)).size(), 3u);
  ASSERT_TRUE(world().chats.add_member("ann", team_, "dan"));
  EXPECT_EQ(ok(m.role_of(team_, "dan")), std::optional<Role>{Role::member});
  EXPECT_EQ(ok(m.member_ids(team_)).size(), 4u);
  ASSERT_TRUE(world().chats.set_role("ann", team_, "dan", Role::admin));
  EXPECT_EQ(ok(m.role_of(team_, "dan")), std::optional<Role>{Role::admin});
  ASSERT_TRUE(world().chats.remove_member("ann", team_, "dan"));
  EXPECT_EQ(ok(m.role_of(team_, "dan")), std::nullopt);
  EXPECT_EQ(ok(m.member_ids(team_)).size(), 3u);
  EXPECT_EQ(ok(m.role_of(direct_, "dan")), std::optional<Role>{Role::member}) << "another chat's answers stand";
}

TEST_P(MembershipContract, ContactsAreEveryoneSharingAChat) {
  EXPECT_EQ(ok(ports().membership().contacts("ann")), (std::vector<std::string>{"bob", "cat", "dan"}));
  EXPECT_EQ(ok(ports().membership().contacts("bob")), (std::vector<std::string>{"ann", "cat"}));
  EXPECT_EQ(ok(ports().membership().contacts("dan")), (std::vector<std::string>{"ann"}));
  for (const std::string user : {"eve", "nobody", "", "a/b"}) {
    SCOPED_TRACE(user);
    EXPECT_EQ(ok(ports().membership().contacts(user)), std::vector<std::string>{});
  }
}

TEST_P(MembershipContract, TouchMovesTheActivityForwardOnly) {
  const auto before = world().chat_store.find(team_);
  ASSERT_TRUE(before && before->has_value());
  const std::int64_t later = (*before)->last_activity_ms + 60'000;
  ASSERT_TRUE(ports().membership().touch(team_, later));
  EXPECT_EQ((*world().chat_store.find(team_))->last_activity_ms, later);
  ASSERT_TRUE(ports().membership().touch(team_, later - 30'000));
  EXPECT_EQ((*world().chat_store.find(team_))->last_activity_ms, later);
}

TEST_P(MembershipContract, TouchAllMovesEachChatForwardAndSkipsUnknownChats) {
  const auto before = world().chat_store.find(team_);
  ASSERT_TRUE(before && before->has_value());
  const std::int64_t later = (*before)->last_activity_ms + 60'000;
  ASSERT_TRUE(ports().membership().touch_all({{"no-such-chat", later}, {team_, later}, {team_, later - 30'000}}));
  EXPECT_EQ((*world().chat_store.find(team_))->last_activity_ms, later);
}

TEST_P(MembershipContract, TouchingNoSuchChatIsChatNotFound) {
  for (const std::string chat : {"no-such-chat", "", "a/b"}) {
    SCOPED_TRACE(chat);
    auto touched = ports().membership().touch(chat, 1);
    ASSERT_FALSE(touched);
    EXPECT_EQ(touched.error().kind, ErrorKind::not_found);
    EXPECT_EQ(touched.error().code, "chat_not_found");
  }
}

// --- MessageDigest -------------------------------------------------------------------------

class MessageDigestContract : public ServicePortsContract {
 protected:
  // ann and bob in "Team".
  void SetUp() override {
    ServicePortsContract::SetUp();
    for (const char* id : {"ann", "bob"}) world().add_profile(id);
    auto team = world().chats.create_group("ann", {"Team", "", {"bob"}});
    ASSERT_TRUE(team) << team.error().code;
    team_ = team->chat.id;
  }
  domain::Message send(const std::string& from, SendInput in) {
    in.chat_id = team_;
    world().clock.advance_ms(1000);
    auto sent = world().messages.send(from, in);
    EXPECT_TRUE(sent) << sent.error().code;
    return sent ? sent->message : domain::Message{};
  }

  std::string team_;
};

TEST_P(MessageDigestContract, AChatWithoutMessagesHasAnEmptyDigest) {
  for (const auto& [chat, user] : std::vector<std::pair<std::string, std::string>>{
           {team_, "ann"}, {"no-such-chat", "ann"}, {"", "ann"}, {"a/b", "c d"}}) {
    SCOPED_TRACE(chat + " " + user);
    auto d = ports().digests().digest(chat, user);
    ASSERT_TRUE(d) << d.error().code;
    expect_same_digest(ChatDigest{}, *d);
  }
}

TEST_P(MessageDigestContract, TheLastMessageComesWithEveryField) {
  const auto first = send("ann", {"", "k1", "hello", "", {}, {}});
  auto last = send("bob", {"", "k2", "hi \"ann\"", first.id, {"ann"}, {{"f/1", "a.png", "image/png", 10, 4, 3}}});
  world().clock.advance_ms(1000);
  auto edited = world().messages.edit("bob", team_, last.id, "hi ann");
  ASSERT_TRUE(edited);
  last = *edited;
  ASSERT_NE(last.attachments_json, "[]");
  ASSERT_GT(last.edited_at_ms, 0);

  auto d = ports().digests().digest(team_, "ann");
  ASSERT_TRUE(d) << d.error().code;
  ASSERT_TRUE(d->last_message);
  expect_same_message(last, *d->last_message);
  EXPECT_EQ(d->last_seq, 2);
  EXPECT_EQ(d->unread_count, 1);
  EXPECT_EQ(d->read_seq, 1); // sending reads up to one's own message

  auto bobs = ports().digests().digest(team_, "bob");
  ASSERT_TRUE(bobs);
  EXPECT_EQ(bobs->unread_count, 0);
  EXPECT_EQ(bobs->read_seq, 2);
}

TEST_P(MessageDigestContract, ReadingMovesTheCursor) {
  send("bob", {"", "k1", "one", "", {}, {}});
  send("bob", {"", "k2", "two", "", {}, {}});
  send("bob", {"", "k3", "three", "", {}, {}});
  ASSERT_TRUE(world().messages.mark_read("ann", team_, 2));
  auto d = ports().digests().digest(team_, "ann");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->read_seq, 2);
  EXPECT_EQ(d->unread_count, 1);
  EXPECT_EQ(d->last_seq, 3);
}

TEST_P(MessageDigestContract, ADeletedLastMessageComesMarkedDeleted) {
  send("ann", {"", "k1", "hello", "", {}, {}});
  const auto gone = send("ann", {"", "k2", "oops", "", {"bob"}, {}});
  ASSERT_TRUE(world().messages.remove("ann", team_, gone.id));
  auto d = ports().digests().digest(team_, "bob");
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->last_message);
  EXPECT_EQ(d->last_message->id, gone.id);
  EXPECT_TRUE(d->last_message->deleted);
  EXPECT_EQ(d->last_message->body, "");
  EXPECT_EQ(d->last_message->client_id, "k2");
}

TEST_P(MessageDigestContract, AnyUserIdGetsTheServicesAnswer) {
  send("ann", {"", "k1", "hello", "", {}, {}});
  for (const std::string user : {"", "nobody", "a/b", "a+b"}) {
    SCOPED_TRACE(user);
    auto want = world().messages.digest(team_, user);
    ASSERT_TRUE(want);
    auto got = ports().digests().digest(team_, user);
    ASSERT_TRUE(got) << got.error().code;
    expect_same_digest(*want, *got);
  }
}

} // namespace parley::contract
