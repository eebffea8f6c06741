#include "adapters/mongo/mongo_client.hpp"

#include <mongoc/mongoc.h>

#include <memory>
#include <stdexcept>

#include "core/log.hpp"

namespace parley {

namespace {

const Logger log{"mongo"};

// libmongoc's warnings and errors go to our log; its debug chatter is dropped.
// FerretDB v1 has no endSessions, which the driver sends when a pool closes: that
// warning says nothing useful.
void log_handler(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (level > MONGOC_LOG_LEVEL_WARNING) return;
  if (message && std::string_view(message).find("endSessions") != std::string_view::npos) return;
  const LogFields fields{{"domain", domain ? domain : ""}, {"detail", message ? message : ""}};
  if (level == MONGOC_LOG_LEVEL_WARNING)
    log.warn("driver", fields);
  else
    log.error("driver", fields);
}

// mongoc_init/mongoc_cleanup exactly once per process. The guard is completed before the
// first pool is, so (as a function-local static) it is destroyed after every pool.
void ensure_runtime() {
  struct Runtime {
    Runtime() {
      mongoc_init();
      mongoc_log_set_handler(log_handler, nullptr);
    }
    ~Runtime() { mongoc_cleanup(); }
  };
  static Runtime runtime;
}

// Server error codes after which a retry may succeed: the server is shutting down,
// stepping down, unreachable, timed out or hit a write conflict.
bool transient_server_code(std::uint32_t code) {
  switch (code) {
    case 6:     // HostUnreachable
    case 7:     // HostNotFound
    case 50:    // MaxTimeMSExpired
    case 64:    // WriteConcernFailed (wtimeout)
    case 89:    // NetworkTimeout
    case 91:    // ShutdownInProgress
    case 112:   // WriteConflict
    case 189:   // PrimarySteppedDown
    case 262:   // ExceededTimeLimit
    case 9001:  // SocketException
    case 10107: // NotWritablePrimary
    case 11600: // InterruptedAtShutdown
    case 11602: // InterruptedDueToReplStateChange
    case 13435: // NotPrimaryNoSecondaryOk
    case 13436: // NotPrimaryOrSecondary
      return true;
    default:
      return false;
  }
}

Error mongo_error(const bson_error_t& e, std::string_view context, std::string_view db) {
  std::string message = "mongo " + std::string(db) + ": " + std::string(context) + ": " + e.message;
  switch (e.domain) {
    case MONGOC_ERROR_STREAM:
    case MONGOC_ERROR_SERVER_SELECTION:
      return Error::unavailable("storage_unavailable", std::move(message));
    case MONGOC_ERROR_CLIENT:
      if (e.code == MONGOC_ERROR_CLIENT_AUTHENTICATE) return Error::internal(std::move(message));
      return Error::unavailable("storage_unavailable", std::move(message));
    default:
      break;
  }
  if (e.code == 11000 || e.code == 11001 || e.code == 12582) {
    return Error::conflict("duplicate_key", std::move(message));
  }
  if (transient_server_code(e.code)) return Error::unavailable("storage_unavailable", std::move(message));
  return Error::internal(std::move(message));
}

// A client popped from the pool for one operation, pushed back on destruction.
class Lease {
 public:
  explicit Lease(mongoc_client_pool_t* pool) : pool_(pool), client_(mongoc_client_pool_pop(pool)) {}
  ~Lease() { mongoc_client_pool_push(pool_, client_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  mongoc_client_t* client() const { return client_; }

 private:
  mongoc_client_pool_t* pool_;
  mongoc_client_t* client_;
};

struct CollectionDeleter {
  void operator()(mongoc_collection_t* c) const { mongoc_collection_destroy(c); }
};
struct DatabaseDeleter {
  void operator()(mongoc_database_t* d) const { mongoc_database_destroy(d); }
};
struct CursorDeleter {
  void operator()(mongoc_cursor_t* c) const { mongoc_cursor_destroy(c); }
};
using CollectionPtr = std::unique_ptr<mongoc_collection_t, CollectionDeleter>;
using DatabasePtr = std::unique_ptr<mongoc_database_t, DatabaseDeleter>;
using CursorPtr = std::unique_ptr<mongoc_cursor_t, CursorDeleter>;

CollectionPtr collection_of(const Lease& lease, const std::string& db, std::string_view name) {
  const std::string coll(name);
  return CollectionPtr(mongoc_client_get_collection(lease.client(), db.c_str(), coll.c_str()));
}

// A reply document that the driver always initialises, destroyed with the scope.
class Reply {
 public:
  Reply() = default;
  ~Reply() { bson_destroy(&reply_); }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  bson_t* get() { return &reply_; }
  std::int64_t integer(const char* key) const {
    bson_iter_t it;
    return bson_iter_init_find(&it, &reply_, key) ? bson_iter_as_int64(&it) : 0;
  }

 private:
  bson_t reply_ = BSON_INITIALIZER;
};

BsonDoc keys_doc(const std::vector<std::pair<std::string, int>>& keys) {
  BsonDoc doc;
  for (const auto& [field, order] : keys) doc.i32(field.c_str(), order);
  return doc;
}

BsonDoc find_options(const MongoFind& options) {
  BsonDoc opts;
  if (!options.sort.empty()) opts.doc("sort", keys_doc(options.sort));
  if (options.limit > 0) opts.i64("limit", options.limit);
  if (!options.fields.empty()) {
    BsonDoc projection;
    for (const auto& f : options.fields) projection.boolean(f.c_str(), true);
    opts.doc("projection", projection);
  }
  return opts;
}

MongoUpdated read_updated(const Reply& reply) {
  return MongoUpdated{reply.integer("matchedCount"), reply.integer("modifiedCount"),
                      reply.integer("upsertedCount") > 0};
}

} // namespace

MongoPool::MongoPool(const MongoConfig& config) : config_(config) {
  ensure_runtime();
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(config_.url.c_str(), &error);
  if (!uri) throw std::invalid_argument(std::string("mongo: bad url: ") + error.message);
  const auto ms = static_cast<std::int32_t>(config_.timeout.count());
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, ms);
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, ms);
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, ms);
  if (!config_.app_name.empty()) mongoc_uri_set_appname(uri, config_.app_name.c_str());
  mongoc_write_concern_t* wc = mongoc_write_concern_new();
  if (config_.majority) {
    mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_MAJORITY);
    mongoc_write_concern_set_wtimeout_int64(wc, config_.timeout.count());
  } else {
    mongoc_write_concern_set_w(wc, 1);
  }
  mongoc_uri_set_write_concern(uri, wc);
  mongoc_write_concern_destroy(wc);
  pool_ = mongoc_client_pool_new_with_error(uri, &error);
  mongoc_uri_destroy(uri);
  if (!pool_) throw std::invalid_argument(std::string("mongo: cannot create client pool: ") + error.message);
  mongoc_client_pool_set_error_api(pool_, MONGOC_ERROR_API_VERSION_2);
}

MongoPool::~MongoPool() {
  if (pool_) mongoc_client_pool_destroy(pool_);
}

bool is_duplicate_key(const Error& error) { return error.kind == ErrorKind::conflict && error.code == "duplicate_key"; }

Result<void> MongoDatabase::create_indexes(std::string_view collection, const std::vector<MongoIndex>& indexes) {
  // One command per index: FerretDB v1.24 drops the connection when one createIndexes
  // names two or more indexes that all exist already (every start after the first).
  for (const auto& index : indexes) {
    BsonDoc spec;
    spec.doc("key", keys_doc(index.keys)).str("name", index.name);
    if (index.unique) spec.boolean("unique", true);
    std::vector<BsonDoc> specs;
    specs.push_back(std::move(spec));
    BsonDoc command;
    command.str("createIndexes", collection).docs("indexes", specs);
    Lease lease(pool_.handle());
    DatabasePtr db(mongoc_client_get_database(lease.client(), name_.c_str()));
    Reply reply;
    bson_error_t error;
    if (!mongoc_database_write_command_with_opts(db.get(), command.get(), nullptr, reply.get(), &error)) {
      return fail(mongo_error(error, "createIndexes " + std::string(collection) + " " + index.name, name_));
    }
  }
  return {};
}

Result<void> MongoDatabase::drop() {
  Lease lease(pool_.handle());
  DatabasePtr db(mongoc_client_get_database(lease.client(), name_.c_str()));
  bson_error_t error;
  if (!mongoc_database_drop_with_opts(db.get(), nullptr, &error)) return fail(mongo_error(error, "drop", name_));
  return {};
}

Result<void> MongoDatabase::insert_one(std::string_view collection, const BsonDoc& doc) {
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, reply.get(), &error)) {
    return fail(mongo_error(error, "insert into " + std::string(collection), name_));
  }
  return {};
}

Result<std::int64_t> MongoDatabase::insert_many_skipping_duplicates(std::string_view collection,
                                                                    const std::vector<BsonDoc>& docs) {
  if (docs.empty()) return 0;
  // A plain array (std::vector<const bson_t*> would drop bson_t's alignment attribute).
  struct Array {
    explicit Array(std::size_t n) : p(static_cast<const bson_t**>(bson_malloc(sizeof(bson_t*) * n))) {}
    ~Array() { bson_free(static_cast<void*>(p)); }
    Array(const Array&) = delete;
    Array& operator=(const Array&) = delete;
    const bson_t** p;
  } pointers(docs.size());
  for (std::size_t i = 0; i < docs.size(); ++i) pointers.p[i] = docs[i].get();
  BsonDoc opts;
  opts.boolean("ordered", false);
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  bson_error_t error;
  Reply reply;
  if (mongoc_collection_insert_many(coll.get(), pointers.p, docs.size(), opts.get(), reply.get(), &error)) {
    return 0;
  }
  // Only write errors that are all duplicate keys are a success.
  BsonDoc copy = BsonDoc::copy_of(reply.get());
  const auto write_errors = copy.get_docs("writeErrors");
  if (write_errors.empty() || copy.has("writeConcernErrors")) {
    return fail(mongo_error(error, "insert into " + std::string(collection), name_));
  }
  for (const auto& e : write_errors) {
    if (e.get_i64("code") != 11000) {
      return fail(
          Error::internal("mongo " + name_ + ": insert into " + std::string(collection) + ": " + e.get_str("errmsg")));
    }
  }
  return static_cast<std::int64_t>(write_errors.size());
}

Result<std::vector<BsonDoc>> MongoDatabase::find(std::string_view collection, const BsonDoc& filter,
                                                 const MongoFind& options) {
  const BsonDoc opts = find_options(options);
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  std::vector<BsonDoc> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) out.push_back(BsonDoc::copy_of(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return fail(mongo_error(error, "find in " + std::string(collection), name_));
  }
  return out;
}

Result<std::optional<BsonDoc>> MongoDatabase::find_one(std::string_view collection, const BsonDoc& filter,
                                                       const MongoFind& options) {
  MongoFind one = options;
  one.limit = 1;
  auto found = find(collection, filter, one);
  if (!found) return fail(found.error());
  if (found->empty()) return std::optional<BsonDoc>();
  return std::optional<BsonDoc>(std::move(found->front()));
}

Result<std::int64_t> MongoDatabase::count(std::string_view collection, const BsonDoc& filter) {
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  bson_error_t error;
  Reply reply;
  const std::int64_t n =
      mongoc_collection_count_documents(coll.get(), filter.get(), nullptr, nullptr, reply.get(), &error);
  if (n < 0) return fail(mongo_error(error, "count in " + std::string(collection), name_));
  return n;
}

Result<MongoUpdated> MongoDatabase::update_one(std::string_view collection, const BsonDoc& filter,
                                               const BsonDoc& update, bool upsert) {
  BsonDoc opts;
  if (upsert) opts.boolean("upsert", true);
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_update_one(coll.get(), filter.get(), update.get(), opts.get(), reply.get(), &error)) {
    return fail(mongo_error(error, "update in " + std::string(collection), name_));
  }
  return read_updated(reply);
}

Result<MongoUpdated> MongoDatabase::update_many(std::string_view collection, const BsonDoc& filter,
                                                const BsonDoc& update) {
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_update_many(coll.get(), filter.get(), update.get(), nullptr, reply.get(), &error)) {
    return fail(mongo_error(error, "update in " + std::string(collection), name_));
  }
  return read_updated(reply);
}

Result<std::int64_t> MongoDatabase::delete_one(std::string_view collection, const BsonDoc& filter) {
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_delete_one(coll.get(), filter.get(), nullptr, reply.get(), &error)) {
    return fail(mongo_error(error, "delete in " + std::string(collection), name_));
  }
  return reply.integer("deletedCount");
}

Result<std::int64_t> MongoDatabase::delete_many(std::string_view collection, const BsonDoc& filter) {
  Lease lease(pool_.handle());
  auto coll = collection_of(lease, name_, collection);
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_delete_many(coll.get(), filter.get(), nullptr, reply.get(), &error)) {
    return fail(mongo_error(error, "delete in " + std::string(collection), name_));
  }
  return reply.integer("deletedCount");
}

} // namespace parley
