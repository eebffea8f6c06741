#pragma once
// The main loop every Parley executable shares: settings from PARLEY_* variables and an
// optional file (--config FILE or PARLEY_CONFIG), --help, then serve what the program builds
// until SIGTERM/SIGINT (stop accepting, drain, exit 0).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "apps/kit/cluster_config.hpp"
#include "apps/parley/config.hpp"
#include "transport/http/router.hpp"
#include "transport/http/server.hpp"

namespace parley {

struct Settings {
  ParleyConfig parley;
  ClusterConfig cluster;
};

// What a program serves. Built after the settings are read; destroyed after the server stopped.
class Served {
 public:
  virtual ~Served() = default;
  virtual http::Router& router() = 0;
  virtual std::optional<http::Upgrade> upgrade() { return std::nullopt; }
  // /readyz: false while a dependency the program needs is not there yet.
  virtual bool ready() { return true; }
};

struct Program {
  std::string name;     // "parley", "parley-chat"
  std::string summary;  // the first line of --help
  bool cluster = false; // reads the distributed settings too
  std::function<std::unique_ptr<Served>(const Settings&)> build;
  // Extra command-line flags: name -> what to do instead of serving (returns the exit code).
  std::vector<std::pair<std::string, std::function<int(const Settings&)>>> commands;
};

// Returns the exit code: 0 after a clean stop, 2 for bad settings or arguments, 1 when
// building or serving failed (logged).
int serve_main(const Program& program, int argc, char** argv);

// serve_main for a service of a distributed deployment: `App` is built from the settings.
template <class App>
int run_service(std::string name, std::string summary, int argc, char** argv) {
  return serve_main({std::move(name),
                     std::move(summary),
                     true,
                     [](const Settings& s) -> std::unique_ptr<Served> { return std::make_unique<App>(s); },
                     {}},
                    argc, argv);
}

} // namespace parley
