#include "adapters/localfs/local_blob_routes.hpp"

#include "core/url.hpp"
#include "transport/http/response.hpp"

namespace parley {

namespace {

bool shown_inline(std::string_view type) {
  return type.starts_with("image/") || type.starts_with("video/") || type.starts_with("audio/") ||
         type == "application/pdf";
}

} // namespace

void mount_blob_routes(http::Router& router, LocalMediaStorage& storage) {
  router.add("PUT", "/api/v1/media/blob/{key}", [&storage](http::Request& req) {
    const auto q = [&](std::string_view name) { return req.query(name).value_or(""); };
    const auto type = req.message[boost::beast::http::field::content_type];
    auto ok = storage.accept_upload(req.path_param("key"), q("expires"), q("type"), q("size"), q("sig"),
                                    std::string_view(type.data(), type.size()), req.body());
    if (!ok) return http::error_response(ok.error());
    return http::no_content();
  });

  router.add("GET", "/api/v1/media/blob/{key}", [&storage](http::Request& req) {
    const auto q = [&](std::string_view name) { return req.query(name).value_or(""); };
    auto blob = storage.open_download(req.path_param("key"), q("expires"), q("name"), q("sig"));
    if (!blob) return http::error_response(blob.error());
    http::Response res;
    res.body = std::move(blob->bytes);
    res.content_type = blob->content_type;
    res.headers = {
        {"Content-Disposition", std::string(shown_inline(blob->content_type) ? "inline" : "attachment") +
                                    "; filename*=UTF-8''" + percent_encode(blob->file_name)},
        {"X-Content-Type-Options", "nosniff"},
        {"Content-Security-Policy", "default-src 'none'; sandbox"},
        {"Cache-Control", "private, max-age=300"},
    };
    return res;
  });
}

} // namespace parley
