#pragma once
// Reads a JSON request body: a bounded-depth object with a known set of fields.
//   auto body = BodyReader::parse(req.body(), {"email", "password"});
//   if (!body) return error_response(body.error());
//   auto email = body->required("email");
//   auto name = body->optional("display_name");
//   if (auto ok = body->finish(); !ok) return error_response(ok.error());
// The first problem wins: invalid_json, unknown_field or invalid_field (400).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/error.hpp"

namespace parley::http {

class BodyReader {
 public:
  static constexpr std::size_t kMaxDepth = 16;

  static Result<BodyReader> parse(std::string_view body, std::initializer_list<std::string_view> allowed);

  // A required string field; records invalid_field when missing or not a string.
  std::string required(std::string_view name);
  // An optional string field: absent is nullopt; null or another type is invalid_field.
  std::optional<std::string> optional(std::string_view name);
  // An optional boolean field.
  std::optional<bool> optional_bool(std::string_view name);
  // An optional integer field within [min, max].
  std::optional<std::int64_t> optional_int(std::string_view name, std::int64_t min, std::int64_t max);
  // A required integer field within [min, max].
  std::int64_t required_int(std::string_view name, std::int64_t min, std::int64_t max);
  // An optional array of at most `max_items` strings.
  std::vector<std::string> string_array(std::string_view name, std::size_t max_items);
  // A field as it is (nullptr when absent), for shapes the readers above do not cover.
  const boost::json::value* raw(std::string_view name) const { return object_.if_contains(name); }
  // The first problem recorded by the field reads, if any.
  Result<void> finish() const;

 private:
  explicit BodyReader(boost::json::object obj) : object_(std::move(obj)) {}
  void record(std::string message);

  boost::json::object object_;
  std::optional<Error> error_;
};

} // namespace parley::http
