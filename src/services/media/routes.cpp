#include "services/media/routes.hpp"

#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "transport/http/authenticate.hpp"
#include "transport/http/json_body.hpp"
#include "transport/http/response.hpp"

namespace parley {

void mount_media_routes(http::Router& router, MediaService& media, const AccessTokenVerifier& verifier) {
  router.add("POST", "/api/v1/media/uploads", [&](http::Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return http::error_response(who.error());
    auto body = http::BodyReader::parse(req.body(), {"file_name", "content_type", "size"});
    if (!body) return http::error_response(body.error());
    UploadRequest in{body->required("file_name"), body->required("content_type"),
                     body->required_int("size", 1, INT64_MAX / 2)};
    if (auto ok = body->finish(); !ok) return http::error_response(ok.error());
    return http::respond(media.request_upload(who->user_id, in), [](const UploadGrant& g) {
      boost::json::object headers;
      for (const auto& [name, value] : g.upload.headers) headers[name] = value;
      return http::json_response(201, {{"key", g.key},
                                       {"upload_url", g.upload.url},
                                       {"method", "PUT"},
                                       {"headers", std::move(headers)},
                                       {"expires_at", format_rfc3339(g.upload.expires_at_ms)}});
    });
  });

  router.add("GET", "/api/v1/chats/{chat_id}/media/{key}", [&](http::Request& req) {
    const auto who = http::authenticate(req, verifier);
    if (!who) return http::error_response(who.error());
    return http::respond(
        media.download(who->user_id, req.path_param("chat_id"), req.path_param("key"), req.query("name").value_or("")),
        [](const DownloadGrant& g) {
          return http::json_response(200, {{"url", g.url}, {"expires_at", format_rfc3339(g.expires_at_ms)}});
        });
  });
}

} // namespace parley
