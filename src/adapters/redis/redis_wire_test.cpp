#include <gtest/gtest.h>

#include "adapters/redis/redis_client.hpp"
#include "adapters/redis/redis_event_bus.hpp"

namespace parley {
namespace {

TEST(LiveEventWire, RoundTripsEveryField) {
  const LiveEvent e{"message.new", "c1", "{\"body\":\"two\\nlines, and commas\"}\n", {"u1", "u2", "u3"}, "u2",
                    "u1",          "k1"};
  auto back = decode_live_event(encode_live_event(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->chat_id, e.chat_id);
  EXPECT_EQ(back->payload, e.payload);
  EXPECT_EQ(back->recipients, e.recipients);
  EXPECT_EQ(back->exclude_user, e.exclude_user);
  EXPECT_EQ(back->sender_id, e.sender_id);
  EXPECT_EQ(back->client_id, e.client_id);
}

TEST(LiveEventWire, EmptyFieldsSurvive) {
  auto back = decode_live_event(encode_live_event({"presence", "", "", {}, ""}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, "presence");
  EXPECT_TRUE(back->recipients.empty());
  EXPECT_TRUE(back->payload.empty());
}

TEST(LiveEventWire, RefusesWhatItDidNotWrite) {
  for (const char* bad :
       {"", "v2", "v2\nt\nc\nx\n", "v2\nt\nc\n\nu\n{}", "v1\nt\nc\n\nu\n\n\n{}", "v2\n\nc\n\nu\n\n\n{}",
        "v2\nt\nc\n\nu,,v\n\n\n{}", "v2\nt\nc\n\nu,\n\n\n{}", "v2\nt\nc\n\n,u\n\n\n{}"})
    EXPECT_FALSE(decode_live_event(bad)) << bad;
}

TEST(RedisUrl, AcceptsHostAndPortOnly) {
  auto c = parse_redis_url("redis://127.0.0.1:6390");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 6390);
  EXPECT_EQ(parse_redis_url("redis://cache.internal:6379/")->host, "cache.internal");
  for (const char* bad : {"", "127.0.0.1:6379", "redis://", "redis://host", "redis://:6379", "redis://h:0",
                          "redis://h:70000", "redis://h:12x", "http://h:1"})
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
}

} // namespace
} // namespace parley
