#include "transport/proxy/forwarding.hpp"
#include "core/text.hpp"

#include <array>

#include <boost/beast/core/string.hpp>

namespace parley::proxy {
namespace {

using boost::beast::iequals;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// True when the comma-separated `tokens` (a Connection header) names `name`.
bool lists(std::string_view tokens, std::string_view name) {
  while (!tokens.empty()) {
    const auto comma = tokens.find(',');
    if (iequals(trim(tokens.substr(0, comma)), name)) return true;
    tokens = comma == std::string_view::npos ? std::string_view{} : tokens.substr(comma + 1);
  }
  return false;
}

bool any_of_nocase(std::string_view name, std::initializer_list<std::string_view> names) {
  for (const auto n : names)
    if (iequals(name, n)) return true;
  return false;
}

} // namespace

bool is_hop_by_hop(std::string_view name) {
  return any_of_nocase(name, {"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade"}) ||
         starts_with_nocase(name, "Proxy-");
}

std::string forwarded_for(const http::Request& req, bool trust_forwarded) {
  if (trust_forwarded) {
    if (const auto list = req.header("X-Forwarded-For"); list && !trim(*list).empty())
      return std::string(trim(*list)) + ", " + req.remote_ip;
  }
  return req.remote_ip;
}

std::string forwarded_proto(const http::Request& req, bool trust_forwarded) {
  if (trust_forwarded) {
    if (const auto proto = req.header("X-Forwarded-Proto"); proto && (*proto == "https" || *proto == "http"))
      return std::string(*proto);
  }
  return "http";
}

HttpHeaders upstream_headers(const http::Request& req, const ForwardingPolicy& policy) {
  const std::string_view connection = req.header("Connection").value_or("");
  HttpHeaders out;
  for (const auto& field : req.message) {
    const std::string_view name = field.name_string();
    if (is_hop_by_hop(name) || lists(connection, name)) continue;
    if (any_of_nocase(name, {"Host", "Content-Length", "Expect", "X-Forwarded-For", "X-Forwarded-Proto",
                             "X-Forwarded-Host", "X-Request-Id"}))
      continue;
    bool stripped = false;
    for (const auto& s : policy.strip_request_headers) stripped = stripped || iequals(name, s);
    if (stripped) continue;
    out.emplace_back(std::string(name), std::string(field.value()));
  }
  out.emplace_back("X-Forwarded-For", forwarded_for(req, policy.trust_forwarded));
  out.emplace_back("X-Forwarded-Proto", forwarded_proto(req, policy.trust_forwarded));
  if (const auto host = req.header("Host"); host && !host->empty()) out.emplace_back("X-Forwarded-Host", *host);
  if (!req.request_id.empty()) out.emplace_back("X-Request-Id", req.request_id);
  return out;
}

http::Response client_response(HttpReply reply) {
  http::Response res;
  res.status = reply.status;
  res.body = std::move(reply.body);
  res.content_type = std::string(reply.header("content-type"));
  const std::string_view connection = reply.header("connection");
  for (auto& [name, value] : reply.headers) {
    if (is_hop_by_hop(name) || lists(connection, name)) continue;
    if (any_of_nocase(name, {"Content-Length", "Content-Type", "Server", "X-Request-Id"})) continue;
    if (starts_with_nocase(name, "Access-Control-")) continue;
    res.headers.emplace_back(std::move(name), std::move(value));
  }
  return res;
}

} // namespace parley::proxy
