#include "services/message/messaging_routes.hpp"

#include <functional>

#include <boost/json.hpp>

#include "services/message/message_wire.hpp"
#include "transport/http/json_body.hpp"
#include "transport/http/response.hpp"
#include "transport/http/service_auth.hpp"

namespace parley {
namespace {

namespace json = boost::json;
using http::BodyReader;
using http::error_response;
using http::json_response;
using http::Request;
using http::Response;

constexpr std::int64_t kMaxSeq = INT64_MAX / 2;

Response cursor_response(const Result<Cursor>& c) {
  return http::respond(c, [](const Cursor& cursor) {
    return json_response(200, {{"read_seq", cursor.read_seq}, {"delivered_seq", cursor.delivered_seq}});
  });
}

Response message_response(const Result<domain::Message>& m) {
  return http::respond(m, [](const domain::Message& message) { return json_response(200, message_wire(message)); });
}

} // namespace

void mount_messaging_routes(http::Router& router, Messaging& messages, std::string service_token) {
  // Every route: the service token, a JSON body with the acting user_id and the chat_id,
  // then `act`, which reads the rest.
  using Act = std::function<Response(BodyReader&, const std::string& user, const std::string& chat)>;
  const auto add = [&router, token = std::move(service_token)](const std::string& name, Act act) {
    router.add("POST", "/internal/v1/messaging/" + name, [token, act = std::move(act)](Request& req) {
      if (auto ok = http::authenticate_service(req, token); !ok) return error_response(ok.error());
      auto body = BodyReader::parse(
          req.body(), {"user_id", "chat_id", "message_id", "body", "before", "after", "limit", "seq", "emoji"});
      if (!body) return error_response(body.error());
      const auto user = body->required("user_id");
      const auto chat = body->required("chat_id");
      return act(*body, user, chat);
    });
  };
  add("edit", [&messages](BodyReader& b, const std::string& user, const std::string& chat) {
    const auto id = b.required("message_id");
    const auto text = b.required("body");
    if (auto ok = b.finish(); !ok) return error_response(ok.error());
    return message_response(messages.edit(user, chat, id, text));
  });
  add("remove", [&messages](BodyReader& b, const std::string& user, const std::string& chat) {
    const auto id = b.required("message_id");
    if (auto ok = b.finish(); !ok) return error_response(ok.error());
    return message_response(messages.remove(user, chat, id));
  });
  add("history", [&messages](BodyReader& b, const std::string& user, const std::string& chat) {
    HistoryQuery q{b.optional_int("before", 0, kMaxSeq).value_or(0), b.optional_int("after", 0, kMaxSeq).value_or(0),
                   static_cast<int>(b.optional_int("limit", 1, Messaging::kMaxPage).value_or(50))};
    if (auto ok = b.finish(); !ok) return error_response(ok.error());
    return http::respond(messages.history(user, chat, q), [](const std::vector<domain::Message>& page) {
      json::array out;
      for (const auto& m : page) out.emplace_back(message_wire(m));
      return json_response(200, {{"messages", std::move(out)}});
    });
  });
  for (const bool read : {true, false})
    add(read ? "read" : "delivered",
        [&messages, read](BodyReader& b, const std::string& user, const std::string& chat) {
          const auto seq = b.required_int("seq", 0, kMaxSeq);
          if (auto ok = b.finish(); !ok) return error_response(ok.error());
          return cursor_response(read ? messages.mark_read(user, chat, seq) : messages.mark_delivered(user, chat, seq));
        });
  add("react", [&messages](BodyReader& b, const std::string& user, const std::string& chat) {
    const auto id = b.required("message_id");
    const auto emoji = b.required("emoji");
    if (auto ok = b.finish(); !ok) return error_response(ok.error());
    return http::respond(messages.react(user, chat, id, emoji), [] { return http::no_content(); });
  });
  add("unreact", [&messages](BodyReader& b, const std::string& user, const std::string& chat) {
    const auto id = b.required("message_id");
    if (auto ok = b.finish(); !ok) return error_response(ok.error());
    return http::respond(messages.unreact(user, chat, id), [] { return http::no_content(); });
  });
}

} // namespace parley
