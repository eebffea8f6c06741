#include "services/chat/routes.hpp"

#include <boost/json.hpp>

#include "services/chat/chat_json.hpp"
#include "services/message/message_json.hpp"
#include "transport/http/authenticate.hpp"
#include "transport/http/json_body.hpp"
#include "transport/http/query.hpp"
#include "transport/http/response.hpp"

namespace parley {
namespace {

using http::BodyReader;
using http::error_response;
using http::json_response;
using http::Request;
using http::Response;

constexpr std::size_t kMaxInitialMembers = 1000;

Response view_response(const ChatView& v) { return json_response(200, view_json(v)); }

} // namespace

void mount_chat_routes(http::Router& router, ChatService& chats, const AccessTokenVerifier& verifier) {
  router.add("POST", "/api/v1/chats/direct", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"user_id"});
    if (!body) return error_response(body.error());
    const auto other = body->required("user_id");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(chats.open_direct(who->user_id, other), [](const std::pair<ChatView, bool>& r) {
      return json_response(r.second ? 201 : 200, view_json(r.first));
    });
  });

  router.add("POST", "/api/v1/chats/groups", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"name", "avatar_url", "member_ids"});
    if (!body) return error_response(body.error());
    GroupInput in{body->required("name"), body->optional("avatar_url").value_or(""),
                  body->string_array("member_ids", kMaxInitialMembers)};
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(chats.create_group(who->user_id, in),
                         [](const ChatView& v) { return json_response(201, view_json(v)); });
  });

  router.add("GET", "/api/v1/chats", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    const auto cursor = http::cursor_param(req);
    if (!cursor) return error_response(cursor.error());
    const auto limit = http::query_int(req, "limit", 20);
    if (!limit) return error_response(limit.error());
    std::optional<ChatListCursor> after;
    if (*cursor) after = ChatListCursor{(*cursor)->number, (*cursor)->id};
    return http::respond(
        chats.list(who->user_id, after, static_cast<int>(std::min<std::int64_t>(*limit, 1000))),
        [](const ChatPage& page) {
          boost::json::array items;
          for (const auto& item : page.items) {
            auto obj = chat_json(item.chat);
            obj["last_message"] =
                item.digest.last_message ? boost::json::value(message_json(*item.digest.last_message)) : nullptr;
            obj["last_seq"] = item.digest.last_seq;
            obj["read_seq"] = item.digest.read_seq;
            obj["unread_count"] = item.digest.unread_count;
            boost::json::array ids;
            for (const auto& id : item.member_ids) ids.emplace_back(id);
            obj["member_ids"] = std::move(ids);
            boost::json::value presence = nullptr; // the other member's, in 1:1 chats
            if (!item.partner_id.empty()) {
              auto p = presence_json(item.partner);
              p["user_id"] = item.partner_id;
              presence = std::move(p);
            }
            obj["presence"] = std::move(presence);
            items.push_back(std::move(obj));
          }
          return json_response(200, {{"items", items},
                                     {"next_cursor", page.next ? boost::json::value(http::encode_keyset(
                                                                     {page.next->last_activity_ms, page.next->chat_id}))
                                                               : nullptr}});
        });
  });

  router.add("GET", "/api/v1/chats/{chat_id}", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(chats.get(who->user_id, req.path_param("chat_id")), view_response);
  });

  router.add("PATCH", "/api/v1/chats/{chat_id}", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"name", "avatar_url"});
    if (!body) return error_response(body.error());
    const auto name = body->optional("name");
    const auto avatar = body->optional("avatar_url");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(chats.update_group(who->user_id, req.path_param("chat_id"), name, avatar), view_response);
  });

  router.add("POST", "/api/v1/chats/{chat_id}/members", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"user_id"});
    if (!body) return error_response(body.error());
    const auto user = body->required("user_id");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(chats.add_member(who->user_id, req.path_param("chat_id"), user), view_response);
  });

  router.add("DELETE", "/api/v1/chats/{chat_id}/members/{user_id}", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(chats.remove_member(who->user_id, req.path_param("chat_id"), req.path_param("user_id")),
                         http::no_content);
  });

  router.add("PATCH", "/api/v1/chats/{chat_id}/members/{user_id}", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"role"});
    if (!body) return error_response(body.error());
    const auto role_text = body->required("role");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    const auto role = domain::parse_role(role_text);
    if (!role) return error_response(Error::invalid("invalid_field", "role must be member, admin or owner"));
    return http::respond(chats.set_role(who->user_id, req.path_param("chat_id"), req.path_param("user_id"), *role),
                         view_response);
  });

  router.add("POST", "/api/v1/chats/{chat_id}/owner", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"user_id"});
    if (!body) return error_response(body.error());
    const auto to = body->required("user_id");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(chats.transfer_ownership(who->user_id, req.path_param("chat_id"), to), view_response);
  });
}

} // namespace parley
