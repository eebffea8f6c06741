#include "loadgen/protocol.hpp"

#include <fstream>
#include <stdexcept>

#include "loadgen/ceiling_protocol.hpp"
#include "loadgen/centrifugo_protocol.hpp"
#include "loadgen/parley_protocol.hpp"

namespace loadgen {

std::vector<Credential> load_credentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read credentials from " + path);
  std::vector<Credential> out;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find(' ');
    if (space == std::string::npos)
      out.push_back({{}, line});
    else
      out.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  if (out.empty()) throw std::runtime_error("no credentials in " + path);
  return out;
}

std::unique_ptr<Protocol> make_protocol(std::string_view name) {
  if (name == "parley") return std::make_unique<ParleyProtocol>();
  if (name == "centrifugo") return std::make_unique<CentrifugoProtocol>();
  if (name == "ceiling") return std::make_unique<CeilingProtocol>();
  throw std::invalid_argument("unknown protocol '" + std::string(name) + "' (known: parley, centrifugo, ceiling)");
}

} // namespace loadgen
