#include "transport/proxy/upstreams.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <stdexcept>

namespace parley::proxy {
namespace {

tl::unexpected<Error> invalid(std::string_view url, std::string_view why) {
  std::string text = "'";
  text.append(url).append("': ").append(why);
  return fail(Error::invalid("invalid_upstream", std::move(text)));
}

} // namespace

Result<UpstreamAddress> parse_upstream(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return invalid(url, "expected http://host:port");
  std::string_view authority = url.substr(kScheme.size());
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.find_first_of("/?#@ ") != std::string_view::npos) return invalid(url, "expected http://host:port");
  std::string_view host;
  std::string_view port;
  if (authority.starts_with('[')) { // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos || authority.substr(close + 1, 1) != ":")
      return invalid(url, "expected http://[address]:port");
    host = authority.substr(1, close - 1);
    port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) return invalid(url, "a port is required");
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return invalid(url, "write IPv6 addresses in brackets");
  }
  if (host.empty()) return invalid(url, "a host is required");
  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535)
    return invalid(url, "the port must be 1-65535");
  return UpstreamAddress{std::string(host), std::string(port), std::string(kScheme) + std::string(authority)};
}

Result<std::vector<UpstreamAddress>> parse_upstream_list(std::string_view urls) {
  std::vector<UpstreamAddress> out;
  while (!urls.empty()) {
    const auto comma = urls.find(',');
    const auto item = trim(urls.substr(0, comma));
    urls = comma == std::string_view::npos ? std::string_view{} : urls.substr(comma + 1);
    if (item.empty()) continue;
    auto address = parse_upstream(item);
    if (!address) return fail(address.error());
    out.push_back(std::move(*address));
  }
  if (out.empty()) return fail(Error::invalid("invalid_upstream", "at least one http://host:port is required"));
  return out;
}

Upstreams::Upstreams(std::string service, std::vector<UpstreamAddress> instances)
    : service_(std::move(service)), instances_(std::move(instances)) {
  if (instances_.empty()) throw std::invalid_argument("no instance of the " + service_ + " service configured");
}

} // namespace parley::proxy
