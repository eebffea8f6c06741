#include "loadgen/parley_protocol.hpp"

#include <boost/json/parse.hpp>

#include "loadgen/json_scan.hpp"

namespace loadgen {
namespace {

// Percent-encodes everything but RFC 3986 unreserved characters (tokens are base64url
// JWTs, so this rarely changes anything).
std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// One message of a frame (protocol 2 puts several in a frame, one per line).
void read_item(std::string_view frame, const std::function<void(const Item&)>& each) {
  const auto type = string_field(frame, "type");
  if (!type) return each(Item{});
  if (*type == "message.new") {
    if (const auto body = string_field(frame, "body")) return each(Item{Item::Kind::delivery, *body, 0, {}});
  } else if (*type == "ack") {
    // `accepted` only says the frame was read; `stored` (or an error) settles the send.
    if (string_field(frame, "status") == "stored") {
      if (const auto id = uint_field(frame, "id")) return each(Item{Item::Kind::answer, {}, *id, {}});
    }
  } else if (*type == "error") {
    // id 0: an error that answers no request of ours (e.g. rate_limited has "id":null).
    return each(Item{
        Item::Kind::answer, {}, uint_field(frame, "id").value_or(0), string_field(frame, "code").value_or("error")});
  }
  each(Item{});
}

} // namespace

std::string ParleyProtocol::upgrade_target(const Credential& who) const {
  return "/ws?protocol=2&access_token=" + query_escape(who.token);
}

Protocol::Outcome ParleyProtocol::on_opening_frame(std::string_view frame) const {
  // hello is the first message. Others in its frame are not read: they can only be presence
  // events, since the bench has asked for nothing yet.
  std::string_view first;
  for_each_line(frame, [&first](std::string_view line) {
    first = line;
    return false;
  });
  boost::system::error_code ec;
  const auto value = boost::json::parse(first, ec);
  if (ec || !value.is_object()) return {Verdict::refused, "opening frame is not a JSON object"};
  const auto* type = value.as_object().if_contains("type");
  if (!type || !type->is_string()) return {Verdict::refused, "opening frame has no type"};
  if (type->as_string() == "hello") return {Verdict::established, {}};
  // hello is queued first, so anything else before it is a protocol change worth reporting.
  return {Verdict::refused, "expected hello, got " + std::string(type->as_string())};
}

std::string ParleyProtocol::publish_frame(std::string_view group, std::uint64_t id, std::string_view body) const {
  // client_id makes a send idempotent per sender and chat, also across server restarts on one
  // data dir: the id alone would repeat from run to run, the body's first word does not.
  const auto id_text = std::to_string(id);
  const auto first_word = body.substr(0, body.find(' '));
  std::string frame;
  frame.reserve(96 + group.size() + body.size());
  frame.append(R"({"type":"message.send","id":)").append(id_text);
  frame.append(R"(,"chat_id":")").append(group);
  frame.append(R"(","client_id":"f)").append(id_text).append("-").append(first_word);
  frame.append(R"(","body":")").append(body).append("\"}");
  return frame;
}

void ParleyProtocol::read_items(std::string_view frame, const std::function<void(const Item&)>& each) const {
  for_each_line(frame, [&](std::string_view line) {
    read_item(line, each);
    return true;
  });
}

} // namespace loadgen
