#include "apps/kit/settings.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace parley {
namespace {

ParleyConfig defaults() {
  ParleyConfig c;
  EXPECT_TRUE(load_config<ParleyConfig>(kParleyOptions, ConfigSource{}, c).empty());
  return c;
}

} // namespace

TEST(Settings, ServerConfigTakesHostAndPortFromListen) {
  auto c = defaults();
  c.listen = "0.0.0.0:9000";
  const auto s = server_config(c);
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_EQ(s.port, 9000);
}

// Found by the config fuzzer (tests/fuzz/corpus/config/listen_bad_port): a port that is not a
// number threw std::invalid_argument("stoi"), and one above 65535 was taken modulo 65536.
TEST(Settings, MalformedListenIsAStartUpError) {
  auto c = defaults();
  for (const char* bad : {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:99999", "127.0.0.1:-80", "127.0.0.1:"}) {
    c.listen = bad;
    EXPECT_THROW(server_config(c), std::runtime_error) << bad;
  }
}

} // namespace parley
