#pragma once
// Centrifugo's bidirectional WebSocket transport with its JSON protocol: upgrade to
// /connection/websocket, send a `connect` command carrying the connection JWT, and the
// session is established when the reply with the same id carries a `connect` result
// (refused when it carries an `error`). Once connected the server pings at the
// application level with an empty object `{}`, and expects `{}` back within its pong
// timeout or it closes the connection.
//
// Fan-out: a group is a channel, joined with a `subscribe` command and published to with a
// client-side `publish` command (the channel's namespace must allow both), whose reply
// (`publish` or `error`, same id) is the final answer. Publications arrive as
// {"push":{"channel":...,"pub":{"data":...}}}, the publisher's own included. The server
// writes several replies and pushes in one frame, one per line, pings among them.

#include "loadgen/protocol.hpp"

namespace loadgen {

class CentrifugoProtocol final : public Protocol {
 public:
  std::string_view name() const override { return "centrifugo"; }
  std::string upgrade_target(const Credential&) const override { return "/connection/websocket"; }
  std::string opening_frame(const Credential& who) const override;
  Outcome on_opening_frame(std::string_view frame) const override;
  std::optional<std::string> keepalive_reply(std::string_view frame) const override;
  std::string join_frame(std::string_view group, std::uint64_t id) const override;
  std::string publish_frame(std::string_view group, std::uint64_t id, std::string_view body) const override;
  void read_items(std::string_view frame, const std::function<void(const Item&)>& each) const override;
};

} // namespace loadgen
