#include "services/notification/routes.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "core/base64url.hpp"
#include "services/notification/notification_json.hpp"
#include "transport/http/authenticate.hpp"
#include "transport/http/response.hpp"

namespace parley {
namespace {

using http::error_response;
using http::json_response;
using http::Request;

std::string encode_cursor(const NotificationCursor& c) {
  return base64url_encode(std::to_string(c.updated_at_ms) + ":" + c.id);
}

Result<std::optional<NotificationCursor>> decode_cursor(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::optional<NotificationCursor>{};
  const auto raw = base64url_decode(*text);
  const auto colon = raw ? raw->find(':') : std::string::npos;
  NotificationCursor c;
  if (colon != std::string::npos && colon + 1 < raw->size()) {
    const auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + colon, c.updated_at_ms);
    if (ec == std::errc() && ptr == raw->data() + colon) {
      c.id = raw->substr(colon + 1);
      return std::optional<NotificationCursor>{std::move(c)};
    }
  }
  return fail(Error::invalid("invalid_cursor", "the cursor is not valid"));
}

Result<int> limit_of(const Request& req) {
  int limit = 20;
  if (const auto text = req.query("limit")) {
    const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || ptr != text->data() + text->size())
      return fail(Error::invalid("invalid_query", "limit must be a number"));
  }
  return limit;
}

} // namespace

void mount_notification_routes(http::Router& router, NotificationService& notifications,
                               const AccessTokenVerifier& verifier) {
  router.add("GET", "/api/v1/notifications", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    const auto cursor = decode_cursor(req.query("cursor"));
    if (!cursor) return error_response(cursor.error());
    const auto limit = limit_of(req);
    if (!limit) return error_response(limit.error());
    auto page = notifications.list(who->user_id, *cursor, *limit);
    if (!page) return error_response(page.error());
    auto unread = notifications.unread_count(who->user_id);
    if (!unread) return error_response(unread.error());
    boost::json::array items;
    for (const auto& n : page->items) items.push_back(notification_json(n));
    return json_response(200, {{"items", std::move(items)},
                               {"next_cursor", page->next ? boost::json::value(encode_cursor(*page->next)) : nullptr},
                               {"unread_count", *unread}});
  });

  router.add("GET", "/api/v1/notifications/unread_count", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(notifications.unread_count(who->user_id),
                         [](std::int64_t n) { return json_response(200, {{"unread_count", n}}); });
  });

  router.add("POST", "/api/v1/notifications/{notification_id}/read", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(notifications.mark_read(who->user_id, req.path_param("notification_id")), http::no_content);
  });

  router.add("POST", "/api/v1/notifications/read_all", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(notifications.mark_all_read(who->user_id),
                         [](std::int64_t n) { return json_response(200, {{"marked", n}}); });
  });
}

} // namespace parley
