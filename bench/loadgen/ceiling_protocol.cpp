#include "loadgen/ceiling_protocol.hpp"

#include "loadgen/json_scan.hpp"

namespace loadgen {

std::string CeilingProtocol::upgrade_target(const Credential& who) const {
  return "/ws?group=" + who.token; // group names are [A-Za-z0-9_-]: nothing to escape
}

Protocol::Outcome CeilingProtocol::on_opening_frame(std::string_view frame) const {
  if (string_field(frame, "type") == "hello") return {Verdict::established, {}};
  return {Verdict::refused, "expected hello"};
}

std::string CeilingProtocol::publish_frame(std::string_view, std::uint64_t, std::string_view body) const {
  std::string frame;
  frame.reserve(12 + body.size());
  frame.append(R"({"body":")").append(body).append(R"("})");
  return frame;
}

void CeilingProtocol::read_items(std::string_view frame, const std::function<void(const Item&)>& each) const {
  for_each_line(frame, [&each](std::string_view line) {
    if (const auto body = string_field(line, "body"))
      each(Item{Item::Kind::delivery, *body, 0, {}});
    else
      each(Item{});
    return true;
  });
}

} // namespace loadgen
