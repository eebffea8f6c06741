// The service ports' contracts (service_ports_contract.hpp) run against the services in
// process and against the remote adapters talking over real HTTP to the internal routes,
// which are backed by the same services. Then what only the HTTP path has: the service
// token on every internal route, replies of the wrong shape, a service that is down, and
// docs/internal-api.md listing every internal route.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "adapters/remote/cached_membership.hpp"
#include "adapters/remote/remote_account_admin.hpp"
#include "adapters/remote/remote_email_directory.hpp"
#include "adapters/remote/remote_membership.hpp"
#include "adapters/remote/remote_message_digest.hpp"
#include "adapters/remote/remote_user_directory.hpp"
#include "service_ports_contract.hpp"
#include "services/auth/internal_routes.hpp"
#include "services/chat/internal_routes.hpp"
#include "services/message/internal_routes.hpp"
#include "services/message/messaging_routes.hpp"
#include "services/user/internal_routes.hpp"
#include "transport/client/http_client.hpp"
#include "transport/client/service_client.hpp"
#include "transport/http/response.hpp"
#include "transport/http/server.hpp"

namespace parley::contract {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kToken = "service-secret";

// A real server on port 0 with the routes `mount` adds, served until destroyed.
class TestServer {
 public:
  explicit TestServer(const std::function<void(http::Router&)>& mount) {
    mount(router_);
    http::ServerConfig config;
    config.port = 0;
    config.io_threads = 1;
    config.handler_threads = 2;
    server_ = std::make_unique<http::Server>(config, router_, metrics_);
    runner_ = std::thread([this] { server_->run(); });
    while (!server_->ready()) std::this_thread::sleep_for(5ms);
  }
  ~TestServer() {
    server_->stop();
    runner_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  const http::Router& router() const { return router_; }

 private:
  http::Router router_;
  http::HttpMetrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::thread runner_;
};

class InProcessPorts final : public PortSet {
 public:
  explicit InProcessPorts(ServiceWorld& w) : w_(w) {}
  UserDirectory& users() override { return w_.directory; }
  AccountAdmin& accounts() override { return w_.auth; }
  EmailDirectory& emails() override { return w_.auth; }
  Membership& membership() override { return w_.membership; }
  MessageDigest& digests() override { return w_.messages; }

 private:
  ServiceWorld& w_;
};

// One server per service, each mounting that service's internal routes over the world's
// in-process implementation, and the remote adapters calling them.
class HttpPorts final : public PortSet {
 public:
  explicit HttpPorts(ServiceWorld& w, std::string_view server_token = kToken, std::string_view client_token = kToken)
      : user_server_([&](http::Router& r) { mount_user_internal_routes(r, w.directory, std::string(server_token)); }),
        auth_server_(
            [&](http::Router& r) { mount_auth_internal_routes(r, w.auth, w.auth, std::string(server_token)); }),
        chat_server_([&](http::Router& r) { mount_chat_internal_routes(r, w.membership, std::string(server_token)); }),
        message_server_(
            [&](http::Router& r) { mount_message_internal_routes(r, w.messages, std::string(server_token)); }),
        user_client_("user", {user_server_.url()}, std::string(client_token), http_),
        auth_client_("auth", {auth_server_.url()}, std::string(client_token), http_),
        chat_client_("chat", {chat_server_.url()}, std::string(client_token), http_),
        message_client_("message", {message_server_.url()}, std::string(client_token), http_),
        users_(user_client_),
        accounts_(auth_client_),
        emails_(auth_client_),
        membership_(chat_client_),
        digests_(message_client_) {}

  UserDirectory& users() override { return users_; }
  AccountAdmin& accounts() override { return accounts_; }
  EmailDirectory& emails() override { return emails_; }
  Membership& membership() override { return membership_; }
  MessageDigest& digests() override { return digests_; }

  std::vector<const TestServer*> servers() const {
    return {&user_server_, &auth_server_, &chat_server_, &message_server_};
  }

 private:
  HttpClient http_;
  TestServer user_server_;
  TestServer auth_server_;
  TestServer chat_server_;
  TestServer message_server_;
  ServiceClient user_client_;
  ServiceClient auth_client_;
  ServiceClient chat_client_;
  ServiceClient message_client_;
  RemoteUserDirectory users_;
  RemoteAccountAdmin accounts_;
  RemoteEmailDirectory emails_;
  RemoteMembership membership_;
  RemoteMessageDigest digests_;
};

// The HTTP ports with membership answers cached, as the WebSocket nodes and the message
// instances hold them: kept fresh by the chat service's announcements on the world's bus.
class CachedHttpPorts final : public PortSet {
 public:
  explicit CachedHttpPorts(ServiceWorld& w) : http_(w), membership_(http_.membership(), w.bus, w.clock) {}

  UserDirectory& users() override { return http_.users(); }
  AccountAdmin& accounts() override { return http_.accounts(); }
  EmailDirectory& emails() override { return http_.emails(); }
  Membership& membership() override { return membership_; }
  MessageDigest& digests() override { return http_.digests(); }

 private:
  HttpPorts http_;
  CachedMembership membership_;
};

template <class Ports>
PortsParam ports_param(std::string name) {
  return {std::move(name), [](ServiceWorld& w) { return std::unique_ptr<PortSet>(std::make_unique<Ports>(w)); }};
}

const auto kImplementations = testing::Values(ports_param<InProcessPorts>("InProcess"), ports_param<HttpPorts>("Http"));
const auto kMemberships = testing::Values(ports_param<InProcessPorts>("InProcess"), ports_param<HttpPorts>("Http"),
                                          ports_param<CachedHttpPorts>("CachedHttp"));

INSTANTIATE_TEST_SUITE_P(Ports, UserDirectoryContract, kImplementations, ports_name);
INSTANTIATE_TEST_SUITE_P(Ports, AccountAdminContract, kImplementations, ports_name);
INSTANTIATE_TEST_SUITE_P(Ports, EmailDirectoryContract, kImplementations, ports_name);
INSTANTIATE_TEST_SUITE_P(Ports, MembershipContract, kMemberships, ports_name);
INSTANTIATE_TEST_SUITE_P(Ports, MessageDigestContract, kImplementations, ports_name);

// A concrete path for a route pattern: each `{param}` becomes "x".
std::string concrete(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      i = pattern.find('}', i);
      out += "x";
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::string error_code(const HttpReply& reply) {
  boost::system::error_code ec;
  const auto body = boost::json::parse(reply.body, ec);
  if (ec || !body.is_object()) return "";
  const auto* error = body.as_object().if_contains("error");
  const auto* code = error && error->is_object() ? error->as_object().if_contains("code") : nullptr;
  return code && code->is_string() ? std::string(code->get_string()) : "";
}

// Calls every port method once; each result is an error or a value.
struct PortCall {
  std::string name;
  std::function<Result<void>(PortSet&)> call;
};

template <class T>
Result<void> drop_value(const Result<T>& r) {
  if (!r) return fail(r.error());
  return {};
}

std::vector<PortCall> every_port_call() {
  return {
      {"create_profile",
       [](PortSet& p) {
         return p.users().create_profile({"u9", "zed", "zed@example.com", "Zed"});
       }},
      {"exists", [](PortSet& p) { return drop_value(p.users().exists("u1")); }},
      {"remove_profile", [](PortSet& p) { return p.users().remove_profile("u1"); }},
      {"close_account", [](PortSet& p) { return p.accounts().close_account("u1", kPassword); }},
      {"email_of", [](PortSet& p) { return drop_value(p.emails().email_of("u1")); }},
      {"role_of", [](PortSet& p) { return drop_value(p.membership().role_of("c1", "u1")); }},
      {"member_ids", [](PortSet& p) { return drop_value(p.membership().member_ids("c1")); }},
      {"contacts", [](PortSet& p) { return drop_value(p.membership().contacts("u1")); }},
      {"touch", [](PortSet& p) { return p.membership().touch("c1", 5); }},
      {"digest", [](PortSet& p) { return drop_value(p.digests().digest("c1", "u1")); }},
  };
}

class RemoteApi : public ::testing::Test {
 protected:
  ServiceWorld world_;
  HttpClient http_;
};

TEST_F(RemoteApi, EveryInternalRouteRefusesAMissingOrWrongToken) {
  HttpPorts ports(world_);
  std::size_t routes = 0;
  for (const auto* server : ports.servers()) {
    for (const auto& route : server->router().routes()) {
      ++routes;
      const auto url = server->url() + concrete(route.pattern) + "?user_id=x";
      for (const auto& token : std::vector<std::optional<std::string>>{
               std::nullopt, "", "wrong", std::string(kToken).substr(1), std::string(kToken) + "x"}) {
        SCOPED_TRACE(route.method + " " + route.pattern + " token " + token.value_or("(none)"));
        HttpCall call{route.method, url, {}, route.method == "POST" ? "{}" : ""};
        if (token) call.headers.emplace_back("X-Parley-Service-Token", *token);
        auto reply = http_.call(call);
        ASSERT_TRUE(reply) << reply.error().message;
        EXPECT_EQ(reply->status, 401u);
        EXPECT_EQ(error_code(*reply), "invalid_service_token");
      }
      // With the token the route runs (its own answer, whatever it is, is not the token's).
      auto reply = http_.call({route.method, url, {{"X-Parley-Service-Token", std::string(kToken)}}, ""});
      ASSERT_TRUE(reply);
      EXPECT_NE(error_code(*reply), "invalid_service_token") << route.pattern;
    }
  }
  EXPECT_EQ(routes, 10u);
}

TEST_F(RemoteApi, AnEmptyConfiguredTokenRefusesEverything) {
  HttpPorts ports(world_, "", "");
  for (const auto* server : ports.servers())
    for (const auto& route : server->router().routes()) {
      SCOPED_TRACE(route.method + " " + route.pattern);
      auto reply = http_.call(
          {route.method, server->url() + concrete(route.pattern) + "?user_id=x", {{"X-Parley-Service-Token", ""}}, ""});
      ASSERT_TRUE(reply);
      EXPECT_EQ(reply->status, 401u);
      EXPECT_EQ(error_code(*reply), "invalid_service_token");
    }
  for (const auto& c : every_port_call()) EXPECT_FALSE(c.call(ports)) << c.name;
}

// A refused token is the deployment's fault: internal, so no end user is told 401.
TEST_F(RemoteApi, AdaptersWithTheWrongTokenReportAnInternalError) {
  HttpPorts ports(world_, kToken, "not-the-token");
  for (const auto& c : every_port_call()) {
    SCOPED_TRACE(c.name);
    auto r = c.call(ports);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::internal);
    EXPECT_EQ(r.error().code, "invalid_service_token");
    EXPECT_FALSE(r.error().retryable);
  }
}

TEST_F(RemoteApi, AServiceThatIsDownIsUnavailable) {
  // Port 1: nothing listens there on a test machine.
  ServiceClient down("any", {"http://127.0.0.1:1"}, std::string(kToken), http_);
  RemoteUserDirectory users(down);
  RemoteAccountAdmin accounts(down);
  RemoteEmailDirectory emails(down);
  RemoteMembership membership(down);
  RemoteMessageDigest digests(down);
  class DownPorts final : public PortSet {
   public:
    DownPorts(UserDirectory& u, AccountAdmin& a, EmailDirectory& e, Membership& m, MessageDigest& d)
        : u_(u), a_(a), e_(e), m_(m), d_(d) {}
    UserDirectory& users() override { return u_; }
    AccountAdmin& accounts() override { return a_; }
    EmailDirectory& emails() override { return e_; }
    Membership& membership() override { return m_; }
    MessageDigest& digests() override { return d_; }

   private:
    UserDirectory& u_;
    AccountAdmin& a_;
    EmailDirectory& e_;
    Membership& m_;
    MessageDigest& d_;
  } ports(users, accounts, emails, membership, digests);
  for (const auto& c : every_port_call()) {
    SCOPED_TRACE(c.name);
    auto r = c.call(ports);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(r.error().retryable);
  }
}

TEST_F(RemoteApi, MalformedPathsAndBodiesAreInvalidArguments) {
  HttpPorts ports(world_);
  const auto user_url = ports.servers()[0]->url();
  const auto chat_url = ports.servers()[2]->url();
  const auto message_url = ports.servers()[3]->url();
  const HttpHeaders token{{"X-Parley-Service-Token", std::string(kToken)}};
  const std::vector<std::pair<HttpCall, std::string>> cases{
      {{"GET", user_url + "/internal/v1/profiles/%zz", token, ""}, "invalid_path"},
      {{"POST", user_url + "/internal/v1/profiles", token, R"({"id":"u1","username":"ann"})"}, "invalid_field"},
      {{"POST", user_url + "/internal/v1/profiles", token,
        R"({"id":"u1","username":"a","email":"e","display_name":"d",)"
        R"("admin":true})"},
       "unknown_field"},
      {{"POST", chat_url + "/internal/v1/chats/c1/touch", token, R"({"at_ms":"soon"})"}, "invalid_field"},
      {{"POST", chat_url + "/internal/v1/chats/c1/touch", token, "not json"}, "invalid_json"},
      {{"GET", message_url + "/internal/v1/chats/c1/digest", token, ""}, "invalid_query"},
  };
  for (const auto& [call, code] : cases) {
    SCOPED_TRACE(call.method + " " + call.url + " " + call.body);
    auto reply = http_.call(call);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 400u);
    EXPECT_EQ(error_code(*reply), code);
  }
}

// A server with every internal route answering 200 with whatever body the test sets.
class FakeServices {
 public:
  FakeServices()
      : server_([this](http::Router& r) {
          for (const auto& [method, pattern] : std::vector<std::pair<std::string, std::string>>{
                   {"POST", "/internal/v1/profiles"},
                   {"GET", "/internal/v1/profiles/{user_id}"},
                   {"DELETE", "/internal/v1/profiles/{user_id}"},
                   {"POST", "/internal/v1/accounts/{user_id}/close"},
                   {"GET", "/internal/v1/accounts/{user_id}/email"},
                   {"GET", "/internal/v1/chats/{chat_id}/members/{user_id}"},
                   {"GET", "/internal/v1/chats/{chat_id}/members"},
                   {"GET", "/internal/v1/users/{user_id}/contacts"},
                   {"POST", "/internal/v1/chats/{chat_id}/touch"},
                   {"GET", "/internal/v1/chats/{chat_id}/digest"}})
            r.add(method, pattern, [this](http::Request&) {
              std::lock_guard lock(mutex_);
              return http::Response{status_, body_};
            });
        }),
        client_("fake", {server_.url()}, std::string(kToken), http_),
        users_(client_),
        emails_(client_),
        membership_(client_),
        digests_(client_) {}

  void answer(unsigned status, std::string body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }

  HttpClient http_;
  std::mutex mutex_;
  unsigned status_ = 200;
  std::string body_;
  TestServer server_;
  ServiceClient client_;
  RemoteUserDirectory users_;
  RemoteEmailDirectory emails_;
  RemoteMembership membership_;
  RemoteMessageDigest digests_;
};

// Every reading method, on a body that fits none of them, fails as internal.
TEST_F(RemoteApi, RepliesOfTheWrongShapeAreInternalErrors) {
  FakeServices fake;
  const std::vector<std::string> bodies{
      "",
      "[]",
      "42",
      R"("text")",
      "{}",
      "{not json",
      R"({"id":7,"email":5,"role":"king","user_ids":[1],"last_message":null,"last_seq":"1","unread_count":0,"read_seq":0})",
      R"({"role":["owner"],"user_ids":"ann","email":{},"id":null,"last_message":{"id":"m"},"last_seq":1,"unread_count":0,"read_seq":0})",
      R"({"id":"someone-else","user_ids":["a",null],"last_seq":1.5,"unread_count":0,"read_seq":0,"last_message":null})",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    fake.answer(200, body);
    const std::vector<std::pair<std::string, Result<void>>> results{
        {"exists", drop_value(fake.users_.exists("u1"))},
        {"email_of", drop_value(fake.emails_.email_of("u1"))},
        {"role_of", drop_value(fake.membership_.role_of("c1", "u1"))},
        {"member_ids", drop_value(fake.membership_.member_ids("c1"))},
        {"contacts", drop_value(fake.membership_.contacts("u1"))},
        {"digest", drop_value(fake.digests_.digest("c1", "u1"))},
    };
    for (const auto& [name, r] : results) {
      SCOPED_TRACE(name);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().kind, ErrorKind::internal);
    }
  }
}

TEST_F(RemoteApi, ADigestWithABrokenMessageIsAnInternalError) {
  FakeServices fake;
  const std::string message =
      R"({"id":"m1","chat_id":"c1","seq":1,"sender_id":"u1","client_id":"k","body":"b","attachments_json":"[]",)"
      R"("reply_to":"","mentions":[],"created_at_ms":1,"edited_at_ms":0,"deleted":false})";
  fake.answer(200, R"({"last_message":)" + message + R"(,"last_seq":1,"unread_count":0,"read_seq":0})");
  auto good = fake.digests_.digest("c1", "u1");
  ASSERT_TRUE(good) << good.error().code;
  ASSERT_TRUE(good->last_message);
  EXPECT_EQ(good->last_message->client_id, "k");
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{R"("deleted":false)", R"("deleted":0)"},
                                                        {R"("mentions":[])", R"("mentions":[3])"},
                                                        {R"("client_id":"k",)", ""},
                                                        {R"("seq":1)", R"("seq":"1")"}}) {
    auto broken = message;
    broken.replace(broken.find(from), from.size(), to);
    SCOPED_TRACE(broken);
    fake.answer(200, R"({"last_message":)" + broken + R"(,"last_seq":1,"unread_count":0,"read_seq":0})");
    auto d = fake.digests_.digest("c1", "u1");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().kind, ErrorKind::internal);
  }
}

// Only the user service's own "user_not_found" means "no such profile": another 404 (a
// route this version of the service does not have) is an error, not a false.
TEST_F(RemoteApi, OnlyUserNotFoundMeansNoSuchProfile) {
  FakeServices fake;
  fake.answer(404, R"({"error":{"code":"user_not_found","message":"no such user"}})");
  EXPECT_EQ(ok(fake.users_.exists("u1")), false);
  fake.answer(404, R"({"error":{"code":"not_found","message":"no such route"}})");
  auto r = fake.users_.exists("u1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().code, "not_found");
  fake.answer(200, R"({"id":"u1"})");
  EXPECT_EQ(ok(fake.users_.exists("u1")), true);
}

TEST_F(RemoteApi, TheCalleesErrorsPassThrough) {
  FakeServices fake;
  fake.answer(503, R"({"error":{"code":"store_unavailable","message":"the store is down"}})");
  auto r = fake.membership_.role_of("c1", "u1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(r.error().code, "store_unavailable");
  EXPECT_TRUE(r.error().retryable);
  fake.answer(409, R"({"error":{"code":"username_taken","message":"this username is already taken"}})");
  auto taken = fake.users_.create_profile({"u1", "ann", "a@example.com", "Ann"});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::conflict);
  EXPECT_EQ(taken.error().code, "username_taken");
}

// Every internal route (these and the WebSocket nodes' messaging routes) is in
// docs/internal-api.md as "METHOD /pattern".
TEST_F(RemoteApi, EveryInternalRouteIsDocumented) {
  std::ifstream file(std::string(PARLEY_SOURCE_DIR) + "/docs/internal-api.md");
  ASSERT_TRUE(file) << "docs/internal-api.md is missing";
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  HttpPorts ports(world_);
  std::vector<http::Route> routes;
  for (const auto* server : ports.servers())
    routes.insert(routes.end(), server->router().routes().begin(), server->router().routes().end());
  http::Router messaging;
  mount_messaging_routes(messaging, world_.messages, std::string(kToken));
  routes.insert(routes.end(), messaging.routes().begin(), messaging.routes().end());
  for (const auto& route : routes) {
    EXPECT_TRUE(route.pattern.starts_with("/internal/v1/")) << route.pattern;
    EXPECT_NE(doc.find(route.method + " " + route.pattern), std::string::npos)
        << route.method << " " << route.pattern << " is not in docs/internal-api.md";
  }
}

} // namespace
} // namespace parley::contract
