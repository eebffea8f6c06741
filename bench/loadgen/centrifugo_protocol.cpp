#include "loadgen/centrifugo_protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "loadgen/json_scan.hpp"

namespace loadgen {
namespace {

using boost::json::serialize;

// The id of the connect command; replies carry it back.
constexpr std::int64_t kConnectId = 1;

} // namespace

std::string CentrifugoProtocol::opening_frame(const Credential& who) const {
  return serialize(boost::json::object{{"id", kConnectId}, {"connect", {{"token", who.token}}}});
}

Protocol::Outcome CentrifugoProtocol::on_opening_frame(std::string_view frame) const {
  Outcome outcome{Verdict::wait, {}};
  for_each_line(frame, [&outcome](std::string_view line) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    if (ec || !value.is_object()) {
      outcome = {Verdict::refused, "reply is not a JSON object"};
      return false;
    }
    const auto& reply = value.as_object();
    const auto* id = reply.if_contains("id");
    if (!id || !id->is_int64() || id->as_int64() != kConnectId) return true; // not ours (yet)
    if (reply.contains("connect")) {
      outcome = {Verdict::established, {}};
    } else if (const auto* error = reply.if_contains("error"); error && error->is_object()) {
      // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on " " + string at -O3.
      outcome = {Verdict::refused, "error"};
      if (const auto* code = error->as_object().if_contains("code"))
        outcome.reason.append(" ").append(serialize(*code));
      if (const auto* message = error->as_object().if_contains("message"); message && message->is_string())
        outcome.reason.append(" ").append(message->as_string());
    } else {
      outcome = {Verdict::refused, "reply to connect has neither connect nor error"};
    }
    return false;
  });
  return outcome;
}

std::optional<std::string> CentrifugoProtocol::keepalive_reply(std::string_view frame) const {
  if (trim(frame) == "{}") return std::string("{}");
  return std::nullopt;
}

std::string CentrifugoProtocol::join_frame(std::string_view group, std::uint64_t id) const {
  return serialize(boost::json::object{{"id", id}, {"subscribe", {{"channel", group}}}});
}

std::string CentrifugoProtocol::publish_frame(std::string_view group, std::uint64_t id, std::string_view body) const {
  std::string frame;
  frame.reserve(64 + group.size() + body.size());
  frame.append(R"({"id":)").append(std::to_string(id));
  frame.append(R"(,"publish":{"channel":")").append(group);
  frame.append(R"(","data":{"body":")").append(body).append(R"("}}})");
  return frame;
}

void CentrifugoProtocol::read_items(std::string_view frame, const std::function<void(const Item&)>& each) const {
  for_each_line(frame, [&each](std::string_view line) {
    if (line == "{}") {
      each(Item{Item::Kind::keepalive, {}, 0, {}});
    } else if (line.starts_with(R"({"id":)")) {
      const auto id = uint_field(line, "id").value_or(0);
      if (line.find(R"("error":)") == std::string_view::npos) {
        each(Item{Item::Kind::answer, {}, id, {}});
      } else {
        // The numeric code, as text (e.g. "103": permission denied).
        std::string_view code = "error";
        if (const auto at = line.find(R"("code":)"); at != std::string_view::npos) {
          code = line.substr(at + 7);
          code = code.substr(0, code.find_first_of(",}"));
        }
        each(Item{Item::Kind::answer, {}, id, code});
      }
    } else if (line.find(R"("pub":)") != std::string_view::npos) {
      if (const auto body = string_field(line, "body")) each(Item{Item::Kind::delivery, *body, 0, {}});
    } else {
      each(Item{});
    }
    return true;
  });
}

} // namespace loadgen
