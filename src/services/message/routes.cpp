#include "services/message/routes.hpp"

#include <limits>

#include <boost/json.hpp>

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

constexpr std::int64_t kMaxSeq = INT64_MAX / 2;

Response cursor_response(const Cursor& c) {
  return json_response(200, {{"read_seq", c.read_seq}, {"delivered_seq", c.delivered_seq}});
}

} // namespace

void mount_message_routes(http::Router& router, MessageService& messages, const AccessTokenVerifier& verifier,
                          SendFunction send) {
  if (!send) send = [&messages](std::string_view me, const SendInput& in) { return messages.send(me, in); };
  router.add("POST", "/api/v1/chats/{chat_id}/messages", [&, send = std::move(send)](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"client_id", "body", "reply_to", "mentions", "attachments"});
    if (!body) return error_response(body.error());
    auto attachments = attachments_from_json(body->raw("attachments"));
    SendInput in{std::string(req.path_param("chat_id")),
                 body->required("client_id"),
                 body->raw("attachments") ? body->optional("body").value_or("") : body->required("body"),
                 body->optional("reply_to").value_or(""),
                 body->string_array("mentions", domain::kMaxMentions),
                 {}};
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    if (!attachments) return error_response(attachments.error());
    in.attachments = std::move(*attachments);
    return http::respond(send(who->user_id, in), [](const Appended& a) {
      // 201 for a new message, 200 when this client_id was already stored (a retry).
      return json_response(a.created ? 201 : 200, message_json(a.message));
    });
  });

  router.add("GET", "/api/v1/chats/{chat_id}/messages", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    const auto before = http::query_int(req, "before", 0);
    const auto after = http::query_int(req, "after", 0);
    const auto limit = http::query_int(req, "limit", 50);
    for (const auto* r : {&before, &after, &limit})
      if (!*r) return error_response(r->error());
    HistoryQuery q{*before, *after, static_cast<int>(std::min<std::int64_t>(*limit, 1000))};
    // Without `after` the page ends at the newest message (or just below `before`).
    if (q.before == 0 && !req.query("after")) q.before = std::numeric_limits<std::int64_t>::max();
    auto page = messages.history(who->user_id, req.path_param("chat_id"), q);
    if (!page) return error_response(page.error());
    auto reactions = messages.reactions(*page);
    if (!reactions) return error_response(reactions.error());
    boost::json::array items;
    for (const auto& m : *page) items.push_back(message_json(m, *reactions));
    return json_response(200, {{"items", items}});
  });

  router.add("PATCH", "/api/v1/chats/{chat_id}/messages/{message_id}", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"body"});
    if (!body) return error_response(body.error());
    const auto text = body->required("body");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(messages.edit(who->user_id, req.path_param("chat_id"), req.path_param("message_id"), text),
                         [](const Message& m) { return json_response(200, message_json(m)); });
  });

  router.add("DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(messages.remove(who->user_id, req.path_param("chat_id"), req.path_param("message_id")),
                         [](const Message& m) { return json_response(200, message_json(m)); });
  });

  router.add("PUT", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    auto body = BodyReader::parse(req.body(), {"emoji"});
    if (!body) return error_response(body.error());
    const auto emoji = body->required("emoji");
    if (auto ok = body->finish(); !ok) return error_response(ok.error());
    return http::respond(messages.react(who->user_id, req.path_param("chat_id"), req.path_param("message_id"), emoji),
                         http::no_content);
  });

  router.add("DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(messages.unreact(who->user_id, req.path_param("chat_id"), req.path_param("message_id")),
                         http::no_content);
  });

  for (const bool read : {true, false}) {
    router.add("POST", read ? "/api/v1/chats/{chat_id}/read" : "/api/v1/chats/{chat_id}/delivered",
               [&messages, &verifier, read](Request& req) {
                 const auto who = http::authenticate(req, verifier);
                 if (!who) return error_response(who.error());
                 auto body = BodyReader::parse(req.body(), {"seq"});
                 if (!body) return error_response(body.error());
                 const auto seq = body->required_int("seq", 0, kMaxSeq);
                 if (auto ok = body->finish(); !ok) return error_response(ok.error());
                 const auto chat = req.path_param("chat_id");
                 return http::respond(read ? messages.mark_read(who->user_id, chat, seq)
                                           : messages.mark_delivered(who->user_id, chat, seq),
                                      cursor_response);
               });
  }
}

} // namespace parley
