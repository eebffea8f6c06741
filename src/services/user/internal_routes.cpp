#include "services/user/internal_routes.hpp"

#include <boost/json/object.hpp>

#include "transport/http/json_body.hpp"
#include "transport/http/response.hpp"
#include "transport/http/service_auth.hpp"

namespace parley {

using http::error_response;
using http::Request;

void mount_user_internal_routes(http::Router& router, UserDirectory& users, std::string service_token) {
  router.add("POST", "/internal/v1/profiles", http::service_only(service_token, [&users](Request& req) {
               auto body = http::BodyReader::parse(req.body(), {"id", "username", "email", "display_name"});
               if (!body) return error_response(body.error());
               NewProfile profile{body->required("id"), body->required("username"), body->required("email"),
                                  body->required("display_name")};
               if (auto ok = body->finish(); !ok) return error_response(ok.error());
               return http::respond(users.create_profile(profile), http::no_content);
             }));

  router.add("GET", "/internal/v1/profiles/{user_id}", http::service_only(service_token, [&users](Request& req) {
               const auto id = http::internal_path_param(req, "user_id");
               if (!id) return error_response(id.error());
               const auto exists = users.exists(*id);
               if (!exists) return error_response(exists.error());
               if (!*exists) return error_response(Error::not_found("user_not_found", "no such user"));
               return http::json_response(200, boost::json::object{{"id", *id}});
             }));

  router.add("DELETE", "/internal/v1/profiles/{user_id}", http::service_only(service_token, [&users](Request& req) {
               const auto id = http::internal_path_param(req, "user_id");
               if (!id) return error_response(id.error());
               return http::respond(users.remove_profile(*id), http::no_content);
             }));
}

} // namespace parley
