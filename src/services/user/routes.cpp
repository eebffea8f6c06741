#include "services/user/routes.hpp"

#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "transport/http/authenticate.hpp"
#include "transport/http/json_body.hpp"
#include "transport/http/query.hpp"
#include "transport/http/response.hpp"

namespace parley {
namespace {

using http::error_response;
using http::json_response;
using http::Request;
using http::Response;

boost::json::object public_profile(const Profile& p) {
  return {{"id", p.id},   {"username", p.username},     {"display_name", p.display_name},
          {"bio", p.bio}, {"avatar_url", p.avatar_url}, {"created_at", format_rfc3339(p.created_at_ms)}};
}

Response own_profile(const Profile& p) {
  auto obj = public_profile(p);
  obj["email"] = p.email;
  obj["updated_at"] = format_rfc3339(p.updated_at_ms);
  return json_response(200, obj);
}

} // namespace

void mount_user_routes(http::Router& router, UserService& users, const AccessTokenVerifier& verifier) {
  router.add("GET", "/api/v1/users/me", [&users, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(users.get(who->user_id), own_profile);
  });

  router.add("PATCH", "/api/v1/users/me", [&users, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = http::BodyReader::parse(req.body(), {"display_name", "bio", "avatar_url"});
    if (!body) return error_response(body.error());
    ProfilePatch patch{body->optional("display_name"), body->optional("bio"), body->optional("avatar_url")};
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(users.update(who->user_id, patch), own_profile);
  });

  router.add("DELETE", "/api/v1/users/me", [&users, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = http::BodyReader::parse(req.body(), {"password"});
    if (!body) return error_response(body.error());
    const auto password = body->required("password");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(users.delete_account(who->user_id, password), http::no_content);
  });

  router.add("GET", "/api/v1/users/{id}", [&users, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(users.get(req.path_param("id")),
                         [](const Profile& p) { return json_response(200, public_profile(p)); });
  });

  router.add("GET", "/api/v1/users", [&users, &verifier](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    const auto limit = http::query_int(req, "limit", 20);
    if (!limit) return error_response(limit.error());
    return http::respond(users.search(req.query("q").value_or(""), req.query("cursor").value_or(""),
                                      static_cast<int>(std::min<std::int64_t>(*limit, 1000))),
                         [](const ProfilePage& page) {
                           boost::json::array items;
                           for (const auto& p : page.items) items.push_back(public_profile(p));
                           boost::json::value next = nullptr;
                           if (page.next_cursor) next = *page.next_cursor;
                           return json_response(200, {{"items", items}, {"next_cursor", next}});
                         });
  });
}

} // namespace parley
