#pragma once
// The instances of one upstream service, in round-robin order. Each request starts at the
// next instance and may move on to the following ones (the caller decides when: only when
// the request cannot have reached the previous one).

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace parley::proxy {

struct UpstreamAddress {
  std::string host;
  std::string port;
  std::string base_url; // "http://host:port", to prefix a request target with
};

// "http://host:port" (an optional trailing '/' is dropped); https, paths, queries, user
// info and missing ports are refused with invalid_argument "invalid_upstream".
Result<UpstreamAddress> parse_upstream(std::string_view url);
// A comma-separated list of such URLs, at least one (spaces around items are ignored).
Result<std::vector<UpstreamAddress>> parse_upstream_list(std::string_view urls);

class Upstreams {
 public:
  // Throws std::invalid_argument when `instances` is empty.
  Upstreams(std::string service, std::vector<UpstreamAddress> instances);
  Upstreams(const Upstreams&) = delete;
  Upstreams& operator=(const Upstreams&) = delete;

  // The index to start a request at; successive calls go round the instances. Thread-safe.
  std::size_t first() const { return next_.fetch_add(1, std::memory_order_relaxed) % instances_.size(); }
  // The `attempt`-th instance to try for a request that started at `first`.
  const UpstreamAddress& at(std::size_t first, std::size_t attempt) const {
    return instances_[(first + attempt) % instances_.size()];
  }
  std::size_t size() const { return instances_.size(); }
  const std::string& service() const { return service_; }

 private:
  std::string service_;
  std::vector<UpstreamAddress> instances_;
  mutable std::atomic<std::size_t> next_{0};
};

} // namespace parley::proxy
