#include "transport/proxy/reverse_proxy.hpp"

#include "core/log.hpp"

namespace parley::proxy {
namespace {

const Logger kLog{"proxy"};

// The client's error message without the query string of `target` (it may hold a signature).
std::string without_query(std::string message, std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return message;
  const std::string query(target.substr(q));
  for (auto at = message.find(query); at != std::string::npos; at = message.find(query, at + 2))
    message.replace(at, query.size(), "?…");
  return message;
}

} // namespace

http::Response upstream_unavailable(const std::string& service) {
  http::Response res =
      http::error_response(Error::unavailable("upstream_unavailable", "the " + service + " service is unavailable"));
  res.status = 502;
  return res;
}

ReverseProxy::ReverseProxy(std::string service, std::vector<UpstreamAddress> instances, const HttpClient& http,
                           ForwardingPolicy policy)
    : upstreams_(std::move(service), std::move(instances)), http_(http), policy_(std::move(policy)) {}

http::Response ReverseProxy::forward(const http::Request& req) const {
  HttpCall call{std::string(req.method()), {}, upstream_headers(req, policy_), std::string(req.body())};
  const std::string_view target = req.message.target();
  const std::size_t first = upstreams_.first();
  for (std::size_t attempt = 0; attempt < upstreams_.size(); ++attempt) {
    const UpstreamAddress& instance = upstreams_.at(first, attempt);
    call.url = instance.base_url;
    call.url += target;
    auto reply = http_.call(call);
    if (reply) return client_response(std::move(*reply));
    const bool next = reply.error().retryable && attempt + 1 < upstreams_.size();
    kLog.warn("upstream failed", {{"req", req.request_id},
                                  {"service", upstreams_.service()},
                                  {"upstream", instance.base_url},
                                  {"error", without_query(reply.error().message, target)},
                                  {"next", next}});
    if (!reply.error().retryable) break; // it may have reached the upstream: never send it twice
  }
  return upstream_unavailable(upstreams_.service());
}

} // namespace parley::proxy
