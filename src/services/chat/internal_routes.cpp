#include "services/chat/internal_routes.hpp"

#include <limits>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "transport/http/json_body.hpp"
#include "transport/http/response.hpp"
#include "transport/http/service_auth.hpp"

namespace parley {
namespace {

using http::error_response;
using http::Request;
using http::Response;

Response user_ids_response(const Result<std::vector<std::string>>& ids) {
  return http::respond(ids, [](const std::vector<std::string>& list) {
    boost::json::array out;
    for (const auto& id : list) out.emplace_back(id);
    return http::json_response(200, boost::json::object{{"user_ids", std::move(out)}});
  });
}

} // namespace

void mount_chat_internal_routes(http::Router& router, Membership& membership, std::string service_token) {
  router.add("GET", "/internal/v1/chats/{chat_id}/members/{user_id}",
             http::service_only(service_token, [&membership](Request& req) {
               const auto chat = http::internal_path_param(req, "chat_id");
               if (!chat) return error_response(chat.error());
               const auto user = http::internal_path_param(req, "user_id");
               if (!user) return error_response(user.error());
               return http::respond(membership.role_of(*chat, *user), [](const std::optional<domain::Role>& role) {
                 boost::json::value out = nullptr;
                 if (role) out = domain::to_string(*role);
                 return http::json_response(200, boost::json::object{{"role", std::move(out)}});
               });
             }));

  router.add("GET", "/internal/v1/chats/{chat_id}/members",
             http::service_only(service_token, [&membership](Request& req) {
               const auto chat = http::internal_path_param(req, "chat_id");
               if (!chat) return error_response(chat.error());
               return user_ids_response(membership.member_ids(*chat));
             }));

  router.add("GET", "/internal/v1/users/{user_id}/contacts",
             http::service_only(service_token, [&membership](Request& req) {
               const auto user = http::internal_path_param(req, "user_id");
               if (!user) return error_response(user.error());
               return user_ids_response(membership.contacts(*user));
             }));

  router.add("POST", "/internal/v1/chats/{chat_id}/touch",
             http::service_only(service_token, [&membership](Request& req) {
               const auto chat = http::internal_path_param(req, "chat_id");
               if (!chat) return error_response(chat.error());
               auto body = http::BodyReader::parse(req.body(), {"at_ms"});
               if (!body) return error_response(body.error());
               const auto at_ms = body->required_int("at_ms", std::numeric_limits<std::int64_t>::min(),
                                                     std::numeric_limits<std::int64_t>::max());
               if (auto ok = body->finish(); !ok) return error_response(ok.error());
               return http::respond(membership.touch(*chat, at_ms), http::no_content);
             }));
}

} // namespace parley
