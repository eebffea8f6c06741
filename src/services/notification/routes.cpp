#include "services/notification/routes.hpp"

#include <boost/json.hpp>

#include "services/notification/notification_json.hpp"
#include "transport/http/authenticate.hpp"
#include "transport/http/query.hpp"
#include "transport/http/response.hpp"

namespace parley {
namespace {

using http::error_response;
using http::json_response;
using http::Request;

} // namespace

void mount_notification_routes(http::Router& router, NotificationService& notifications,
                               const AccessTokenVerifier& verifier) {
  router.add("GET", "/api/v1/notifications", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    const auto cursor = http::cursor_param(req);
    if (!cursor) return error_response(cursor.error());
    const auto limit = http::query_int(req, "limit", 20);
    if (!limit) return error_response(limit.error());
    std::optional<NotificationCursor> after;
    if (*cursor) after = NotificationCursor{(*cursor)->number, (*cursor)->id};
    auto page = notifications.list(who->user_id, after, static_cast<int>(std::min<std::int64_t>(*limit, 1000)));
    if (!page) return error_response(page.error());
    auto unread = notifications.unread_count(who->user_id);
    if (!unread) return error_response(unread.error());
    boost::json::array items;
    for (const auto& n : page->items) items.push_back(notification_json(n));
    return json_response(
        200,
        {{"items", std::move(items)},
         {"next_cursor",
          page->next ? boost::json::value(http::encode_keyset({page->next->updated_at_ms, page->next->id})) : nullptr},
         {"unread_count", *unread}});
  });

  router.add("GET", "/api/v1/notifications/unread_count", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(notifications.unread_count(who->user_id), [](std::int64_t n) {
      return json_response(200, {{"unread_count", n}});
    });
  });

  router.add("POST", "/api/v1/notifications/{notification_id}/read", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(notifications.mark_read(who->user_id, req.path_param("notification_id")), http::no_content);
  });

  router.add("POST", "/api/v1/notifications/read_all", [&](Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return error_response(who.error());
    return http::respond(notifications.mark_all_read(who->user_id), [](std::int64_t n) {
      return json_response(200, {{"marked", n}});
    });
  });
}

} // namespace parley
