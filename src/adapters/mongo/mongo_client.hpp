#pragma once
// The MongoDB connection of a process (MongoPool: one mongoc_client_pool_t, thread-safe)
// and MongoDatabase, the handful of operations the stores run on one database.
//
// Threading: every operation pops a client from the pool for its duration and pushes it
// back (RAII), so any number of threads may share one MongoPool and its databases.
// A process keeps one MongoPool; tests open more to act as other processes.
// Errors: library and server failures become Result errors at this edge. A server that
// cannot be reached (no server selected, socket errors, a primary stepping down) is
// `unavailable` "storage_unavailable" (retryable); a unique-index violation is `conflict`
// "duplicate_key" (stores translate it: FerretDB does not say which index it was);
// anything else is `internal`.
// Write concern: w=majority by default (with a wtimeout of `timeout`), or w=1.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/mongo/bson_doc.hpp"
#include "core/error.hpp"

typedef struct _mongoc_client_pool_t mongoc_client_pool_t;

namespace parley {

// The write concern and timeouts set here replace any given in the URL.
struct MongoConfig {
  std::string url = "mongodb://127.0.0.1:27017"; // mongodb://host[:port][,host...]/?options
  bool majority = true;                          // write concern w=majority; false: w=1
  std::chrono::milliseconds timeout{5000};       // server selection, connect, socket, wtimeout
  std::string app_name = "parley";               // shown in the server's logs and currentOp
};

class MongoPool {
 public:
  // Parses the URL and creates the pool; does not connect yet (the first operation
  // does). Throws std::invalid_argument for a malformed URL: a start-up failure.
  explicit MongoPool(const MongoConfig& config);
  ~MongoPool();
  MongoPool(const MongoPool&) = delete;
  MongoPool& operator=(const MongoPool&) = delete;

  mongoc_client_pool_t* handle() const { return pool_; }
  const MongoConfig& config() const { return config_; }

 private:
  MongoConfig config_;
  mongoc_client_pool_t* pool_ = nullptr;
};

// One index of a collection: fields in order, each ascending (1) or descending (-1).
struct MongoIndex {
  std::string name;
  std::vector<std::pair<std::string, int>> keys;
  bool unique = false;
};

struct MongoUpdated {
  std::int64_t matched = 0;
  std::int64_t modified = 0;
  bool upserted = false;
};

// Options of a find: sort keys (1 / -1), limit (0: none) and projection.
struct MongoFind {
  std::vector<std::pair<std::string, int>> sort;
  std::int64_t limit = 0;
  std::vector<std::string> fields; // empty: whole documents
};

class MongoDatabase {
 public:
  MongoDatabase(MongoPool& pool, std::string name) : pool_(pool), name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  // createIndexes; idempotent for indexes that already exist with the same definition.
  Result<void> create_indexes(std::string_view collection, const std::vector<MongoIndex>& indexes);
  // Drops the whole database (tests).
  Result<void> drop();

  Result<void> insert_one(std::string_view collection, const BsonDoc& doc);
  // Unordered insert of every document; returns how many were skipped as duplicates
  // (any other write error fails the call).
  Result<std::int64_t> insert_many_skipping_duplicates(std::string_view collection, const std::vector<BsonDoc>& docs);
  Result<std::optional<BsonDoc>> find_one(std::string_view collection, const BsonDoc& filter,
                                          const MongoFind& options = {});
  Result<std::vector<BsonDoc>> find(std::string_view collection, const BsonDoc& filter, const MongoFind& options = {});
  Result<std::int64_t> count(std::string_view collection, const BsonDoc& filter);
  // `update` holds update operators ($set, $max, ...).
  Result<MongoUpdated> update_one(std::string_view collection, const BsonDoc& filter, const BsonDoc& update,
                                  bool upsert = false);
  Result<MongoUpdated> update_many(std::string_view collection, const BsonDoc& filter, const BsonDoc& update);
  // Returns how many documents were deleted.
  Result<std::int64_t> delete_one(std::string_view collection, const BsonDoc& filter);
  Result<std::int64_t> delete_many(std::string_view collection, const BsonDoc& filter);

 private:
  MongoPool& pool_;
  std::string name_;
};

// True for the conflict "duplicate_key" that a unique index produces.
bool is_duplicate_key(const Error& error);

} // namespace parley
