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

Result<void> BodyReader::finish() const {
  if (error_) return fail(*error_);
  return {};
}

void BodyReader::record(std::string message) {
  if (!error_) error_ = Error::invalid("invalid_field", std::move(message));
}

} // namespace parley::http
