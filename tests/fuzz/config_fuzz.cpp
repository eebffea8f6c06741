// Config files: `--config FILE` / PARLEY_CONFIG is read by ConfigSource::load_file, then every
// executable's option table takes its values (load_config) and the server's own settings are
// derived from them (server_config, media_storage_problems: the S3 endpoint is parsed there),
// and the addresses of a distributed deployment are parsed: the services' and the gateway's
// upstream lists (parse_upstream_list) and the Redis URL (parse_redis_url).
// Contract under test: bad lines and values are std::runtime_error or problems, nothing else.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "adapters/redis/redis_client.hpp"
#include "apps/gateway/config.hpp"
#include "apps/kit/cluster_config.hpp"
#include "apps/kit/settings.hpp"
#include "apps/parley/config.hpp"
#include "core/config.hpp"
#include "transport/proxy/upstreams.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// load_file reads a path: each input is written to this process's own file first.
const std::string& input_path() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("parley-fuzz-config-" + std::to_string(::getpid()) + ".conf"))
          .string();
  return path;
}

struct RemoveAtExit {
  ~RemoveAtExit() { std::remove(input_path().c_str()); }
} remove_at_exit;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley;
  {
    std::ofstream out(input_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ConfigSource source;
  try {
    source.load_file(input_path());
  } catch (const std::runtime_error&) {
    return 0; // a malformed line: refused at start-up, as documented
  }
  ParleyConfig parley;
  auto problems = load_config<ParleyConfig>(kParleyOptions, source, parley);
  ClusterConfig cluster;
  load_config<ClusterConfig>(kClusterOptions, source, cluster);
  GatewayConfig gateway;
  load_config<GatewayConfig>(kGatewayOptions, source, gateway);
  for (const auto* urls : {&cluster.auth_urls, &cluster.user_urls, &cluster.chat_urls, &cluster.message_urls,
                           &cluster.notification_urls, &gateway.ws_urls}) {
    const auto list = proxy::parse_upstream_list(*urls);
    if (list) check(!list->empty());
  }
  (void)parse_redis_url(cluster.redis_url);
  (void)parse_redis_url(gateway.redis_url);
  const auto media = media_storage_problems(parley);
  problems.insert(problems.end(), media.begin(), media.end());
  if (problems.empty()) {
    try {
      (void)server_config(parley); // throws std::runtime_error on a malformed PARLEY_LISTEN
    } catch (const std::runtime_error&) {
    }
    (void)realtime_config(parley);
    (void)media_config(parley);
    (void)public_url(parley);
    (void)media_upload_origin(parley);
  }
  return 0;
}
