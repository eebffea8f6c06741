#pragma once
// Messaging for a WebSocket node of a distributed deployment: a send is checked (input and
// membership) and appended to the command log, keyed by chat, for the message service to
// store; everything else is a call to the message service's internal API.

#include "core/ids.hpp"
#include "ports/event_log.hpp"
#include "ports/membership.hpp"
#include "ports/messaging.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class MessageClient final : public Messaging {
 public:
  struct Ports {
    const ServiceClient& service; // the message service
    EventLog& commands;
    Membership& membership;
    IdGen& ids;
  };
  explicit MessageClient(Ports ports);

  Result<std::optional<Appended>> submit(std::string_view me, const SendInput& input) override;
  Result<domain::Message> edit(std::string_view me, std::string_view chat_id, std::string_view message_id,
                               std::string_view body) override;
  Result<domain::Message> remove(std::string_view me, std::string_view chat_id, std::string_view message_id) override;
  Result<std::vector<domain::Message>> history(std::string_view me, std::string_view chat_id,
                                               const HistoryQuery& query) override;
  Result<Cursor> mark_read(std::string_view me, std::string_view chat_id, std::int64_t seq) override;
  Result<Cursor> mark_delivered(std::string_view me, std::string_view chat_id, std::int64_t seq) override;
  Result<void> react(std::string_view me, std::string_view chat_id, std::string_view message_id,
                     std::string_view emoji) override;
  Result<void> unreact(std::string_view me, std::string_view chat_id, std::string_view message_id) override;

 private:
  Result<boost::json::value> call(std::string_view op, std::string_view me, std::string_view chat_id,
                                  boost::json::object args) const;
  Result<Cursor> cursor(std::string_view op, std::string_view me, std::string_view chat_id, std::int64_t seq) const;

  Ports ports_;
};

} // namespace parley
