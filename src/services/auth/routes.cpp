#include "services/auth/routes.hpp"

#include <boost/json.hpp>

#include "transport/http/authenticate.hpp"
#include "transport/http/json_body.hpp"
#include "transport/http/response.hpp"

namespace parley {
namespace {

using http::BodyReader;
using http::error_response;
using http::json_response;
using http::Request;
using http::Response;

Response token_response(const TokenPair& t) {
  return json_response(200, {{"user_id", t.user_id},
                             {"access_token", t.access_token},
                             {"token_type", "Bearer"},
                             {"expires_in", t.expires_in.count()},
                             {"refresh_token", t.refresh_token},
                             {"refresh_expires_in", t.refresh_expires_in.count()}});
}

Response accepted() { return json_response(202, boost::json::object{}); }

} // namespace

void mount_auth_routes(http::Router& router, AuthService& auth, const AccessTokenVerifier& verifier) {
  router.add("POST", "/api/v1/auth/register", [&auth](Request& req) {
    auto body = BodyReader::parse(req.body(), {"email", "username", "password", "display_name"});
    if (!body) return error_response(body.error());
    RegisterInput in{body->required("email"), body->required("username"), body->required("password"),
                     body->optional("display_name")};
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.register_user(in, req.remote_ip), [](const Registered& r) {
      return json_response(201,
                           {{"user_id", r.user_id}, {"email", r.email}, {"username", r.username}, {"verified", false}});
    });
  });

  router.add("POST", "/api/v1/auth/verify", [&auth](Request& req) {
    auto body = BodyReader::parse(req.body(), {"email", "code"});
    if (!body) return error_response(body.error());
    const auto email = body->required("email");
    const auto code = body->required("code");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.verify_email(email, code, req.remote_ip), [] {
      return json_response(200, {{"verified", true}});
    });
  });

  router.add("POST", "/api/v1/auth/verify/resend", [&auth](Request& req) {
    auto body = BodyReader::parse(req.body(), {"email"});
    if (!body) return error_response(body.error());
    const auto email = body->required("email");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.resend_verification(email, req.remote_ip), accepted);
  });

  router.add("POST", "/api/v1/auth/login", [&auth](Request& req) {
    auto body = BodyReader::parse(req.body(), {"email", "password"});
    if (!body) return error_response(body.error());
    const auto email = body->required("email");
    const auto password = body->required("password");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.login(email, password, req.remote_ip), token_response);
  });

  router.add("POST", "/api/v1/auth/refresh", [&auth](Request& req) {
    auto body = BodyReader::parse(req.body(), {"refresh_token"});
    if (!body) return error_response(body.error());
    const auto token = body->required("refresh_token");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.refresh(token, req.remote_ip), token_response);
  });

  router.add("POST", "/api/v1/auth/logout", [&auth, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(auth.logout(*who), http::no_content);
  });

  router.add("POST", "/api/v1/auth/logout-all", [&auth, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(auth.logout_all(*who), http::no_content);
  });

  router.add("POST", "/api/v1/auth/password/forgot", [&auth](Request& req) {
    auto body = BodyReader::parse(req.body(), {"email"});
    if (!body) return error_response(body.error());
    const auto email = body->required("email");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.forgot_password(email, req.remote_ip), accepted);
  });

  router.add("POST", "/api/v1/auth/password/reset", [&auth](Request& req) {
    auto body = BodyReader::parse(req.body(), {"email", "code", "new_password"});
    if (!body) return error_response(body.error());
    const auto email = body->required("email");
    const auto code = body->required("code");
    const auto password = body->required("new_password");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.reset_password(email, code, password, req.remote_ip), http::no_content);
  });

  router.add("POST", "/api/v1/auth/password/change", [&auth, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"current_password", "new_password"});
    if (!body) return error_response(body.error());
    const auto current = body->required("current_password");
    const auto next = body->required("new_password");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(auth.change_password(*who, current, next), http::no_content);
  });

  router.add("GET", "/api/v1/auth/jwks", [&auth](Request&) {
    http::Response res{200, auth.jwks_json()};
    res.headers.emplace_back("Cache-Control", "public, max-age=300");
    return res;
  });
}

} // namespace parley
