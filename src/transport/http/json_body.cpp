#include "transport/http/json_body.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>

namespace parley::http {

Result<BodyReader> BodyReader::parse(std::string_view body, std::initializer_list<std::string_view> allowed) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec, {}, options);
  if (ec) return fail(Error::invalid("invalid_json", "request body is not valid JSON: " + ec.message()));
  if (!value.is_object()) return fail(Error::invalid("invalid_json", "request body must be a JSON object"));
  for (const auto& field : value.as_object()) {
    if (std::find(allowed.begin(), allowed.end(), field.key()) == allowed.end())
      return fail(Error::invalid("unknown_field", "unknown field '" + std::string(field.key()) + "'"));
  }
  return BodyReader(std::move(value.as_object()));
}

std::string BodyReader::required(std::string_view name) {
  const auto* v = object_.if_contains(name);
  if (!v || !v->is_string()) {
    record("field '" + std::string(name) + "' is required and must be a string");
    return {};
  }
  return std::string(v->as_string());
}

std::optional<std::string> BodyReader::optional(std::string_view name) {
  const auto* v = object_.if_contains(name);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    record("field '" + std::string(name) + "' must be a string");
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<bool> BodyReader::optional_bool(std::string_view name) {
  const auto* v = object_.if_contains(name);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    record("field '" + std::string(name) + "' must be a boolean");
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::int64_t> BodyReader::optional_int(std::string_view name, std::int64_t min, std::int64_t max) {
  const auto* v = object_.if_contains(name);
  if (!v) return std::nullopt;
  const auto n = v->is_int64() ? std::optional<std::int64_t>(v->as_int64())
                 : v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)
                     ? std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()))
                     : std::nullopt;
  if (!n || *n < min || *n > max) {
    record("field '" + std::string(name) + "' must be an integer from " + std::to_string(min) + " to " +
           std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::int64_t BodyReader::required_int(std::string_view name, std::int64_t min, std::int64_t max) {
  if (!object_.contains(name)) {
    record("field '" + std::string(name) + "' is required");
    return 0;
  }
  return optional_int(name, min, max).value_or(0);
}

std::vector<std::string> BodyReader::string_array(std::string_view name, std::size_t max_items) {
  std::vector<std::string> out;
  const auto* v = object_.if_contains(name);
  if (!v) return out;
  if (!v->is_array() || v->as_array().size() > max_items) {
    record("field '" + std::string(name) + "' must be an array of at most " + std::to_string(max_items) + " strings");
    return out;
  }
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      record("field '" + std::string(name) + "' must contain only strings");
      return {};
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

Result<void> BodyReader::finish() const {
  if (error_) return fail(*error_);
  return {};
}

void BodyReader::record(std::string message) {
  if (!error_) error_ = Error::invalid("invalid_field", std::move(message));
}

} // namespace parley::http
