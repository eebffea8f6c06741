#include "adapters/sqlite/sqlite_chat_store.hpp"

#include <string>

namespace parley {

namespace {

constexpr const char* kChatColumns =
    "SELECT c.id, c.kind, c.name, c.avatar_url, c.direct_key, c.created_by, c.created_at_ms, c.updated_at_ms, "
    "c.last_activity_ms FROM chat_chats c ";

constexpr const char* kMemberColumns = "SELECT chat_id, user_id, role, joined_at_ms FROM chat_members ";

Chat read_chat(const Statement& st) {
  Chat c;
  c.id = st.column_text(0);
  c.kind = st.column_text(1) == "direct" ? domain::ChatKind::direct : domain::ChatKind::group;
  c.name = st.column_text(2);
  c.avatar_url = st.column_text(3);
  c.direct_key = st.column_text(4); // NULL reads as ""
  c.created_by = st.column_text(5);
  c.created_at_ms = st.column_int64(6);
  c.updated_at_ms = st.column_int64(7);
  c.last_activity_ms = st.column_int64(8);
  return c;
}

Member read_member(const Statement& st) {
  Member m;
  m.chat_id = st.column_text(0);
  m.user_id = st.column_text(1);
  // The CHECK constraint admits only the three names parse_role knows.
  m.role = domain::parse_role(st.column_text(2)).value_or(domain::Role::member);
  m.joined_at_ms = st.column_int64(3);
  return m;
}

Result<std::optional<Chat>> select_chat(Connection& conn, const char* where, std::string_view value) {
  Statement st(conn, std::string(kChatColumns) + where);
  st.bind_text(1, value);
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Chat>();
  return std::optional<Chat>(read_chat(st));
}

Result<std::optional<Member>> select_member(Connection& conn, std::string_view chat_id, std::string_view user_id) {
  Statement st(conn, std::string(kMemberColumns) + "WHERE chat_id = ? AND user_id = ?");
  st.bind_text(1, chat_id).bind_text(2, user_id);
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Member>();
  return std::optional<Member>(read_member(st));
}

// Inserts the chat row; a NULL direct_key for groups. Translates a taken id.
Result<void> insert_chat(Connection& conn, const Chat& chat, domain::ChatKind kind, std::string_view direct_key) {
  Statement st(conn,
               "INSERT INTO chat_chats (id, kind, name, avatar_url, direct_key, created_by, created_at_ms, "
               "updated_at_ms, last_activity_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind_text(1, chat.id).bind_text(2, domain::to_string(kind)).bind_text(3, chat.name).bind_text(4, chat.avatar_url);
  if (kind == domain::ChatKind::direct)
    st.bind_text(5, direct_key);
  else
    st.bind_null(5);
  st.bind_text(6, chat.created_by)
      .bind_int64(7, chat.created_at_ms)
      .bind_int64(8, chat.updated_at_ms)
      .bind_int64(9, chat.last_activity_ms);
  if (auto r = st.run(); !r) {
    if (is_unique_violation(r.error(), "chat_chats.id")) {
      return fail(Error::conflict("chat_exists", "a chat with this id already exists"));
    }
    return fail(r.error());
  }
  return {};
}

// Inserts one membership of `chat_id` (which must exist). Translates a duplicate.
Result<void> insert_member(Connection& conn, std::string_view chat_id, const Member& m) {
  Statement st(conn, "INSERT INTO chat_members (chat_id, user_id, role, joined_at_ms) VALUES (?, ?, ?, ?)");
  st.bind_text(1, chat_id)
      .bind_text(2, m.user_id)
      .bind_text(3, domain::to_string(m.role))
      .bind_int64(4, m.joined_at_ms);
  if (auto r = st.run(); !r) {
    if (is_unique_violation(r.error(), "chat_members.chat_id")) {
      return fail(Error::conflict("already_member", "the user is already a member of this chat"));
    }
    return fail(r.error());
  }
  return {};
}

Result<void> update_role(Connection& conn, std::string_view chat_id, std::string_view user_id, domain::Role role) {
  Statement st(conn, "UPDATE chat_members SET role = ? WHERE chat_id = ? AND user_id = ?");
  st.bind_text(1, domain::to_string(role)).bind_text(2, chat_id).bind_text(3, user_id);
  if (auto r = st.run(); !r) return fail(r.error());
  if (conn.changes() == 0) return fail(Error::not_found("member_not_found", "the user is not a member of this chat"));
  return {};
}

Error chat_not_found() { return Error::not_found("chat_not_found", "no such chat"); }

} // namespace

Result<Chat> SqliteChatStore::create_direct(const Chat& chat, const Member& a, const Member& b) {
  const std::string key = domain::direct_key(a.user_id, b.user_id);
  if (!chat.direct_key.empty() && chat.direct_key != key) {
    return fail(Error::invalid("direct_key_mismatch", "direct_key does not match the two members"));
  }
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  auto existing = select_chat(conn, "WHERE c.direct_key = ?", key);
  if (!existing) return fail(existing.error());
  if (*existing) return std::move(**existing); // read only: the rollback changes nothing

  if (auto r = insert_chat(conn, chat, domain::ChatKind::direct, key); !r) return fail(r.error());
  if (auto r = insert_member(conn, chat.id, a); !r) return fail(r.error());
  if (b.user_id != a.user_id) { // a chat with oneself has one member
    if (auto r = insert_member(conn, chat.id, b); !r) return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  Chat stored = chat;
  stored.kind = domain::ChatKind::direct;
  stored.direct_key = key;
  return stored;
}

Result<void> SqliteChatStore::create_group(const Chat& chat, const std::vector<Member>& members) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  if (auto r = insert_chat(conn, chat, domain::ChatKind::group, {}); !r) return fail(r.error());
  for (const auto& m : members) {
    if (auto r = insert_member(conn, chat.id, m); !r) return fail(r.error());
  }
  return tx->commit();
}

Result<std::optional<Chat>> SqliteChatStore::find(std::string_view chat_id) {
  auto conn = db_.lock();
  return select_chat(conn, "WHERE c.id = ?", chat_id);
}

Result<void> SqliteChatStore::update(const Chat& chat) {
  auto conn = db_.lock();
  Statement st(conn, "UPDATE chat_chats SET name = ?, avatar_url = ?, updated_at_ms = ? WHERE id = ?");
  st.bind_text(1, chat.name).bind_text(2, chat.avatar_url).bind_int64(3, chat.updated_at_ms).bind_text(4, chat.id);
  if (auto r = st.run(); !r) return fail(r.error());
  if (conn.changes() == 0) return fail(chat_not_found());
  return {};
}

namespace {
constexpr const char* kTouch = "UPDATE chat_chats SET last_activity_ms = max(last_activity_ms, ?) WHERE id = ?";
} // namespace

Result<void> SqliteChatStore::touch(std::string_view chat_id, std::int64_t activity_ms) {
  auto conn = db_.lock();
  // The row counts as changed even when max() keeps the old value, so changes() == 0
  // means only "no such chat".
  Statement st(conn, kTouch);
  st.bind_int64(1, activity_ms).bind_text(2, chat_id);
  if (auto r = st.run(); !r) return fail(r.error());
  if (conn.changes() == 0) return fail(chat_not_found());
  return {};
}

Result<void> SqliteChatStore::touch_all(const std::vector<domain::ChatActivity>& chats) {
  if (chats.empty()) return {};
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  Statement st(conn, kTouch);
  for (const auto& c : chats) {
    st.reset();
    st.bind_int64(1, c.at_ms).bind_text(2, c.chat_id);
    if (auto r = st.run(); !r) return fail(r.error());
  }
  return tx->commit();
}

Result<std::optional<Member>> SqliteChatStore::member(std::string_view chat_id, std::string_view user_id) {
  auto conn = db_.lock();
  return select_member(conn, chat_id, user_id);
}

Result<std::vector<Member>> SqliteChatStore::members(std::string_view chat_id) {
  auto conn = db_.lock();
  Statement st(conn, std::string(kMemberColumns) + "WHERE chat_id = ? ORDER BY joined_at_ms, user_id");
  st.bind_text(1, chat_id);
  std::vector<Member> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(read_member(st));
  }
  return out;
}

Result<std::int64_t> SqliteChatStore::member_count(std::string_view chat_id) {
  auto conn = db_.lock();
  Statement st(conn, "SELECT COUNT(*) FROM chat_members WHERE chat_id = ?");
  st.bind_text(1, chat_id);
  auto row = st.step();
  if (!row) return fail(row.error());
  return *row ? st.column_int64(0) : 0;
}

Result<void> SqliteChatStore::add_member(const Member& member) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  auto chat = select_chat(conn, "WHERE c.id = ?", member.chat_id);
  if (!chat) return fail(chat.error());
  if (!*chat) return fail(chat_not_found());
  if (auto r = insert_member(conn, member.chat_id, member); !r) return fail(r.error());
  return tx->commit();
}

Result<void> SqliteChatStore::remove_member(std::string_view chat_id, std::string_view user_id) {
  auto conn = db_.lock();
  Statement st(conn, "DELETE FROM chat_members WHERE chat_id = ? AND user_id = ?");
  st.bind_text(1, chat_id).bind_text(2, user_id);
  return st.run();
}

Result<void> SqliteChatStore::set_role(std::string_view chat_id, std::string_view user_id, domain::Role role) {
  auto conn = db_.lock();
  return update_role(conn, chat_id, user_id, role);
}

Result<void> SqliteChatStore::transfer_ownership(std::string_view chat_id, std::string_view from, std::string_view to) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  auto old_owner = select_member(conn, chat_id, from);
  if (!old_owner) return fail(old_owner.error());
  auto new_owner = select_member(conn, chat_id, to);
  if (!new_owner) return fail(new_owner.error());
  if (!*old_owner || !*new_owner) {
    return fail(Error::not_found("member_not_found", "both users must be members of this chat"));
  }
  if ((*old_owner)->role != domain::Role::owner) {
    return fail(Error::conflict("not_owner", "the user handing over is not the owner of this chat"));
  }
  if (from == to) return {};
  if (auto r = update_role(conn, chat_id, from, domain::Role::admin); !r) return fail(r.error());
  if (auto r = update_role(conn, chat_id, to, domain::Role::owner); !r) return fail(r.error());
  return tx->commit();
}

Result<std::vector<std::string>> SqliteChatStore::contacts_of(std::string_view user_id) {
  auto conn = db_.lock();
  Statement st(conn,
               "SELECT DISTINCT other.user_id FROM chat_members mine "
               "JOIN chat_members other ON other.chat_id = mine.chat_id "
               "WHERE mine.user_id = ?1 AND other.user_id <> ?1 ORDER BY other.user_id");
  st.bind_text(1, user_id);
  std::vector<std::string> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(st.column_text(0));
  }
  return out;
}

Result<std::vector<Chat>> SqliteChatStore::chats_of(std::string_view user_id,
                                                    const std::optional<ChatListCursor>& after, int limit) {
  std::vector<Chat> page;
  if (limit <= 0) return page;
  std::string sql = std::string(kChatColumns) + "JOIN chat_members m ON m.chat_id = c.id WHERE m.user_id = ?1 ";
  if (after) sql += "AND (c.last_activity_ms, c.id) < (?2, ?3) ";
  sql += "ORDER BY c.last_activity_ms DESC, c.id DESC LIMIT ?4";
  auto conn = db_.lock();
  Statement st(conn, sql);
  st.bind_text(1, user_id).bind_int64(4, limit);
  if (after) st.bind_int64(2, after->last_activity_ms).bind_text(3, after->chat_id);
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    page.push_back(read_chat(st));
  }
  return page;
}

} // namespace parley
