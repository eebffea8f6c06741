#pragma once
// What differs between the servers the load generator talks to. A connection is: a TCP
// connect, a WebSocket upgrade to upgrade_target(), optionally opening_frame() sent by the
// client, then frames read until on_opening_frame() says the session is established (or
// refused). After that, keepalive_reply() picks out the keep-alives a protocol sends as data
// frames and answers itself; every other frame is the scenario's business. Parley
// authenticates in the upgrade, greets with `hello` and pings with WebSocket control
// frames; Centrifugo authenticates with a `connect` command, answers with its result and
// pings with `{}`, which is why the opening frame and the keep-alive reply exist.
//
// Fan-out (scenario "fanout") adds joining a group, publishing to it and reading what comes
// back; read_items() splits a frame into items because Centrifugo batches several in one.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

// One identity to connect as; a user may be used by many connections (multi-device).
struct Credential {
  std::string user_id;
  std::string token;
};

// One thing a frame received once established says (see Protocol::read_items).
struct Item {
  enum class Kind { delivery, answer, keepalive, other };
  Kind kind = Kind::other;
  std::string_view body;  // delivery: the body as published
  std::uint64_t id = 0;   // answer: the id of the request it answers
  std::string_view error; // answer: empty when the request succeeded, else the server's error code
};

// Reads credentials, one per line: `TOKEN` or `USER_ID TOKEN` (blank lines and lines
// starting with # are skipped). Throws std::runtime_error when the file cannot be read or
// holds none.
std::vector<Credential> load_credentials(const std::string& path);

class Protocol {
 public:
  enum class Verdict { established, wait, refused };
  struct Outcome {
    Verdict verdict;
    std::string reason; // why, when refused
  };

  virtual ~Protocol() = default;
  virtual std::string_view name() const = 0;
  // The request target of the upgrade, e.g. "/ws?access_token=...".
  virtual std::string upgrade_target(const Credential& who) const = 0;
  // The frame to send right after the upgrade; empty: none.
  virtual std::string opening_frame(const Credential& who) const = 0;
  // Classifies a frame received before the session is established.
  virtual Outcome on_opening_frame(std::string_view frame) const = 0;
  // For a frame received once established: the answer when it is an application-level
  // keep-alive ping (counted as a ping, not passed to the scenario); nullopt otherwise.
  virtual std::optional<std::string> keepalive_reply(std::string_view) const { return std::nullopt; }

  // Fan-out. A group is what the bench named it on this server (a Parley chat id, a Centrifugo
  // channel, the ceiling's group). The frame that joins `group` as request `id` once
  // established; empty when there is nothing to join (the server knows the members, or the
  // upgrade target named the group).
  virtual std::string join_frame(std::string_view /*group*/, std::uint64_t /*id*/) const { return {}; }
  // The frame that publishes `body` (printable ASCII without quotes or backslashes, and
  // starting with a word unique to this send) to `group` as request `id`.
  virtual std::string publish_frame(std::string_view group, std::uint64_t id, std::string_view body) const = 0;
  // False when a publish is never answered: the publisher learns it went through from its own
  // copy, as a member of the group.
  virtual bool answers_publish() const { return true; }
  // Calls `each` for every item of a frame received once established; the views point into
  // `frame`. A Parley `accepted` ack is `other`: only the final answer (`stored`) counts.
  virtual void read_items(std::string_view frame, const std::function<void(const Item&)>& each) const = 0;
};

// "parley", "centrifugo" or "ceiling"; throws std::invalid_argument for an unknown name.
std::unique_ptr<Protocol> make_protocol(std::string_view name);

} // namespace loadgen
