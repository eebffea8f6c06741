#include "transport/client/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include <curl/curl.h>

namespace parley {
namespace {

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// One handle per thread: libcurl keeps its connection cache in the handle.
CURL* thread_handle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  return handle.get();
}

struct Sink {
  HttpReply* reply;
  std::size_t limit;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto& sink = *static_cast<Sink*>(user);
  const std::size_t bytes = size * n;
  if (sink.reply->body.size() + bytes > sink.limit) {
    sink.too_large = true;
    return 0; // aborts the transfer
  }
  sink.reply->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto& reply = *static_cast<Sink*>(user)->reply;
  const std::string_view line(data, size * n);
  const auto colon = line.find(':');
  if (line.starts_with("HTTP/")) {
    reply.headers.clear(); // a new response (after 100 Continue): start over
  } else if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    reply.headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

} // namespace

std::string_view HttpReply::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

HttpClient::HttpClient(HttpClientConfig config) : config_(config) {}

Result<HttpReply> HttpClient::call(const HttpCall& call) const {
  CURL* h = thread_handle();
  if (!h) return fail(Error::unavailable("upstream_unavailable", "cannot create an HTTP client handle"));
  curl_easy_reset(h); // keeps the connection cache
  HttpReply reply;
  Sink sink{&reply, config_.max_reply_bytes};
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : call.headers) {
    const std::string line = name + ": " + value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // libcurl adds these unless told not to; an upstream sees only what the caller sent.
  for (const char* drop : {"Expect:", "Accept:"}) headers.reset(curl_slist_append(headers.release(), drop));
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (call.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT" || call.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr); // the list dies with this call
  if (sink.too_large)
    return fail(Error::unavailable("upstream_unavailable", "reply from " + call.url + " over the size limit"));
  if (rc != CURLE_OK) {
    Error error =
        Error::unavailable("upstream_unavailable", call.method + " " + call.url + ": " + curl_easy_strerror(rc));
    // Safe to send elsewhere only when no byte of the request left this process.
    curl_off_t sent = 0;
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &sent);
    long request_bytes = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_bytes);
    error.retryable = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
                      (rc == CURLE_OPERATION_TIMEDOUT && request_bytes == 0 && sent == 0);
    return fail(std::move(error));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<unsigned>(status);
  return reply;
}

} // namespace parley
