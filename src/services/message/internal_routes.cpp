#include "services/message/internal_routes.hpp"

#include <boost/json/object.hpp>

#include "services/message/message_wire.hpp"
#include "transport/http/response.hpp"
#include "transport/http/service_auth.hpp"

namespace parley {

using http::error_response;
using http::Request;

void mount_message_internal_routes(http::Router& router, MessageDigest& digests, std::string service_token) {
  router.add("GET", "/internal/v1/chats/{chat_id}/digest", http::service_only(service_token, [&digests](Request& req) {
               const auto chat = http::internal_path_param(req, "chat_id");
               if (!chat) return error_response(chat.error());
               const auto user = req.query("user_id");
               if (!user) return error_response(Error::invalid("invalid_query", "user_id is required"));
               return http::respond(digests.digest(*chat, *user), [](const ChatDigest& d) {
                 boost::json::value last = nullptr;
                 if (d.last_message) last = message_wire(*d.last_message);
                 return http::json_response(200, boost::json::object{{"last_message", std::move(last)},
                                                                     {"last_seq", d.last_seq},
                                                                     {"unread_count", d.unread_count},
                                                                     {"read_seq", d.read_seq}});
               });
             }));
}

} // namespace parley
