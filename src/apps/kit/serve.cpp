#include "apps/kit/serve.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <sys/resource.h>

#include "apps/kit/settings.hpp"
#include "core/log.hpp"
#include "transport/http/metrics.hpp"
#include "transport/http/ops_routes.hpp"
#include "transport/http/tls.hpp"

namespace parley {
namespace {

const Logger kLog{"serve"};

constexpr rlim_t kSpareFds = 256; // files, the database, mail, the listening socket, clients

// Lifts the soft descriptor limit to what max_connections needs (up to the hard limit).
void raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < wanted) {
    lim.rlim_cur = std::min(wanted, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < wanted)
    kLog.warn("descriptor limit below PARLEY_MAX_CONNECTIONS",
              {{"limit", static_cast<std::int64_t>(lim.rlim_cur)}, {"wanted", static_cast<std::int64_t>(wanted)}});
}

template <class C, std::size_t N>
bool declares(const std::array<ConfigOption<C>, N>& table, std::string_view name) {
  return std::any_of(table.begin(), table.end(), [&](const auto& o) { return o.name == name; });
}

// The values of `source` that `table` declares.
template <class C, std::size_t N>
ConfigSource only(const ConfigSource& source, const std::array<ConfigOption<C>, N>& table) {
  ConfigSource out;
  for (const auto& [name, value] : source.values())
    if (declares(table, name)) out.set(name, value);
  return out;
}

void print_help(const Program& p) {
  std::cout << p.name << ": " << p.summary << "\n\nUsage: " << p.name << " [--config FILE] [--help]";
  for (const auto& [flag, run] : p.commands) std::cout << " [" << flag << "]";
  std::cout << "\n\nSettings come from PARLEY_* environment variables, or NAME=value lines in the file given\n"
               "by --config or PARLEY_CONFIG (the environment wins):\n\n"
            << config_help<ParleyConfig>(kParleyOptions);
  if (p.cluster) std::cout << "\nDistributed deployment:\n\n" << config_help<ClusterConfig>(kClusterOptions);
}

std::vector<std::string> load_settings(const Program& p, const ConfigSource& source, Settings& out) {
  auto problems = load_config<ParleyConfig>(kParleyOptions, only(source, kParleyOptions), out.parley);
  const auto media = media_storage_problems(out.parley);
  problems.insert(problems.end(), media.begin(), media.end());
  const auto tls = http::tls_problems(out.parley.tls_cert_file, out.parley.tls_key_file);
  problems.insert(problems.end(), tls.begin(), tls.end());
  if (p.cluster) {
    auto more = load_config<ClusterConfig>(kClusterOptions, only(source, kClusterOptions), out.cluster);
    problems.insert(problems.end(), more.begin(), more.end());
    if (out.cluster.service_token.size() < 16)
      problems.push_back("PARLEY_SERVICE_TOKEN: required, at least 16 characters");
  }
  for (const auto& [name, value] : source.values())
    if (name != "PARLEY_CONFIG" && !declares(kParleyOptions, name) && !(p.cluster && declares(kClusterOptions, name)))
      problems.push_back(name + ": unknown setting");
  return problems;
}

int serve(const Program& p, int argc, char** argv) {
  ConfigSource source;
  const std::function<int(const Settings&)>* command = nullptr;
  std::string config_file = std::getenv("PARLEY_CONFIG") ? std::getenv("PARLEY_CONFIG") : "";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto extra =
        std::find_if(p.commands.begin(), p.commands.end(), [&](const auto& c) { return c.first == arg; });
    if (arg == "--help" || arg == "-h") {
      print_help(p);
      return 0;
    } else if (extra != p.commands.end()) {
      command = &extra->second;
    } else if (arg == "--config" && i + 1 < argc) {
      config_file = argv[++i];
    } else {
      std::cerr << p.name << ": unknown argument '" << arg << "' (see --help)\n";
      return 2;
    }
  }
  if (!config_file.empty()) source.load_file(config_file);
  source.load_environment();
  Settings settings;
  if (const auto problems = load_settings(p, source, settings); !problems.empty()) {
    for (const auto& problem : problems) std::cerr << p.name << ": " << problem << "\n";
    return 2;
  }
  Logger::set_level(Logger::parse_level(settings.parley.log_level));
  if (command) return (*command)(settings);

  auto served = p.build(settings);
  http::HttpMetrics metrics;
  std::unique_ptr<http::Server> server;
  http::mount_ops_routes(served->router(), metrics,
                         [&server, &served] { return server && server->ready() && served->ready(); });
  raise_fd_limit(static_cast<rlim_t>(settings.parley.max_connections) + kSpareFds);
  auto config = server_config(settings.parley);
  config.trust_forwarded = p.cluster && settings.cluster.trust_forwarded;
  server = std::make_unique<http::Server>(std::move(config), served->router(), metrics, served->upgrade());
  kLog.info("starting", {{"program", p.name}});
  server->run();
  server.reset();
  return 0;
}

} // namespace

int serve_main(const Program& p, int argc, char** argv) {
  try {
    return serve(p, argc, argv);
  } catch (const std::exception& e) {
    kLog.error("fatal", {{"program", p.name}, {"error", e.what()}});
    std::cerr << p.name << ": " << e.what() << "\n";
    return 1;
  }
}

} // namespace parley
