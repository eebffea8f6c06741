// Pre-signed media URLs of the local storage: the PUT and GET of /api/v1/media/blob/{key}
// (mount_blob_routes) with their query (expires, type, size, name, sig), Content-Type and body,
// checked by LocalMediaStorage::accept_upload and open_download.
//
// The first input byte picks what the rest is:
//   even: a request as a client may send it: "PUT|GET target\nContent-Type\nbody";
//   odd:  "key\ncontent type\nfile name\nprefix\nbody": URLs are signed here for that object
//         (presign_upload, presign_download), so that what follows the signature check is
//         reached; `prefix` goes first in their query (the first of a repeated parameter
//         wins), standing for a client that changes what was signed.
// Contract under test: nothing is stored or served unless the signature covers the key, the
// expiry, the type and size (uploads) or the file name (downloads), and malformed input is a
// 4xx, never a 5xx.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/localfs/local_blob_routes.hpp"
#include "adapters/localfs/local_media_storage.hpp"
#include "core/clock.hpp"
#include "transport/http/router.hpp"

namespace {

using namespace parley;
namespace fs = std::filesystem;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("parley-fuzz-presigned-" + std::to_string(::getpid()));
  ManualClock clock;
  LocalMediaStorage storage{dir, "http://127.0.0.1:8080", std::string(32, 's'), clock};
  http::Router router;
  Fixture() { mount_blob_routes(router, storage); }
  ~Fixture() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::vector<std::string_view> split(std::string_view text, std::size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) break;
    out.push_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  out.push_back(text);
  return out;
}

http::Response run(std::string_view method, std::string_view target, std::string_view content_type,
                   std::string_view body) {
  auto& f = fixture();
  http::Request req;
  req.message.method_string(method);
  req.message.target(target);
  if (!content_type.empty()) req.message.set(boost::beast::http::field::content_type, content_type);
  req.message.body() = std::string(body);
  const auto match = f.router.match(method, req.path(), req.path_params);
  if (!match.route) return http::Response{404, {}, {}, {}};
  auto res = match.route->handler(req);
  check(res.status < 500);
  return res;
}

// "http://host/api/...?query" → ("/api/...", "query")
std::pair<std::string, std::string> split_url(const std::string& url) {
  const auto path = url.find("/api/");
  const auto q = url.find('?');
  return {url.substr(path, q - path), url.substr(q + 1)};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto& f = fixture();
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    const auto parts = split(input, 3);
    const auto space = parts[0].find(' ');
    if (space == std::string_view::npos) return 0;
    const auto res = run(parts[0].substr(0, space), parts[0].substr(space + 1), parts.size() > 1 ? parts[1] : "",
                         parts.size() > 2 ? parts[2] : "");
    // No signature can be forged: nothing unsigned is ever accepted.
    check(res.status >= 400);
    return 0;
  }
  const auto parts = split(input, 5);
  if (parts.size() < 5) return 0;
  const std::string key(parts[0]), type(parts[1]), name(parts[2]), prefix(parts[3]);
  // The media service signs only the media types of its allow-list (PARLEY_MEDIA_TYPES); the
  // storage refuses others (LocalMediaStorageTest.OnlyPrintableContentTypesAreSigned).
  if (type.empty()) return 0;
  for (const char c : type)
    if (c < 0x20 || c > 0x7e) return 0;
  const std::string_view body = parts[4];
  const auto expires_at = f.clock.now_ms() + 900'000;
  const auto upload = f.storage.presign_upload({key, type, static_cast<std::int64_t>(body.size())}, expires_at);
  const auto download =
      f.storage.presign_download({key, type, static_cast<std::int64_t>(body.size())}, name, expires_at);
  check(upload.has_value() == is_media_key(key) && download.has_value() == is_media_key(key));
  if (!upload || !download) return 0;
  const auto [put_path, put_query] = split_url(upload->url);
  const auto put = run("PUT", put_path + "?" + prefix + (prefix.empty() ? "" : "&") + put_query, type, body);
  const auto [get_path, get_query] = split_url(*download);
  const auto got = run("GET", get_path + "?" + prefix + (prefix.empty() ? "" : "&") + get_query, "", "");
  if (prefix.empty() && got.status == 200)
    check(got.body.size() == static_cast<std::size_t>(f.storage.stat(key)->value().size));
  return 0;
}
