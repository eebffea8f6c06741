#include "adapters/mongo/mongo_account_store.hpp"

namespace parley {

namespace {

constexpr const char* kAccounts = "accounts";
constexpr const char* kVerifications = "verifications";

Error account_not_found() { return Error::not_found("account_not_found", "no such account"); }

} // namespace

Result<void> MongoAccountStore::create_indexes() {
  return db_.create_indexes(kAccounts, {{"email", {{"email", 1}}, true}});
}

Result<void> MongoAccountStore::insert(const Account& account) {
  BsonDoc doc;
  doc.str("_id", account.id)
      .str("email", account.email)
      .str("password_hash", account.password_hash)
      .i64("created_at_ms", account.created_at_ms);
  if (auto r = db_.insert_one(kAccounts, doc); !r) {
    if (!is_duplicate_key(r.error())) return fail(r.error());
    auto taken = db_.count(kAccounts, bson_str("email", account.email));
    if (!taken) return fail(taken.error());
    if (*taken > 0) return fail(Error::conflict("email_taken", "this e-mail address is already registered"));
    return fail(Error::conflict("account_exists", "an account with this id already exists"));
  }
  if (account.verified) return set_verified(account.id);
  // A verification left by an earlier account with this id does not carry over.
  if (auto r = db_.delete_one(kVerifications, bson_str("_id", account.id)); !r) return fail(r.error());
  return {};
}

Result<std::optional<Account>> MongoAccountStore::find_where(const BsonDoc& filter) {
  auto found = db_.find_one(kAccounts, filter);
  if (!found) return fail(found.error());
  if (!*found) return std::optional<Account>();
  Account a;
  a.id = (*found)->get_str("_id");
  a.email = (*found)->get_str("email");
  a.password_hash = (*found)->get_str("password_hash");
  a.created_at_ms = (*found)->get_i64("created_at_ms");
  auto verified = db_.count(kVerifications, bson_str("_id", a.id));
  if (!verified) return fail(verified.error());
  a.verified = *verified > 0;
  return std::optional<Account>(std::move(a));
}

Result<std::optional<Account>> MongoAccountStore::find_by_email(std::string_view email) {
  return find_where(bson_str("email", email));
}

Result<std::optional<Account>> MongoAccountStore::find_by_id(std::string_view id) {
  return find_where(bson_str("_id", id));
}

Result<void> MongoAccountStore::set_verified(std::string_view id) {
  auto exists = db_.count(kAccounts, bson_str("_id", id));
  if (!exists) return fail(exists.error());
  if (*exists == 0) return fail(account_not_found());
  auto r = db_.insert_one(kVerifications, bson_str("_id", id));
  if (!r && !is_duplicate_key(r.error())) return fail(r.error()); // verified before: fine
  return {};
}

Result<void> MongoAccountStore::set_password_hash(std::string_view id, std::string_view hash) {
  auto updated = db_.update_one(kAccounts, bson_str("_id", id), bson_sub("$set", bson_str("password_hash", hash)));
  if (!updated) return fail(updated.error());
  if (updated->matched == 0) return fail(account_not_found());
  return {};
}

Result<void> MongoAccountStore::remove(std::string_view id) {
  if (auto r = db_.delete_one(kAccounts, bson_str("_id", id)); !r) return fail(r.error());
  if (auto r = db_.delete_one(kVerifications, bson_str("_id", id)); !r) return fail(r.error());
  return {};
}

} // namespace parley
