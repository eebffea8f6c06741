#include <array>

#include "loadgen/scenario.hpp"

namespace loadgen {

const ScenarioInfo* find_scenario(std::string_view name) {
  static constexpr std::array<ScenarioInfo, 3> kScenarios{{
      {"connections", &run_connections},
      {"chat", &run_chat},
      {"fanout", &run_fanout},
  }};
  for (const auto& s : kScenarios)
    if (s.name == name) return &s;
  return nullptr;
}

} // namespace loadgen
