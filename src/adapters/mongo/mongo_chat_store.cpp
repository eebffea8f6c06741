#include "adapters/mongo/mongo_chat_store.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace parley {

namespace {

constexpr const char* kChats = "chats";
constexpr const char* kMembers = "members";
constexpr const char* kOwners = "owners";

// Hand-over attempts before giving up under contention (each lost race re-reads).
constexpr int kMaxAttempts = 20;

std::string pair_key_of(const Chat& chat, std::string_view direct_key) {
  return chat.kind == domain::ChatKind::direct ? "d:" + std::string(direct_key) : "g:" + chat.id;
}

BsonDoc chat_doc(const Chat& c, std::string_view direct_key) {
  BsonDoc d;
  d.str("_id", c.id)
      .str("kind", domain::to_string(c.kind))
      .str("name", c.name)
      .str("avatar_url", c.avatar_url)
      .str("direct_key", direct_key)
      .str("pair_key", pair_key_of(c, direct_key))
      .str("created_by", c.created_by)
      .i64("created_at_ms", c.created_at_ms)
      .i64("updated_at_ms", c.updated_at_ms)
      .i64("last_activity_ms", c.last_activity_ms)
      .boolean("pending", true);
  return d;
}

Chat read_chat(const BsonDoc& d) {
  Chat c;
  c.id = d.get_str("_id");
  c.kind = d.get_str("kind") == "direct" ? domain::ChatKind::direct : domain::ChatKind::group;
  c.name = d.get_str("name");
  c.avatar_url = d.get_str("avatar_url");
  c.direct_key = d.get_str("direct_key");
  c.created_by = d.get_str("created_by");
  c.created_at_ms = d.get_i64("created_at_ms");
  c.updated_at_ms = d.get_i64("updated_at_ms");
  c.last_activity_ms = d.get_i64("last_activity_ms");
  return c;
}

BsonDoc member_doc_of(std::string_view chat_id, const Member& m) {
  BsonDoc d;
  d.str("chat_id", chat_id)
      .str("user_id", m.user_id)
      .str("role", domain::to_string(m.role))
      .i64("joined_at_ms", m.joined_at_ms);
  return d;
}

// The role a member has, given the chat's newest owner ("" when none is recorded).
domain::Role effective_role(const BsonDoc& d, std::string_view owner) {
  const auto stored = domain::parse_role(d.get_str("role")).value_or(domain::Role::member);
  if (owner.empty()) return stored;
  if (d.get_str("user_id") == owner) return domain::Role::owner;
  return stored == domain::Role::owner ? domain::Role::admin : stored;
}

Member read_member(const BsonDoc& d, std::string_view owner) {
  return Member{d.get_str("chat_id"), d.get_str("user_id"), effective_role(d, owner), d.get_i64("joined_at_ms")};
}

BsonDoc visible(std::string_view chat_id) {
  BsonDoc f;
  f.str("_id", chat_id).boolean("pending", false);
  return f;
}

BsonDoc membership(std::string_view chat_id, std::string_view user_id) {
  BsonDoc f;
  f.str("chat_id", chat_id).str("user_id", user_id);
  return f;
}

Error chat_not_found() { return Error::not_found("chat_not_found", "no such chat"); }
Error member_not_found() { return Error::not_found("member_not_found", "the user is not a member of this chat"); }

} // namespace

Result<void> MongoChatStore::create_indexes() {
  if (auto r = db_.create_indexes(kChats, {{"pair_key", {{"pair_key", 1}}, true}}); !r) return r;
  if (auto r = db_.create_indexes(
          kMembers, {{"chat_user", {{"chat_id", 1}, {"user_id", 1}}, true}, {"user", {{"user_id", 1}}, false}});
      !r) {
    return r;
  }
  return db_.create_indexes(kOwners, {{"chat_epoch", {{"chat_id", 1}, {"epoch", 1}}, true}});
}

// Stores the members (those already there are kept) and makes the chat visible.
Result<void> MongoChatStore::complete(const std::string& chat_id, const std::vector<Member>& members) {
  std::vector<BsonDoc> docs;
  for (const auto& m : members) docs.push_back(member_doc_of(chat_id, m));
  if (auto r = db_.insert_many_skipping_duplicates(kMembers, docs); !r) return fail(r.error());
  BsonDoc pending;
  pending.str("_id", chat_id).boolean("pending", true);
  BsonDoc set;
  set.boolean("pending", false);
  if (auto r = db_.update_one(kChats, pending, bson_sub("$set", set)); !r) return fail(r.error());
  return {};
}

Result<Chat> MongoChatStore::create_direct(const Chat& chat, const Member& a, const Member& b) {
  const std::string key = domain::direct_key(a.user_id, b.user_id);
  if (!chat.direct_key.empty() && chat.direct_key != key) {
    return fail(Error::invalid("direct_key_mismatch", "direct_key does not match the two members"));
  }
  Chat stored = chat;
  stored.kind = domain::ChatKind::direct;
  stored.direct_key = key;
  std::vector<Member> pair{a};
  if (b.user_id != a.user_id) pair.push_back(b); // a chat with oneself has one member

  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto existing = db_.find_one(kChats, bson_str("pair_key", pair_key_of(stored, key)));
    if (!existing) return fail(existing.error());
    if (*existing) {
      Chat found = read_chat(**existing);
      // Created by a call that has not stored the members yet (or died first).
      if ((*existing)->get_bool("pending")) {
        if (auto r = complete(found.id, pair); !r) return fail(r.error());
      }
      return found;
    }
    auto inserted = db_.insert_one(kChats, chat_doc(stored, key));
    if (inserted) {
      if (auto r = complete(stored.id, pair); !r) return fail(r.error());
      return stored;
    }
    if (!is_duplicate_key(inserted.error())) return fail(inserted.error());
    // The pair's chat appeared meanwhile (the next look-up finds it), or the id is taken.
    auto same_id = db_.count(kChats, bson_str("_id", stored.id));
    if (!same_id) return fail(same_id.error());
    auto same_pair = db_.count(kChats, bson_str("pair_key", pair_key_of(stored, key)));
    if (!same_pair) return fail(same_pair.error());
    if (*same_id > 0 && *same_pair == 0) {
      return fail(Error::conflict("chat_exists", "a chat with this id already exists"));
    }
  }
  return fail(Error::unavailable("chat_contention", "could not create the direct chat; retry"));
}

// Best effort after a failed create_group: the chat stays invisible (pending) anyway.
void MongoChatStore::undo_group(const std::string& chat_id) {
  (void)db_.delete_many(kMembers, bson_str("chat_id", chat_id));
  (void)db_.delete_many(kOwners, bson_str("chat_id", chat_id));
  BsonDoc pending;
  pending.str("_id", chat_id).boolean("pending", true);
  (void)db_.delete_one(kChats, pending);
}

Result<void> MongoChatStore::create_group(const Chat& chat, const std::vector<Member>& members) {
  std::set<std::string_view> users;
  for (const auto& m : members) {
    if (!users.insert(m.user_id).second) {
      return fail(Error::conflict("already_member", "the user is already a member of this chat"));
    }
  }
  Chat stored = chat;
  stored.kind = domain::ChatKind::group;
  if (auto r = db_.insert_one(kChats, chat_doc(stored, "")); !r) {
    if (is_duplicate_key(r.error())) return fail(Error::conflict("chat_exists", "a chat with this id already exists"));
    return fail(r.error());
  }
  const auto owner =
      std::find_if(members.begin(), members.end(), [](const Member& m) { return m.role == domain::Role::owner; });
  if (owner != members.end()) {
    BsonDoc first;
    first.str("chat_id", chat.id).i64("epoch", 1).str("user_id", owner->user_id);
    if (auto r = db_.insert_one(kOwners, first); !r) {
      undo_group(chat.id);
      return fail(r.error());
    }
  }
  if (auto r = complete(chat.id, members); !r) {
    undo_group(chat.id);
    return fail(r.error());
  }
  return {};
}

Result<std::optional<Chat>> MongoChatStore::find(std::string_view chat_id) {
  auto found = db_.find_one(kChats, visible(chat_id));
  if (!found) return fail(found.error());
  if (!*found) return std::optional<Chat>();
  return std::optional<Chat>(read_chat(**found));
}

Result<void> MongoChatStore::update(const Chat& chat) {
  BsonDoc set;
  set.str("name", chat.name).str("avatar_url", chat.avatar_url).i64("updated_at_ms", chat.updated_at_ms);
  auto updated = db_.update_one(kChats, visible(chat.id), bson_sub("$set", set));
  if (!updated) return fail(updated.error());
  if (updated->matched == 0) return fail(chat_not_found());
  return {};
}

Result<void> MongoChatStore::touch(std::string_view chat_id, std::int64_t activity_ms) {
  auto updated = db_.update_one(kChats, visible(chat_id), bson_sub("$max", bson_i64("last_activity_ms", activity_ms)));
  if (!updated) return fail(updated.error());
  if (updated->matched == 0) return fail(chat_not_found());
  return {};
}

Result<std::string> MongoChatStore::owner_of(std::string_view chat_id) {
  auto newest = db_.find_one(kOwners, bson_str("chat_id", chat_id), MongoFind{{{"epoch", -1}}, 1, {}});
  if (!newest) return fail(newest.error());
  return *newest ? (*newest)->get_str("user_id") : std::string();
}

Result<std::optional<BsonDoc>> MongoChatStore::member_doc(std::string_view chat_id, std::string_view user_id) {
  return db_.find_one(kMembers, membership(chat_id, user_id));
}

Result<std::optional<Member>> MongoChatStore::member(std::string_view chat_id, std::string_view user_id) {
  auto doc = member_doc(chat_id, user_id);
  if (!doc) return fail(doc.error());
  if (!*doc) return std::optional<Member>();
  auto owner = owner_of(chat_id);
  if (!owner) return fail(owner.error());
  return std::optional<Member>(read_member(**doc, *owner));
}

Result<std::vector<Member>> MongoChatStore::members(std::string_view chat_id) {
  auto docs = db_.find(kMembers, bson_str("chat_id", chat_id), MongoFind{{{"joined_at_ms", 1}, {"user_id", 1}}, 0, {}});
  if (!docs) return fail(docs.error());
  auto owner = owner_of(chat_id);
  if (!owner) return fail(owner.error());
  std::vector<Member> out;
  for (const auto& d : *docs) out.push_back(read_member(d, *owner));
  return out;
}

Result<std::int64_t> MongoChatStore::member_count(std::string_view chat_id) {
  return db_.count(kMembers, bson_str("chat_id", chat_id));
}

Result<void> MongoChatStore::add_member(const Member& member) {
  auto chat = find(member.chat_id);
  if (!chat) return fail(chat.error());
  if (!*chat) return fail(chat_not_found());
  if (auto r = db_.insert_one(kMembers, member_doc_of(member.chat_id, member)); !r) {
    if (is_duplicate_key(r.error())) {
      return fail(Error::conflict("already_member", "the user is already a member of this chat"));
    }
    return fail(r.error());
  }
  return {};
}

Result<void> MongoChatStore::remove_member(std::string_view chat_id, std::string_view user_id) {
  auto r = db_.delete_one(kMembers, membership(chat_id, user_id));
  if (!r) return fail(r.error());
  return {};
}

Result<void> MongoChatStore::set_role(std::string_view chat_id, std::string_view user_id, domain::Role role) {
  if (role == domain::Role::owner) {
    return fail(Error::invalid("owner_by_transfer", "ownership moves only by transfer_ownership"));
  }
  auto updated = db_.update_one(kMembers, membership(chat_id, user_id),
                                bson_sub("$set", bson_str("role", domain::to_string(role))));
  if (!updated) return fail(updated.error());
  if (updated->matched == 0) return fail(member_not_found());
  return {};
}

Result<void> MongoChatStore::transfer_ownership(std::string_view chat_id, std::string_view from, std::string_view to) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto old_owner = member_doc(chat_id, from);
    if (!old_owner) return fail(old_owner.error());
    auto new_owner = member_doc(chat_id, to);
    if (!new_owner) return fail(new_owner.error());
    if (!*old_owner || !*new_owner) {
      return fail(Error::not_found("member_not_found", "both users must be members of this chat"));
    }
    auto newest = db_.find_one(kOwners, bson_str("chat_id", chat_id), MongoFind{{{"epoch", -1}}, 1, {}});
    if (!newest) return fail(newest.error());
    if (!*newest || (*newest)->get_str("user_id") != from) {
      return fail(Error::conflict("not_owner", "the user handing over is not the owner of this chat"));
    }
    if (from == to) return {};
    // The hand-over itself: of concurrent ones, one insert takes epoch + 1.
    BsonDoc next;
    next.str("chat_id", chat_id).i64("epoch", (*newest)->get_i64("epoch") + 1).str("user_id", to);
    auto claimed = db_.insert_one(kOwners, next);
    if (!claimed) {
      if (is_duplicate_key(claimed.error())) continue; // lost the race: re-read
      return fail(claimed.error());
    }
    // Stored roles follow for readers of the raw data; effective_role() already
    // reads the hand-over from owners, so a failure here changes no answer.
    (void)db_.update_one(kMembers, membership(chat_id, from), bson_sub("$set", bson_str("role", "admin")));
    (void)db_.update_one(kMembers, membership(chat_id, to), bson_sub("$set", bson_str("role", "owner")));
    return {};
  }
  return fail(Error::unavailable("chat_contention", "too many concurrent hand-overs; retry"));
}

Result<std::vector<std::string>> MongoChatStore::chat_ids_of(std::string_view user_id) {
  auto docs = db_.find(kMembers, bson_str("user_id", user_id), MongoFind{{}, 0, {"chat_id"}});
  if (!docs) return fail(docs.error());
  std::vector<std::string> ids;
  for (const auto& d : *docs) ids.push_back(d.get_str("chat_id"));
  return ids;
}

Result<std::vector<std::string>> MongoChatStore::contacts_of(std::string_view user_id) {
  auto chats = chat_ids_of(user_id);
  if (!chats) return fail(chats.error());
  // One equality query per chat rather than one `$in`: FerretDB v1 evaluates an `$in` in its
  // proxy, over every member document it reads, an equality in the storage.
  std::set<std::string> users;
  for (const auto& chat_id : *chats) {
    auto docs = db_.find(kMembers, bson_str("chat_id", chat_id), MongoFind{{}, 0, {"user_id"}});
    if (!docs) return fail(docs.error());
    for (const auto& d : *docs) users.insert(d.get_str("user_id"));
  }
  users.erase(std::string(user_id));
  return std::vector<std::string>(users.begin(), users.end());
}

Result<std::vector<Chat>> MongoChatStore::chats_of(std::string_view user_id, const std::optional<ChatListCursor>& after,
                                                   int limit) {
  std::vector<Chat> page;
  if (limit <= 0) return page;
  auto chats = chat_ids_of(user_id);
  if (!chats) return fail(chats.error());
  if (chats->empty()) return page;
  BsonDoc filter;
  filter.doc("_id", bson_strings("$in", *chats)).boolean("pending", false);
  if (after) {
    // (last_activity_ms, _id) < (a, id), as an $or of the two cases.
    BsonDoc older;
    older.doc("last_activity_ms", bson_i64("$lt", after->last_activity_ms));
    BsonDoc tie;
    tie.i64("last_activity_ms", after->last_activity_ms).doc("_id", bson_str("$lt", after->chat_id));
    std::vector<BsonDoc> either;
    either.push_back(std::move(older));
    either.push_back(std::move(tie));
    filter.docs("$or", either);
  }
  auto docs = db_.find(kChats, filter, MongoFind{{{"last_activity_ms", -1}, {"_id", -1}}, limit, {}});
  if (!docs) return fail(docs.error());
  for (const auto& d : *docs) page.push_back(read_chat(d));
  return page;
}

} // namespace parley
