#include "adapters/mongo/mongo_otp_store.hpp"

#include <bson/bson.h>

#include <algorithm>

namespace parley {

namespace {

constexpr const char* kOtps = "otps";
constexpr const char* kAttempts = "otp_attempts";

// Guesses racing each other for the next count before add_attempt gives up.
constexpr int kMaxAttempts = 20;

std::string_view purpose_name(OtpPurpose purpose) {
  return purpose == OtpPurpose::reset_password ? "reset_password" : "verify_email";
}

BsonDoc code_key(std::string_view user_id, OtpPurpose purpose) {
  BsonDoc f;
  f.str("user_id", user_id).str("purpose", purpose_name(purpose));
  return f;
}

// A value no other put() uses: an ObjectId (time, random, counter) as hex.
std::string fresh_gen() {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  char hex[25];
  bson_oid_to_string(&oid, hex);
  return hex;
}

} // namespace

Result<void> MongoOtpStore::create_indexes() {
  if (auto r = db_.create_indexes(kOtps, {{"user_purpose", {{"user_id", 1}, {"purpose", 1}}, true}}); !r) return r;
  return db_.create_indexes(kAttempts, {{"gen_n", {{"gen", 1}, {"n", 1}}, true}});
}

Result<std::optional<std::pair<BsonDoc, std::int64_t>>> MongoOtpStore::load(std::string_view user_id,
                                                                            OtpPurpose purpose) {
  using Loaded = std::optional<std::pair<BsonDoc, std::int64_t>>;
  auto doc = db_.find_one(kOtps, code_key(user_id, purpose));
  if (!doc) return fail(doc.error());
  if (!*doc) return Loaded();
  auto newest = db_.find_one(kAttempts, bson_str("gen", (*doc)->get_str("gen")), MongoFind{{{"n", -1}}, 1, {"n"}});
  if (!newest) return fail(newest.error());
  const std::int64_t count = std::max((*doc)->get_i64("attempts"), *newest ? (*newest)->get_i64("n") : 0);
  return Loaded(std::pair<BsonDoc, std::int64_t>(std::move(**doc), count));
}

Result<void> MongoOtpStore::put(const Otp& otp) {
  auto old = db_.find_one(kOtps, code_key(otp.user_id, otp.purpose), MongoFind{{}, 1, {"gen"}});
  if (!old) return fail(old.error());
  BsonDoc set;
  set.str("code_hash", otp.code_hash)
      .i64("expires_at_ms", otp.expires_at_ms)
      .i64("sent_at_ms", otp.sent_at_ms)
      .i64("attempts", otp.attempts)
      .str("gen", fresh_gen());
  const BsonDoc update = bson_sub("$set", set);
  auto r = db_.update_one(kOtps, code_key(otp.user_id, otp.purpose), update, true);
  // Two first puts may both try to insert; the loser replaces the winner's code.
  if (!r && is_duplicate_key(r.error())) r = db_.update_one(kOtps, code_key(otp.user_id, otp.purpose), update, true);
  if (!r) return fail(r.error());
  if (*old) { // the replaced code's guesses
    if (auto d = db_.delete_many(kAttempts, bson_str("gen", (*old)->get_str("gen"))); !d) return fail(d.error());
  }
  return {};
}

Result<std::optional<Otp>> MongoOtpStore::get(std::string_view user_id, OtpPurpose purpose) {
  auto loaded = load(user_id, purpose);
  if (!loaded) return fail(loaded.error());
  if (!*loaded) return std::optional<Otp>();
  const BsonDoc& d = (*loaded)->first;
  Otp otp;
  otp.user_id = std::string(user_id);
  otp.purpose = purpose;
  otp.code_hash = d.get_str("code_hash");
  otp.expires_at_ms = d.get_i64("expires_at_ms");
  otp.sent_at_ms = d.get_i64("sent_at_ms");
  otp.attempts = static_cast<int>((*loaded)->second);
  return std::optional<Otp>(std::move(otp));
}

Result<int> MongoOtpStore::add_attempt(std::string_view user_id, OtpPurpose purpose) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto loaded = load(user_id, purpose);
    if (!loaded) return fail(loaded.error());
    if (!*loaded) return fail(Error::not_found("otp_not_found", "no code was sent"));
    const std::int64_t next = (*loaded)->second + 1;
    BsonDoc guess;
    guess.str("gen", (*loaded)->first.get_str("gen")).i64("n", next);
    auto r = db_.insert_one(kAttempts, guess);
    if (r) return static_cast<int>(next);
    if (!is_duplicate_key(r.error())) return fail(r.error());
  }
  return fail(Error::unavailable("otp_contention", "too many concurrent attempts; retry"));
}

Result<void> MongoOtpStore::remove(std::string_view user_id, OtpPurpose purpose) {
  auto old = db_.find_one(kOtps, code_key(user_id, purpose), MongoFind{{}, 1, {"gen"}});
  if (!old) return fail(old.error());
  if (!*old) return {};
  if (auto r = db_.delete_one(kOtps, code_key(user_id, purpose)); !r) return fail(r.error());
  if (auto r = db_.delete_many(kAttempts, bson_str("gen", (*old)->get_str("gen"))); !r) return fail(r.error());
  return {};
}

} // namespace parley
