#include "services/auth/internal_routes.hpp"

#include <boost/json/object.hpp>

#include "transport/http/json_body.hpp"
#include "transport/http/response.hpp"
#include "transport/http/service_auth.hpp"

namespace parley {

using http::error_response;
using http::Request;

void mount_auth_internal_routes(http::Router& router, AccountAdmin& accounts, EmailDirectory& emails,
                                std::string service_token) {
  router.add("POST", "/internal/v1/accounts/{user_id}/close",
             http::service_only(service_token, [&accounts](Request& req) {
               const auto id = http::internal_path_param(req, "user_id");
               if (!id) return error_response(id.error());
               auto body = http::BodyReader::parse(req.body(), {"password"});
               if (!body) return error_response(body.error());
               const auto password = body->required("password");
               if (auto ok = body->finish(); !ok) return error_response(ok.error());
               return http::respond(accounts.close_account(*id, password), http::no_content);
             }));

  router.add("GET", "/internal/v1/accounts/{user_id}/email", http::service_only(service_token, [&emails](Request& req) {
               const auto id = http::internal_path_param(req, "user_id");
               if (!id) return error_response(id.error());
               return http::respond(emails.email_of(*id), [](const std::optional<std::string>& email) {
                 boost::json::value out = nullptr;
                 if (email) out = *email;
                 return http::json_response(200, boost::json::object{{"email", std::move(out)}});
               });
             }));
}

} // namespace parley
