#pragma once
// The bench's ceiling server (bench/ceiling/): no authentication, a connection's group rides
// in the upgrade target (/ws?group=G, G being the credential's token), the server greets with
// {"type":"hello"} and sends every text frame a client sends to every connection of its
// group, the sender's included, as it came. A publish is never answered: the publisher knows
// it went through when its own copy comes back.

#include "loadgen/protocol.hpp"

namespace loadgen {

class CeilingProtocol final : public Protocol {
 public:
  std::string_view name() const override { return "ceiling"; }
  std::string upgrade_target(const Credential& who) const override;
  std::string opening_frame(const Credential&) const override { return {}; }
  Outcome on_opening_frame(std::string_view frame) const override;
  std::string publish_frame(std::string_view group, std::uint64_t id, std::string_view body) const override;
  bool answers_publish() const override { return false; }
  void read_items(std::string_view frame, const std::function<void(const Item&)>& each) const override;
};

} // namespace loadgen
