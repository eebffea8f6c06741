// What each protocol sends and reads for the fanout scenario, on frames shaped as the servers
// send them (Parley: docs/protocol.md; Centrifugo v6's JSON protocol; parley-ceiling).

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "loadgen/ceiling_protocol.hpp"
#include "loadgen/centrifugo_protocol.hpp"
#include "loadgen/json_scan.hpp"
#include "loadgen/parley_protocol.hpp"

namespace loadgen {
namespace {

using Kind = Item::Kind;

std::vector<Item> items(const Protocol& p, std::string_view frame) {
  std::vector<Item> out;
  p.read_items(frame, [&out](const Item& i) { out.push_back(i); });
  return out;
}

TEST(JsonScan, FindsKeysNotValuesOrLongerKeys) {
  const std::string_view f = R"({"type":"ack","message_id":"m1","id":42,"note":"id","status":"stored"})";
  EXPECT_EQ(string_field(f, "type"), "ack");
  EXPECT_EQ(uint_field(f, "id"), 42u);
  EXPECT_EQ(string_field(f, "status"), "stored");
  EXPECT_EQ(string_field(f, "missing"), std::nullopt);
  EXPECT_EQ(string_field(f, "id"), std::nullopt); // a number, not a string
  EXPECT_EQ(uint_field(R"({"id":null})", "id"), std::nullopt);
}

TEST(JsonScan, LeadingNumbersOfABody) {
  std::string_view body = "123456789 7 42 xxxx";
  EXPECT_EQ(leading_uint(body), 123456789u);
  EXPECT_EQ(leading_uint(body), 7u);
  EXPECT_EQ(leading_uint(body), 42u);
  EXPECT_EQ(leading_uint(body), std::nullopt);
  EXPECT_EQ(body, "xxxx");
}

TEST(ParleyFanout, PublishesAMessageSendWithAClientIdUniqueAcrossRuns) {
  const ParleyProtocol p;
  const auto frame = boost::json::parse(p.publish_frame("c1", 9, "1700 3 9 xx")).as_object();
  EXPECT_EQ(frame.at("type").as_string(), "message.send");
  EXPECT_EQ(frame.at("id").as_int64(), 9);
  EXPECT_EQ(frame.at("chat_id").as_string(), "c1");
  EXPECT_EQ(frame.at("client_id").as_string(), "f9-1700");
  EXPECT_EQ(frame.at("body").as_string(), "1700 3 9 xx");
  EXPECT_TRUE(p.join_frame("c1", 2).empty());
  EXPECT_TRUE(p.answers_publish());
}

TEST(ParleyFanout, ReadsDeliveriesAndFinalAnswers) {
  const ParleyProtocol p;
  auto got = items(p, R"({"type":"message.new","data":{"id":"m","chat_id":"c1","seq":4,"body":"1700 3 9 xx"}})");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, Kind::delivery);
  EXPECT_EQ(got[0].body, "1700 3 9 xx");

  EXPECT_EQ(items(p, R"({"type":"ack","id":9,"client_id":"f9-1700","status":"accepted"})")[0].kind, Kind::other);
  got = items(p, R"({"type":"ack","id":9,"client_id":"f9-1700","status":"stored","chat_id":"c1","message_id":"m"})");
  EXPECT_EQ(got[0].kind, Kind::answer);
  EXPECT_EQ(got[0].id, 9u);
  EXPECT_TRUE(got[0].error.empty());

  got = items(p, R"({"type":"error","id":10,"code":"send_queue_full","message":"…","client_id":"x"})");
  EXPECT_EQ(got[0].kind, Kind::answer);
  EXPECT_EQ(got[0].id, 10u);
  EXPECT_EQ(got[0].error, "send_queue_full");
  got = items(p, R"({"type":"error","id":null,"code":"rate_limited","message":"…"})");
  EXPECT_EQ(got[0].id, 0u);
  EXPECT_EQ(got[0].error, "rate_limited");
  EXPECT_EQ(items(p, R"({"type":"presence","data":{"user_id":"u","online":true}})")[0].kind, Kind::other);
}

TEST(ParleyFanout, ReadsEveryMessageOfABatchedFrame) {
  const ParleyProtocol p;
  EXPECT_EQ(p.upgrade_target({"u", "a.b+c"}), "/ws?protocol=2&access_token=a.b%2Bc");
  const auto got = items(p, R"({"type":"message.new","data":{"body":"1700 3 9 xx"}})"
                            "\n"
                            R"({"type":"ack","id":9,"status":"stored"})"
                            "\n"
                            R"({"type":"message.new","data":{"body":"1701 3 10 xx"}})");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, "1700 3 9 xx");
  EXPECT_EQ(got[1].kind, Kind::answer);
  EXPECT_EQ(got[1].id, 9u);
  EXPECT_EQ(got[2].body, "1701 3 10 xx");
  EXPECT_EQ(p.on_opening_frame(R"({"type":"hello","data":{"protocol":2}})"
                               "\n"
                               R"({"type":"presence"})")
                .verdict,
            Protocol::Verdict::established);
}

TEST(CentrifugoFanout, SubscribesAndPublishesWithClientCommands) {
  const CentrifugoProtocol p;
  const auto join = boost::json::parse(p.join_frame("fanout:g1", 2)).as_object();
  EXPECT_EQ(join.at("id").as_int64(), 2);
  EXPECT_EQ(join.at("subscribe").at("channel").as_string(), "fanout:g1");
  const auto pub = boost::json::parse(p.publish_frame("fanout:g1", 5, "1700 3 5 xx")).as_object();
  EXPECT_EQ(pub.at("id").as_int64(), 5);
  EXPECT_EQ(pub.at("publish").at("channel").as_string(), "fanout:g1");
  EXPECT_EQ(pub.at("publish").at("data").at("body").as_string(), "1700 3 5 xx");
}

TEST(CentrifugoFanout, ReadsEveryLineOfABatchedFrame) {
  const CentrifugoProtocol p;
  const auto got = items(p,
                         "{\"id\":2,\"subscribe\":{}}\n"
                         "{\"push\":{\"channel\":\"fanout:g1\",\"pub\":{\"data\":{\"body\":\"1700 3 5 xx\"},"
                         "\"info\":{\"user\":\"bench00003\",\"client\":\"c\"}}}}\n"
                         "{}\n"
                         "{\"id\":5,\"publish\":{}}\n"
                         "{\"id\":6,\"error\":{\"code\":103,\"message\":\"permission denied\"}}");
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].kind, Kind::answer);
  EXPECT_EQ(got[0].id, 2u);
  EXPECT_EQ(got[1].kind, Kind::delivery);
  EXPECT_EQ(got[1].body, "1700 3 5 xx");
  EXPECT_EQ(got[2].kind, Kind::keepalive);
  EXPECT_EQ(got[3].kind, Kind::answer);
  EXPECT_EQ(got[3].id, 5u);
  EXPECT_TRUE(got[3].error.empty());
  EXPECT_EQ(got[4].id, 6u);
  EXPECT_EQ(got[4].error, "103");
}

TEST(CeilingFanout, TheGroupRidesInTheUpgradeAndACopyIsTheOnlyAnswer) {
  const CeilingProtocol p;
  EXPECT_EQ(p.upgrade_target({"bench00001", "s100g3"}), "/ws?group=s100g3");
  EXPECT_EQ(p.on_opening_frame(R"({"type":"hello"})").verdict, Protocol::Verdict::established);
  EXPECT_EQ(p.on_opening_frame(R"({"body":"x"})").verdict, Protocol::Verdict::refused);
  EXPECT_FALSE(p.answers_publish());
  const auto frame = p.publish_frame("ignored", 5, "1700 3 5 xx");
  EXPECT_EQ(frame, R"({"body":"1700 3 5 xx"})");
  const auto got = items(p, frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, Kind::delivery);
  EXPECT_EQ(got[0].body, "1700 3 5 xx");
  const auto batched = items(p, frame + "\n" + p.publish_frame("ignored", 6, "1701 3 6 xx"));
  ASSERT_EQ(batched.size(), 2u); // the ceiling batches as Parley's protocol 2 does
  EXPECT_EQ(batched[1].body, "1701 3 6 xx");
}

} // namespace
} // namespace loadgen
