#pragma once
// Parley's /ws (docs/protocol.md), version 2: the access token rides in the upgrade's query
// string, a frame may carry several messages (one per line) and the first message the server
// sends is {"type":"hello",...}. Fan-out: a group is a chat the
// user is a member of (nothing to join), published to with message.send, delivered as
// message.new; the final answer to a send is its `stored` ack or an error.

#include "loadgen/protocol.hpp"

namespace loadgen {

class ParleyProtocol final : public Protocol {
 public:
  std::string_view name() const override { return "parley"; }
  std::string upgrade_target(const Credential& who) const override;
  std::string opening_frame(const Credential&) const override { return {}; }
  Outcome on_opening_frame(std::string_view frame) const override;
  std::string publish_frame(std::string_view group, std::uint64_t id, std::string_view body) const override;
  void read_items(std::string_view frame, const std::function<void(const Item&)>& each) const override;
};

} // namespace loadgen
