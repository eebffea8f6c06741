#include "adapters/mongo/mongo_notification_store.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace parley {

namespace {

constexpr const char* kNotifications = "notifications";
constexpr const char* kChecks = "checks";
constexpr const char* kCountedTo = "counted_to"; // {_id: user and chat, last_seq}
constexpr const char* kMailings = "mailings";

// Attempts of count() to bump or open the chat's notification while others race it.
constexpr int kMaxAttempts = 10;

// The length prefix keeps ("ab", "c") and ("a", "bc") apart.
std::string open_key(std::string_view user_id, std::string_view chat_id) {
  return "open:" + std::to_string(user_id.size()) + ":" + std::string(user_id) + std::string(chat_id);
}

std::string closed_key(std::string_view id) { return "id:" + std::string(id); }

Notification read_notification(const BsonDoc& d) {
  Notification n;
  n.id = d.get_str("_id");
  n.user_id = d.get_str("user_id");
  n.kind = d.get_str("kind");
  n.chat_id = d.get_str("chat_id");
  n.actor_id = d.get_str("actor_id");
  n.message_id = d.get_str("message_id");
  n.seq = d.get_i64("seq");
  n.count = d.get_i64("count");
  n.preview = d.get_str("preview");
  n.created_at_ms = d.get_i64("created_at_ms");
  n.updated_at_ms = d.get_i64("updated_at_ms");
  n.read_at_ms = d.get_i64("read_at_ms");
  return n;
}

BsonDoc notification_doc(const Notification& n, std::string_view dedupe, std::string_view open) {
  BsonDoc d;
  d.str("_id", n.id)
      .str("user_id", n.user_id)
      .str("kind", n.kind)
      .str("chat_id", n.chat_id)
      .str("actor_id", n.actor_id)
      .str("message_id", n.message_id)
      .i64("seq", n.seq)
      .i64("count", n.count)
      .str("preview", n.preview)
      .i64("created_at_ms", n.created_at_ms)
      .i64("updated_at_ms", n.updated_at_ms)
      .i64("read_at_ms", n.read_at_ms)
      .str("dedupe", dedupe)
      .str("open_key", open)
      .boolean("mailed", false);
  return d;
}

BsonDoc user_chat(std::string_view user_id, std::string_view chat_id) {
  BsonDoc f;
  f.str("user_id", user_id).str("chat_id", chat_id);
  return f;
}

Result<std::vector<Notification>> read_all(Result<std::vector<BsonDoc>> docs) {
  if (!docs) return fail(docs.error());
  std::vector<Notification> out;
  for (const auto& d : *docs) out.push_back(read_notification(d));
  return out;
}

} // namespace

Result<void> MongoNotificationStore::create_indexes() {
  if (auto r =
          db_.create_indexes(kNotifications, {{"dedupe", {{"dedupe", 1}}, true},
                                              {"open_key", {{"open_key", 1}}, true},
                                              {"user_updated", {{"user_id", 1}, {"updated_at_ms", -1}, {"_id", -1}}},
                                              {"unmailed", {{"mailed", 1}, {"created_at_ms", 1}}}});
      !r) {
    return r;
  }
  if (auto r = db_.create_indexes(kChecks, {{"user_chat", {{"user_id", 1}, {"chat_id", 1}}, true},
                                            {"due_at", {{"due_ms", 1}, {"chat_id", 1}, {"user_id", 1}}}});
      !r) {
    return r;
  }
  return db_.create_indexes(kMailings, {{"notification", {{"notification_id", 1}}, true}});
}

Result<bool> MongoNotificationStore::add(const Notification& n, std::string_view dedupe_key) {
  const std::string dedupe = dedupe_key.empty() ? closed_key(n.id) : "key:" + std::string(dedupe_key);
  const bool open = n.kind == "message" && n.read_at_ms == 0;
  auto inserted = db_.insert_one(kNotifications,
                                 notification_doc(n, dedupe, open ? open_key(n.user_id, n.chat_id) : closed_key(n.id)));
  if (inserted) return true;
  if (!is_duplicate_key(inserted.error())) return fail(inserted.error());
  auto seen = db_.count(kNotifications, bson_str("dedupe", dedupe));
  if (!seen) return fail(seen.error());
  if (*seen > 0 && !dedupe_key.empty()) return false;
  return fail(Error::conflict("notification_exists", "a notification with this id already exists"));
}

Result<void> MongoNotificationStore::schedule(const std::vector<MessageCheck>& checks) {
  std::vector<BsonDoc> docs;
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::string>> users_by_chat_and_due;
  for (const auto& c : checks) {
    BsonDoc d = user_chat(c.user_id, c.chat_id);
    d.i64("due_ms", c.due_ms);
    docs.push_back(std::move(d));
    users_by_chat_and_due[{c.chat_id, c.due_ms}].push_back(c.user_id);
  }
  // New checks are inserted; a pending one (a duplicate on user_chat) stays, brought forward
  // when this one is due earlier: two round trips for a chat's members, not one per member.
  if (auto r = db_.insert_many_skipping_duplicates(kChecks, docs); !r) return fail(r.error());
  for (const auto& [chat_and_due, users] : users_by_chat_and_due) {
    const auto& [chat_id, due_ms] = chat_and_due;
    BsonDoc later;
    later.doc("user_id", bson_strings("$in", users)).str("chat_id", chat_id).doc("due_ms", bson_i64("$gt", due_ms));
    if (auto r = db_.update_many(kChecks, later, bson_sub("$set", bson_i64("due_ms", due_ms))); !r)
      return fail(r.error());
  }
  return {};
}

Result<std::vector<MessageCheck>> MongoNotificationStore::due(std::int64_t now_ms, int limit) {
  std::vector<MessageCheck> out;
  if (limit <= 0) return out;
  auto docs = db_.find(kChecks, bson_sub("due_ms", bson_i64("$lte", now_ms)),
                       MongoFind{{{"due_ms", 1}, {"chat_id", 1}, {"user_id", 1}}, limit, {}});
  if (!docs) return fail(docs.error());
  for (const auto& d : *docs) out.push_back({d.get_str("user_id"), d.get_str("chat_id"), d.get_i64("due_ms")});
  return out;
}

Result<std::optional<Notification>> MongoNotificationStore::count(const MessageCheck& c, const LatestMessage& latest,
                                                                  std::int64_t read_seq, std::string_view new_id,
                                                                  std::int64_t now_ms) {
  const std::optional<Notification> nothing;
  if (auto r = db_.delete_one(kChecks, user_chat(c.user_id, c.chat_id)); !r) return fail(r.error());

  // Move the user's counted cursor of the chat to latest.seq; the messages it passes are ours.
  const std::string cursor = open_key(c.user_id, c.chat_id);
  std::optional<std::int64_t> passed_from;
  for (int attempt = 0; attempt < kMaxAttempts && !passed_from; ++attempt) {
    auto found = db_.find_one(kCountedTo, bson_str("_id", cursor));
    if (!found) return fail(found.error());
    const auto last = *found ? (*found)->get_i64("last_seq") : 0;
    if (last >= latest.seq) return nothing;
    BsonDoc moved;
    moved.str("_id", cursor).i64("last_seq", latest.seq);
    if (*found) {
      BsonDoc unchanged;
      unchanged.str("_id", cursor).i64("last_seq", last);
      auto r = db_.update_one(kCountedTo, unchanged, bson_sub("$set", bson_i64("last_seq", latest.seq)));
      if (!r) return fail(r.error());
      if (r->matched == 0) continue; // moved meanwhile
    } else if (auto r = db_.insert_one(kCountedTo, moved); !r) {
      if (is_duplicate_key(r.error())) continue; // created meanwhile
      return fail(r.error());
    }
    passed_from = last;
  }
  if (!passed_from) return fail(Error::unavailable("notification_contention", "could not count the messages; retry"));
  const auto messages = latest.seq - std::max(*passed_from, read_seq);
  if (messages <= 0) return nothing;

  const std::string key = open_key(c.user_id, c.chat_id);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto open = db_.find_one(kNotifications, bson_str("open_key", key));
    if (!open) return fail(open.error());
    std::string id;
    if (*open) {
      id = (*open)->get_str("_id");
      BsonDoc still_open;
      still_open.str("_id", id).str("open_key", key);
      BsonDoc set;
      set.str("actor_id", latest.actor_id)
          .str("message_id", latest.message_id)
          .i64("seq", latest.seq)
          .str("preview", latest.preview)
          .i64("updated_at_ms", now_ms);
      BsonDoc update;
      update.doc("$set", set).doc("$inc", bson_i64("count", messages));
      auto bumped = db_.update_one(kNotifications, still_open, update);
      if (!bumped) return fail(bumped.error());
      if (bumped->matched == 0) continue; // read meanwhile: open a new one
    } else {
      id = std::string(new_id);
      const Notification n{id,         c.user_id, "message",      c.chat_id, latest.actor_id, latest.message_id,
                           latest.seq, messages,  latest.preview, now_ms,    now_ms,          0};
      auto inserted = db_.insert_one(kNotifications, notification_doc(n, closed_key(id), key));
      if (!inserted) {
        if (is_duplicate_key(inserted.error())) continue; // opened meanwhile: bump that one
        return fail(inserted.error());
      }
    }
    auto stored = db_.find_one(kNotifications, bson_str("_id", id));
    if (!stored) return fail(stored.error());
    if (!*stored) return nothing;
    return std::optional<Notification>(read_notification(**stored));
  }
  return fail(Error::unavailable("notification_contention", "could not count the messages; retry"));
}

Result<std::vector<Notification>> MongoNotificationStore::list(std::string_view user_id,
                                                               const std::optional<NotificationCursor>& after,
                                                               int limit) {
  if (limit <= 0) return std::vector<Notification>{};
  BsonDoc filter = bson_str("user_id", user_id);
  if (after) {
    BsonDoc older = bson_sub("updated_at_ms", bson_i64("$lt", after->updated_at_ms));
    BsonDoc tie;
    tie.i64("updated_at_ms", after->updated_at_ms).doc("_id", bson_str("$lt", after->id));
    std::vector<BsonDoc> either;
    either.push_back(std::move(older));
    either.push_back(std::move(tie));
    filter.docs("$or", either);
  }
  return read_all(db_.find(kNotifications, filter, MongoFind{{{"updated_at_ms", -1}, {"_id", -1}}, limit, {}}));
}

Result<std::int64_t> MongoNotificationStore::unread_count(std::string_view user_id) {
  BsonDoc filter = bson_str("user_id", user_id);
  filter.i64("read_at_ms", 0);
  return db_.count(kNotifications, filter);
}

Result<bool> MongoNotificationStore::mark_read(std::string_view user_id, std::string_view id, std::int64_t now_ms) {
  BsonDoc mine;
  mine.str("_id", id).str("user_id", user_id);
  auto n = mark_each_read(mine, now_ms);
  if (!n) return fail(n.error());
  if (*n > 0) return true;
  auto exists = db_.count(kNotifications, mine); // read before: still found
  if (!exists) return fail(exists.error());
  return *exists > 0;
}

// Marks each unread notification matching `filter` read, one update per document (each
// also closes its open_key, a per-document value); returns how many changed.
Result<std::int64_t> MongoNotificationStore::mark_each_read(const BsonDoc& filter, std::int64_t now_ms) {
  auto unread = BsonDoc::copy_of(filter.get());
  unread.i64("read_at_ms", 0);
  auto docs = db_.find(kNotifications, unread, MongoFind{{}, 0, {"_id"}});
  if (!docs) return fail(docs.error());
  std::int64_t changed = 0;
  for (const auto& d : *docs) {
    const std::string id = d.get_str("_id");
    BsonDoc still_unread;
    still_unread.str("_id", id).i64("read_at_ms", 0);
    BsonDoc set;
    set.i64("read_at_ms", now_ms).str("open_key", closed_key(id));
    auto updated = db_.update_one(kNotifications, still_unread, bson_sub("$set", set));
    if (!updated) return fail(updated.error());
    changed += updated->matched;
  }
  return changed;
}

Result<std::int64_t> MongoNotificationStore::mark_all_read(std::string_view user_id, std::int64_t now_ms) {
  return mark_each_read(bson_str("user_id", user_id), now_ms);
}

Result<std::int64_t> MongoNotificationStore::mark_chats_read(const std::vector<ChatRead>& reads, std::int64_t now_ms) {
  std::int64_t marked = 0;
  for (const auto& read : reads) {
    BsonDoc filter = user_chat(read.user_id, read.chat_id);
    BsonDoc range;
    range.i64("$gt", 0).i64("$lte", read.up_to_seq);
    filter.doc("seq", range);
    auto n = mark_each_read(filter, now_ms);
    if (!n) return n;
    marked += *n;
  }
  return marked;
}

Result<std::vector<Notification>> MongoNotificationStore::take_unmailed(std::int64_t before_ms, int limit) {
  std::vector<Notification> taken;
  if (limit <= 0) return taken;
  BsonDoc filter;
  filter.boolean("mailed", false).i64("read_at_ms", 0).doc("created_at_ms", bson_i64("$lt", before_ms));
  auto docs = db_.find(kNotifications, filter, MongoFind{{{"created_at_ms", 1}, {"_id", 1}}, limit, {}});
  if (!docs) return fail(docs.error());
  for (const auto& d : *docs) {
    const std::string id = d.get_str("_id");
    auto claimed = db_.insert_one(kMailings, bson_str("notification_id", id));
    if (!claimed && !is_duplicate_key(claimed.error())) return fail(claimed.error());
    // Taken by us, or by another caller that may have died before marking it: mark it
    // either way so it stops coming back.
    if (auto r =
            db_.update_one(kNotifications, bson_str("_id", id), bson_sub("$set", BsonDoc().boolean("mailed", true)));
        !r) {
      return fail(r.error());
    }
    if (claimed) taken.push_back(read_notification(d));
  }
  return taken;
}

} // namespace parley
