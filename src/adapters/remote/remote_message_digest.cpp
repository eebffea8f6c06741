#include "adapters/remote/remote_message_digest.hpp"

#include "adapters/remote/remote_reply.hpp"
#include "services/message/message_wire.hpp"

namespace parley {

Result<ChatDigest> RemoteMessageDigest::digest(std::string_view chat_id, std::string_view user_id) {
  if (chat_id.empty()) return ChatDigest{};
  auto reply = messages_.call(
      "GET", "/internal/v1/chats/" + remote::escape(chat_id) + "/digest?user_id=" + remote::escape(user_id));
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  ChatDigest d;
  bool ok = true;
  const auto integer = [&](std::string_view key, std::int64_t& out) {
    const auto* v = remote::member(*reply, key);
    if (v && v->is_int64())
      out = v->get_int64();
    else
      ok = false;
  };
  integer("last_seq", d.last_seq);
  integer("unread_count", d.unread_count);
  integer("read_seq", d.read_seq);
  const auto* last = remote::member(*reply, "last_message");
  if (!ok || !last) return fail(remote::malformed(messages_, "digest"));
  if (!last->is_null()) {
    auto message = message_from_wire(*last);
    if (!message) return fail(remote::malformed(messages_, "digest"));
    d.last_message = std::move(*message);
  }
  return d;
}

} // namespace parley
