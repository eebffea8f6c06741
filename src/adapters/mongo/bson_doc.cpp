#include "adapters/mongo/bson_doc.hpp"

#include <bson/bson.h>

#include <cmath>
#include <limits>
#include <utility>

namespace parley {

namespace {

// A default-constructed string_view has a null data(), which libbson would append as
// BSON null; an empty string must stay an empty string.
const char* data_of(std::string_view s) { return s.data() ? s.data() : ""; }

int length_of(std::string_view s) { return static_cast<int>(s.size()); }

bool find(const bson_t* doc, const char* key, bson_iter_t& it) { return bson_iter_init_find(&it, doc, key); }

std::int64_t as_int64(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      return bson_iter_int32(&it);
    case BSON_TYPE_INT64:
      return bson_iter_int64(&it);
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(&it);
      if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return 0;
      return static_cast<std::int64_t>(d);
    }
    default:
      return 0;
  }
}

} // namespace

BsonDoc::BsonDoc() : doc_(bson_new()) {}

BsonDoc::BsonDoc(bson_t* adopt) : doc_(adopt ? adopt : bson_new()) {}

BsonDoc BsonDoc::copy_of(const bson_t* doc) { return BsonDoc(doc ? bson_copy(doc) : nullptr); }

BsonDoc::~BsonDoc() {
  if (doc_) bson_destroy(doc_);
}

BsonDoc::BsonDoc(BsonDoc&& other) noexcept : doc_(std::exchange(other.doc_, nullptr)) {}

BsonDoc& BsonDoc::operator=(BsonDoc&& other) noexcept {
  if (this != &other) {
    if (doc_) bson_destroy(doc_);
    doc_ = std::exchange(other.doc_, nullptr);
  }
  return *this;
}

bool BsonDoc::empty() const { return bson_empty(doc_); }

BsonDoc& BsonDoc::str(const char* key, std::string_view value) {
  bson_append_utf8(doc_, key, -1, data_of(value), length_of(value));
  return *this;
}

BsonDoc& BsonDoc::i64(const char* key, std::int64_t value) {
  bson_append_int64(doc_, key, -1, value);
  return *this;
}

BsonDoc& BsonDoc::i32(const char* key, std::int32_t value) {
  bson_append_int32(doc_, key, -1, value);
  return *this;
}

BsonDoc& BsonDoc::boolean(const char* key, bool value) {
  bson_append_bool(doc_, key, -1, value);
  return *this;
}

BsonDoc& BsonDoc::doc(const char* key, const BsonDoc& value) {
  bson_append_document(doc_, key, -1, value.get());
  return *this;
}

BsonDoc& BsonDoc::strings(const char* key, const std::vector<std::string>& values) {
  bson_t array;
  bson_append_array_begin(doc_, key, -1, &array);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string index = std::to_string(i);
    bson_append_utf8(&array, index.c_str(), -1, values[i].data(), length_of(values[i]));
  }
  bson_append_array_end(doc_, &array);
  return *this;
}

BsonDoc& BsonDoc::docs(const char* key, const std::vector<BsonDoc>& values) {
  bson_t array;
  bson_append_array_begin(doc_, key, -1, &array);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string index = std::to_string(i);
    bson_append_document(&array, index.c_str(), -1, values[i].get());
  }
  bson_append_array_end(doc_, &array);
  return *this;
}

std::string BsonDoc::get_str(const char* key) const {
  bson_iter_t it;
  if (!find(doc_, key, it) || !BSON_ITER_HOLDS_UTF8(&it)) return {};
  std::uint32_t length = 0;
  const char* value = bson_iter_utf8(&it, &length);
  return std::string(value, length);
}

std::int64_t BsonDoc::get_i64(const char* key) const {
  bson_iter_t it;
  return find(doc_, key, it) ? as_int64(it) : 0;
}

bool BsonDoc::get_bool(const char* key) const {
  bson_iter_t it;
  return find(doc_, key, it) && bson_iter_as_bool(&it);
}

std::vector<std::string> BsonDoc::get_strings(const char* key) const {
  std::vector<std::string> out;
  bson_iter_t it;
  bson_iter_t child;
  if (!find(doc_, key, it) || !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &child)) return out;
  while (bson_iter_next(&child)) {
    if (!BSON_ITER_HOLDS_UTF8(&child)) continue;
    std::uint32_t length = 0;
    const char* value = bson_iter_utf8(&child, &length);
    out.emplace_back(value, length);
  }
  return out;
}

std::optional<BsonDoc> BsonDoc::get_doc(const char* key) const {
  bson_iter_t it;
  if (!find(doc_, key, it) || !BSON_ITER_HOLDS_DOCUMENT(&it)) return std::nullopt;
  std::uint32_t length = 0;
  const std::uint8_t* data = nullptr;
  bson_iter_document(&it, &length, &data);
  bson_t* copy = bson_new_from_data(data, length);
  if (!copy) return std::nullopt;
  return BsonDoc(copy);
}

std::vector<BsonDoc> BsonDoc::get_docs(const char* key) const {
  std::vector<BsonDoc> out;
  bson_iter_t it;
  bson_iter_t child;
  if (!find(doc_, key, it) || !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &child)) return out;
  while (bson_iter_next(&child)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&child)) continue;
    std::uint32_t length = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_document(&child, &length, &data);
    if (bson_t* copy = bson_new_from_data(data, length)) out.emplace_back(copy);
  }
  return out;
}

bool BsonDoc::has(const char* key) const {
  bson_iter_t it;
  return find(doc_, key, it);
}

std::optional<BsonDoc> BsonDoc::from_json(std::string_view json) {
  bson_error_t error;
  bson_t* doc =
      bson_new_from_json(reinterpret_cast<const std::uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &error);
  if (!doc) return std::nullopt;
  return BsonDoc(doc);
}

std::string BsonDoc::json() const {
  std::size_t length = 0;
  char* text = bson_as_relaxed_extended_json(doc_, &length);
  if (!text) return "{}";
  std::string out(text, length);
  bson_free(text);
  return out;
}

} // namespace parley
