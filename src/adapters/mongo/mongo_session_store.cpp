#include "adapters/mongo/mongo_session_store.hpp"

namespace parley {

namespace {

constexpr const char* kSessions = "sessions";
constexpr const char* kTokens = "tokens";
constexpr const char* kRotations = "rotations";

BsonDoc token_doc(const RefreshToken& t) {
  BsonDoc d;
  d.str("_id", t.token_hash)
      .str("session_id", t.session_id)
      .str("user_id", t.user_id)
      .i64("issued_at_ms", t.issued_at_ms)
      .i64("expires_at_ms", t.expires_at_ms);
  return d;
}

} // namespace

Result<void> MongoSessionStore::create_indexes() {
  if (auto r = db_.create_indexes(kSessions, {{"user", {{"user_id", 1}}}}); !r) return r;
  return db_.create_indexes(kTokens, {{"session", {{"session_id", 1}}}});
}

Result<void> MongoSessionStore::create_session(const RefreshToken& first) {
  const Error exists = Error::conflict("session_exists", "session or refresh token already stored");
  if (auto r = db_.insert_one(kTokens, token_doc(first)); !r) {
    return fail(is_duplicate_key(r.error()) ? exists : r.error());
  }
  BsonDoc session;
  session.str("_id", first.session_id)
      .str("user_id", first.user_id)
      .boolean("revoked", false)
      .i64("created_at_ms", first.issued_at_ms);
  if (auto r = db_.insert_one(kSessions, session); !r) {
    (void)db_.delete_one(kTokens, bson_str("_id", first.token_hash)); // start nothing
    return fail(is_duplicate_key(r.error()) ? exists : r.error());
  }
  return {};
}

Result<std::optional<RefreshToken>> MongoSessionStore::find_token(std::string_view token_hash) {
  auto token = db_.find_one(kTokens, bson_str("_id", token_hash));
  if (!token) return fail(token.error());
  if (!*token) return std::optional<RefreshToken>();
  RefreshToken t;
  t.token_hash = (*token)->get_str("_id");
  t.session_id = (*token)->get_str("session_id");
  t.user_id = (*token)->get_str("user_id");
  t.issued_at_ms = (*token)->get_i64("issued_at_ms");
  t.expires_at_ms = (*token)->get_i64("expires_at_ms");
  auto session = db_.find_one(kSessions, bson_str("_id", t.session_id));
  if (!session) return fail(session.error());
  if (!*session) return std::optional<RefreshToken>();
  t.session_revoked = (*session)->get_bool("revoked");
  auto rotated = db_.count(kRotations, bson_str("_id", token_hash));
  if (!rotated) return fail(rotated.error());
  t.rotated = *rotated > 0;
  return std::optional<RefreshToken>(std::move(t));
}

Result<bool> MongoSessionStore::rotate(std::string_view old_hash, const RefreshToken& next) {
  auto old_token = db_.count(kTokens, bson_str("_id", old_hash));
  if (!old_token) return fail(old_token.error());
  if (*old_token == 0) return false; // unknown
  auto rotated = db_.count(kRotations, bson_str("_id", old_hash));
  if (!rotated) return fail(rotated.error());
  if (*rotated > 0) return false;

  if (auto r = db_.insert_one(kTokens, token_doc(next)); !r) {
    if (is_duplicate_key(r.error())) return fail(Error::conflict("token_exists", "refresh token already stored"));
    return fail(r.error());
  }
  BsonDoc rotation;
  rotation.str("_id", old_hash).str("next", next.token_hash).i64("at_ms", next.issued_at_ms);
  if (auto r = db_.insert_one(kRotations, rotation); !r) {
    // Lost to a concurrent rotation (or failed): take back the token nobody will get.
    if (auto d = db_.delete_one(kTokens, bson_str("_id", next.token_hash)); !d) return fail(d.error());
    if (is_duplicate_key(r.error())) return false;
    return fail(r.error());
  }
  return true;
}

Result<void> MongoSessionStore::revoke_session(std::string_view session_id) {
  auto r = db_.update_one(kSessions, bson_str("_id", session_id), bson_sub("$set", BsonDoc().boolean("revoked", true)));
  if (!r) return fail(r.error());
  return {};
}

Result<void> MongoSessionStore::revoke_all(std::string_view user_id, std::string_view keep_session_id) {
  // Session ids are never empty, so an empty `keep` excludes nothing.
  BsonDoc filter = bson_str("user_id", user_id);
  filter.doc("_id", bson_str("$ne", keep_session_id)).boolean("revoked", false);
  auto r = db_.update_many(kSessions, filter, bson_sub("$set", BsonDoc().boolean("revoked", true)));
  if (!r) return fail(r.error());
  return {};
}

Result<bool> MongoSessionStore::session_active(std::string_view session_id) {
  auto session = db_.find_one(kSessions, bson_str("_id", session_id));
  if (!session) return fail(session.error());
  return *session && !(*session)->get_bool("revoked");
}

} // namespace parley
