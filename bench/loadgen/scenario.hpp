#pragma once
// A scenario drives the connections and returns its report. Everything a scenario needs
// comes in the Context; a new one is a function plus a line in scenarios.cpp.

#include <functional>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "loadgen/options.hpp"
#include "loadgen/process.hpp"
#include "loadgen/protocol.hpp"
#include "loadgen/workers.hpp"
#include "loadgen/ws_session.hpp"

namespace loadgen {

struct Context {
  const Options& options;
  const Protocol& protocol;
  const std::vector<Credential>& credentials;
  const Target& target;
  Workers& workers;
  StopSignal& stop;
  // Writes one event as a JSON line to stdout (thread-safe); the report is the last one.
  std::function<void(boost::json::object)> emit;
  // A progress line for people, to stderr unless --quiet.
  std::function<void(std::string_view)> progress;
};

using Scenario = boost::json::object (*)(Context&);

struct ScenarioInfo {
  std::string_view name;
  Scenario run;
};

// The known scenarios; nullptr for an unknown name.
const ScenarioInfo* find_scenario(std::string_view name);

// Scenarios (one file each).
boost::json::object run_connections(Context& ctx);
boost::json::object run_chat(Context& ctx);
boost::json::object run_fanout(Context& ctx);

} // namespace loadgen
