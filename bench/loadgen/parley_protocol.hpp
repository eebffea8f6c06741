#pragma once
// Parley's /ws (docs/protocol.md): the access token rides in the upgrade's query string and
// the first frame the server sends is {"type":"hello",...}.

#include "loadgen/protocol.hpp"

namespace loadgen {

class ParleyProtocol final : public Protocol {
 public:
  std::string_view name() const override { return "parley"; }
  std::string upgrade_target(const Credential& who) const override;
  std::string opening_frame(const Credential&) const override { return {}; }
  Outcome on_opening_frame(std::string_view frame) const override;
};

} // namespace loadgen
