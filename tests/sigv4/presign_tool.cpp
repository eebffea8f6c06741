// sigv4_presign: the C++ side of the SigV4 cross-check (tests/sigv4/crosscheck.mjs).
// Reads one case per line on stdin, a JSON object:
//   {"endpoint", "bucket", "region", "path_style", "access_key_id", "secret_access_key",
//    "session_token"?, "method", "key", "now_s", "expires_s",
//    "signed_headers"?: [[name, value], ...], "query"?: [[name, value], ...]}
// and writes one JSON object per line on stdout, in the same order:
//   {"url", "canonical_request", "string_to_sign"} or {"error": code, "message": text}.
// A case with "auth": "header" is signed with an Authorization header instead (sign_request:
// no expires_s; its signed_headers are sent too) and answers
//   {"url", "headers": [[name, value], ...], "canonical_request", "string_to_sign"}.
// A line that is not such a case is a bug in the caller: exit status 2.

#include <boost/json.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

#include "adapters/media/sigv4.hpp"

namespace {

namespace json = boost::json;

std::string text_field(const json::object& o, std::string_view name, bool required = true) {
  const json::value* v = o.if_contains(name);
  if (!v) {
    if (required) throw std::invalid_argument("missing field " + std::string(name));
    return {};
  }
  return std::string(v->as_string());
}

std::vector<std::pair<std::string, std::string>> pairs_field(const json::object& o, std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  const json::value* v = o.if_contains(name);
  if (!v) return out;
  for (const json::value& item : v->as_array()) {
    const json::array& pair = item.as_array();
    if (pair.size() != 2) throw std::invalid_argument(std::string(name) + ": expected [name, value] pairs");
    out.emplace_back(pair[0].as_string(), pair[1].as_string());
  }
  return out;
}

std::string run(std::string_view line) {
  const json::object c = json::parse(line).as_object();
  const parley::S3Location location{text_field(c, "endpoint"), text_field(c, "bucket"), text_field(c, "region"),
                                    c.at("path_style").as_bool()};
  const parley::S3Credentials credentials{text_field(c, "access_key_id"), text_field(c, "secret_access_key"),
                                          text_field(c, "session_token", false)};
  if (text_field(c, "auth", false) == "header") {
    const auto signed_request =
        parley::sign_request(location, credentials,
                             {text_field(c, "method"), text_field(c, "key"), c.at("now_s").to_number<std::int64_t>(),
                              pairs_field(c, "signed_headers"), pairs_field(c, "query")});
    if (!signed_request)
      return json::serialize(
          json::object{{"error", signed_request.error().code}, {"message", signed_request.error().message}});
    json::array headers;
    for (const auto& [name, value] : signed_request->headers) headers.push_back(json::array{name, value});
    return json::serialize(json::object{{"url", signed_request->url},
                                        {"headers", std::move(headers)},
                                        {"canonical_request", signed_request->canonical_request},
                                        {"string_to_sign", signed_request->string_to_sign}});
  }
  const parley::PresignRequest request{text_field(c, "method"),
                                       text_field(c, "key"),
                                       c.at("now_s").to_number<std::int64_t>(),
                                       c.at("expires_s").to_number<std::int64_t>(),
                                       pairs_field(c, "signed_headers"),
                                       pairs_field(c, "query")};
  const auto signed_url = parley::presign_url(location, credentials, request);
  if (!signed_url)
    return json::serialize(json::object{{"error", signed_url.error().code}, {"message", signed_url.error().message}});
  return json::serialize(json::object{{"url", signed_url->url},
                                      {"canonical_request", signed_url->canonical_request},
                                      {"string_to_sign", signed_url->string_to_sign}});
}

} // namespace

int main() {
  std::string line;
  std::size_t number = 0;
  while (std::getline(std::cin, line)) {
    ++number;
    try {
      std::cout << run(line) << '\n';
    } catch (const std::exception& e) {
      std::cerr << "sigv4_presign: line " << number << ": " << e.what() << '\n';
      return 2;
    }
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}
