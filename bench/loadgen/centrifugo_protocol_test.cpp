#include "loadgen/centrifugo_protocol.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace loadgen {
namespace {

using Verdict = Protocol::Verdict;

TEST(CentrifugoProtocol, ConnectsWithTheTokenInAConnectCommand) {
  const CentrifugoProtocol p;
  EXPECT_EQ(p.upgrade_target({"u1", "a.b.c"}), "/connection/websocket");
  const auto frame = boost::json::parse(p.opening_frame({"u1", "a.b\"c"}));
  EXPECT_EQ(frame.at("id").as_int64(), 1);
  EXPECT_EQ(frame.at("connect").at("token").as_string(), "a.b\"c");
}

TEST(CentrifugoProtocol, EstablishedOnTheConnectResult) {
  const CentrifugoProtocol p;
  EXPECT_EQ(p.on_opening_frame(R"({"id":1,"connect":{"client":"x","version":"6.9.1","ping":25,"pong":true}})").verdict,
            Verdict::established);
  // Several replies in one frame, one per line; only id 1 decides.
  EXPECT_EQ(p.on_opening_frame("{\"id\":7,\"rpc\":{}}\n{\"id\":1,\"connect\":{}}\n").verdict, Verdict::established);
}

TEST(CentrifugoProtocol, RefusedOnAnError) {
  const CentrifugoProtocol p;
  const auto outcome = p.on_opening_frame(R"({"id":1,"error":{"code":109,"message":"token expired"}})");
  EXPECT_EQ(outcome.verdict, Verdict::refused);
  EXPECT_EQ(outcome.reason, "error 109 token expired");
  EXPECT_EQ(p.on_opening_frame("not json").verdict, Verdict::refused);
}

TEST(CentrifugoProtocol, WaitsForItsReply) {
  const CentrifugoProtocol p;
  EXPECT_EQ(p.on_opening_frame("{}").verdict, Verdict::wait);
  EXPECT_EQ(p.on_opening_frame(R"({"id":2,"connect":{}})").verdict, Verdict::wait);
}

TEST(CentrifugoProtocol, AnswersEmptyPingsWithEmptyPongs) {
  const CentrifugoProtocol p;
  EXPECT_EQ(p.keepalive_reply("{}"), std::optional<std::string>("{}"));
  EXPECT_EQ(p.keepalive_reply("{}\n"), std::optional<std::string>("{}"));
  EXPECT_EQ(p.keepalive_reply(R"({"push":{"channel":"c"}})"), std::nullopt);
}

} // namespace
} // namespace loadgen
