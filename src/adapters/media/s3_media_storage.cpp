#include "adapters/media/s3_media_storage.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "core/log.hpp"
#include "core/url.hpp"

namespace parley {
namespace {

const Logger kLog{"s3"};

constexpr std::int64_t kMaxExpiresS = 7 * 24 * 3600; // S3's limit for pre-signed URLs
constexpr std::size_t kMaxIdleConnections = 16;
constexpr std::size_t kMaxErrorBody = 4096; // enough for S3's <Error><Code>...</Code>

// The keys MediaService hands out: anything else is not ours to reach.
bool is_media_key(std::string_view key) {
  return !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

bool shown_inline(std::string_view type) {
  return type.starts_with("image/") || type.starts_with("video/") || type.starts_with("audio/") ||
         type == "application/pdf";
}

// Keeps the start of a response body (error documents), drops the rest.
std::size_t keep_start(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  body->append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, body->size())));
  return n;
}

// S3's error code (<Code>NoSuchBucket</Code>) in an error document, or "".
std::string error_code_in(std::string_view body) {
  const auto start = body.find("<Code>");
  const auto end = body.find("</Code>");
  if (start == std::string_view::npos || end == std::string_view::npos || end < start) return {};
  return std::string(body.substr(start + 6, end - start - 6));
}

// An answer other than success or 404. Throttling and server errors may pass; the rest
// (403, a redirect to another region, ...) is a deployment problem.
Error refused(long status) {
  const std::string text = "the media store answered HTTP " + std::to_string(status);
  if (status >= 500 || status == 429) return Error::unavailable("media_unavailable", text);
  return Error::internal(text);
}

Error unreachable() { return Error::unavailable("media_unavailable", "the media store cannot be reached"); }

} // namespace

class S3MediaStorage::Connections {
 public:
  Connections() = default;
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;
  ~Connections() {
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
  }

  // A handle with default options that may still hold a connection; nullptr if none can be made.
  CURL* take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        curl_easy_reset(handle); // keeps the connection, DNS and TLS session caches
        return handle;
      }
    }
    return curl_easy_init();
  }

  void give_back(CURL* handle) {
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() < kMaxIdleConnections) {
        idle_.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }

 private:
  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

S3MediaStorage::S3MediaStorage(S3MediaConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), connections_(std::make_unique<Connections>()) {
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_ready) throw std::runtime_error("libcurl initialisation failed");
  if (auto ok = check(config_); !ok) throw std::invalid_argument(ok.error().message);
}

S3MediaStorage::~S3MediaStorage() = default;

Result<void> S3MediaStorage::check(const S3MediaConfig& config) {
  if (config.timeout.count() < 1) return fail(Error::invalid("s3_bad_timeout", "the timeout must be positive"));
  auto probe = sign_request(config.location, config.credentials, {"HEAD", "check", 0, {}, {}});
  if (!probe) return fail(probe.error());
  return {};
}

std::string S3MediaStorage::origin(const S3MediaConfig& config) {
  auto probe = sign_request(config.location, config.credentials, {"HEAD", "check", 0, {}, {}});
  if (!probe) return {};
  return probe->url.substr(0, probe->url.find('/', probe->url.find("://") + 3));
}

std::int64_t S3MediaStorage::expires_in_s(std::int64_t expires_at_ms) const {
  // Whole seconds, rounded up: a URL stays valid for at least the time asked for.
  return std::clamp<std::int64_t>((expires_at_ms + 999) / 1000 - clock_.now_s(), 1, kMaxExpiresS);
}

Result<PresignedUpload> S3MediaStorage::presign_upload(const MediaObject& o, std::int64_t expires_at_ms) {
  if (!is_media_key(o.key)) return fail(Error::invalid("invalid_key", "not a media key"));
  const std::int64_t now_s = clock_.now_s();
  const std::int64_t expires_s = expires_in_s(expires_at_ms);
  const std::string size = std::to_string(o.size);
  // Signed headers are what S3 checks: a PUT with another type or length does not match.
  auto url =
      presign_url(config_.location, config_.credentials,
                  {"PUT", o.key, now_s, expires_s, {{"content-type", o.content_type}, {"content-length", size}}, {}});
  if (!url) return fail(url.error());
  return PresignedUpload{
      std::move(url->url), {{"Content-Type", o.content_type}, {"Content-Length", size}}, (now_s + expires_s) * 1000};
}

Result<std::string> S3MediaStorage::presign_download(const MediaObject& o, std::string_view file_name,
                                                     std::int64_t expires_at_ms) {
  if (!is_media_key(o.key)) return fail(Error::invalid("invalid_key", "not a media key"));
  const std::string disposition = std::string(shown_inline(o.content_type) ? "inline" : "attachment") +
                                  "; filename*=UTF-8''" + percent_encode(file_name);
  auto url = presign_url(
      config_.location, config_.credentials,
      {"GET", o.key, clock_.now_s(), expires_in_s(expires_at_ms), {}, {{"response-content-disposition", disposition}}});
  if (!url) return fail(url.error());
  return std::move(url->url);
}

Result<std::optional<MediaObject>> S3MediaStorage::stat(std::string_view key) {
  if (!is_media_key(key)) return std::optional<MediaObject>{};
  auto reply = send("HEAD", key);
  if (!reply) return fail(reply.error());
  if (reply->status == 404) return std::optional<MediaObject>{};
  if (reply->status != 200) return fail(refused(reply->status));
  if (reply->content_length < 0) return fail(Error::internal("the media store's answer has no Content-Length"));
  return std::optional<MediaObject>{MediaObject{std::string(key), reply->content_type, reply->content_length}};
}

Result<void> S3MediaStorage::remove(std::string_view key) {
  if (!is_media_key(key)) return {}; // nothing can be stored there
  auto reply = send("DELETE", key);
  if (!reply) return fail(reply.error());
  if (reply->status == 200 || reply->status == 204 || reply->status == 404) return {};
  return fail(refused(reply->status));
}

Result<S3MediaStorage::Reply> S3MediaStorage::send(const std::string& method, std::string_view key) {
  auto request =
      sign_request(config_.location, config_.credentials, {method, std::string(key), clock_.now_s(), {}, {}});
  if (!request) return fail(request.error());
  // The list holds the Authorization header: it is never logged.
  curl_slist* list = nullptr;
  for (const auto& [name, value] : request->headers) {
    curl_slist* longer = curl_slist_append(list, (name + ": " + value).c_str());
    if (!longer) {
      curl_slist_free_all(list);
      return fail(unreachable());
    }
    list = longer;
  }
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, curl_slist_free_all);

  CURL* c = connections_->take();
  if (!c) return fail(unreachable());
  const std::unique_ptr<CURL, std::function<void(CURL*)>> lease(c, [this](CURL* h) { connections_->give_back(h); });
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, request->url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (method == "HEAD")
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_start);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  if (const CURLcode rc = curl_easy_perform(c); rc != CURLE_OK) {
    kLog.warn("request failed", {{"method", method}, {"key", key}, {"error", curl_easy_strerror(rc)}});
    return fail(unreachable());
  }

  Reply reply;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  const char* type = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) reply.content_type = type;
  curl_off_t length = -1;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK) reply.content_length = length;
  if (reply.status != 404 && (reply.status < 200 || reply.status > 299)) {
    // HEAD answers have no body; S3 names the bucket's region in a header when it is not ours.
    curl_header* region = nullptr;
    const bool has_region = curl_easy_header(c, "x-amz-bucket-region", 0, CURLH_HEADER, -1, &region) == CURLHE_OK;
    kLog.warn("request refused", {{"method", method},
                                  {"key", key},
                                  {"status", reply.status},
                                  {"code", error_code_in(body)},
                                  {"bucket_region", has_region ? region->value : ""}});
  }
  return reply;
}

} // namespace parley
