#pragma once
// An owned BSON document (RAII over bson_t) with the few builders and readers the Mongo
// stores need. Values are always appended as typed values (bson_append_utf8, _int64,
// ...), never parsed from text: a client string such as {"$gt": ""} stays a string and
// can never become a query operator. Keys are the stores' own literals.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct _bson_t bson_t;

namespace parley {

class BsonDoc {
 public:
  BsonDoc();
  // Adopts a heap document from bson_new()/bson_copy(); nullptr makes an empty one.
  explicit BsonDoc(bson_t* adopt);
  // Copies a document the caller keeps (e.g. one a cursor returned).
  static BsonDoc copy_of(const bson_t* doc);
  ~BsonDoc();
  BsonDoc(BsonDoc&& other) noexcept;
  BsonDoc& operator=(BsonDoc&& other) noexcept;
  BsonDoc(const BsonDoc&) = delete;
  BsonDoc& operator=(const BsonDoc&) = delete;

  const bson_t* get() const { return doc_; }
  bson_t* get() { return doc_; }
  bool empty() const;

  // Builders: append one field and return *this.
  BsonDoc& str(const char* key, std::string_view value);
  BsonDoc& i64(const char* key, std::int64_t value);
  BsonDoc& i32(const char* key, std::int32_t value);
  BsonDoc& boolean(const char* key, bool value);
  BsonDoc& doc(const char* key, const BsonDoc& value);
  BsonDoc& strings(const char* key, const std::vector<std::string>& values);
  BsonDoc& docs(const char* key, const std::vector<BsonDoc>& values);

  // Readers of top-level fields. A missing field, or one of another type, reads as the
  // empty value; integers accept int32, int64 and whole doubles.
  std::string get_str(const char* key) const;
  std::int64_t get_i64(const char* key) const;
  bool get_bool(const char* key) const;
  std::vector<std::string> get_strings(const char* key) const;
  std::optional<BsonDoc> get_doc(const char* key) const;
  std::vector<BsonDoc> get_docs(const char* key) const;
  bool has(const char* key) const;

  // Parses a JSON object written by Parley itself (never a client's text as a query);
  // nullopt when it is not valid JSON.
  static std::optional<BsonDoc> from_json(std::string_view json);

  // Relaxed extended JSON, for error messages and tests only.
  std::string json() const;

 private:
  bson_t* doc_;
};

// One-field documents: {key: value}.
inline BsonDoc bson_str(const char* key, std::string_view value) { return std::move(BsonDoc().str(key, value)); }
inline BsonDoc bson_i64(const char* key, std::int64_t value) { return std::move(BsonDoc().i64(key, value)); }
inline BsonDoc bson_sub(const char* key, const BsonDoc& value) { return std::move(BsonDoc().doc(key, value)); }
inline BsonDoc bson_strings(const char* key, const std::vector<std::string>& values) {
  return std::move(BsonDoc().strings(key, values));
}

} // namespace parley
