#include <gtest/gtest.h>

#include "adapters/kafka/kafka_event_log.hpp"

namespace parley {
namespace {

TEST(DomainEventWire, RoundTrips) {
  const DomainEvent e{"0192f3a4", "message.created", "chat-1", "{\"body\":\"a\\nb\"}\nend"};
  auto back = decode_domain_event(e.key, encode_domain_event(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->key, e.key);
  EXPECT_EQ(back->payload, e.payload);
}

TEST(DomainEventWire, RefusesWhatItDidNotWrite) {
  for (const char* bad : {"", "v1", "v1\nid\n", "v2\nid\ntype\n{}", "v1\n\ntype\n{}", "v1\nid\n\n{}"})
    EXPECT_FALSE(decode_domain_event("k", bad)) << bad;
}

} // namespace
} // namespace parley
