#include "core/config.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

namespace parley {
namespace {

struct TestConfig {
  std::string listen;
  std::int64_t threads = 0;
  bool cors = false;
};

constexpr std::array<ConfigOption<TestConfig>, 3> kTable{{
    {"PARLEY_LISTEN", "127.0.0.1:8080", "address", &TestConfig::listen},
    {"PARLEY_THREADS", "0", "threads", &TestConfig::threads, 0, 256},
    {"PARLEY_CORS", "false", "cors", &TestConfig::cors},
}};

} // namespace

TEST(Config, DefaultsApplyWhenNothingIsSet) {
  TestConfig c;
  EXPECT_TRUE(load_config<TestConfig>(kTable, ConfigSource{}, c).empty());
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.threads, 0);
  EXPECT_FALSE(c.cors);
}

TEST(Config, ReportsEveryProblemAtOnce) {
  ConfigSource src;
  src.set("PARLEY_THREADS", "999");
  src.set("PARLEY_CORS", "maybe");
  src.set("PARLEY_NOPE", "1");
  TestConfig c;
  const auto problems = load_config<TestConfig>(kTable, src, c);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("PARLEY_THREADS"), std::string::npos);
  EXPECT_NE(problems[1].find("PARLEY_CORS"), std::string::npos);
  EXPECT_NE(problems[2].find("PARLEY_NOPE"), std::string::npos);
}

TEST(Config, FileValuesAreReadAndLaterSourcesWin) {
  const std::string path = ::testing::TempDir() + "parley_config_test.conf";
  {
    std::ofstream out(path);
    out << "# comment\nPARLEY_LISTEN = 0.0.0.0:9000\n\nPARLEY_THREADS=4\n";
  }
  ConfigSource src;
  src.load_file(path);
  src.set("PARLEY_THREADS", "2");
  TestConfig c;
  EXPECT_TRUE(load_config<TestConfig>(kTable, src, c).empty());
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.threads, 2);
  std::remove(path.c_str());
}

TEST(Config, MalformedFileLineThrows) {
  const std::string path = ::testing::TempDir() + "parley_config_bad.conf";
  {
    std::ofstream out(path);
    out << "PARLEY_LISTEN\n";
  }
  ConfigSource src;
  EXPECT_THROW(src.load_file(path), std::runtime_error);
  std::remove(path.c_str());
}

TEST(Config, HelpListsEveryOptionWithItsDefault) {
  const auto help = config_help<TestConfig>(kTable);
  EXPECT_NE(help.find("PARLEY_LISTEN (default: 127.0.0.1:8080)"), std::string::npos);
  EXPECT_NE(help.find("PARLEY_CORS (default: false)"), std::string::npos);
}

TEST(Config, HostPortTakesPortsFrom0To65535Only) {
  std::string host;
  std::uint16_t port = 1;
  EXPECT_TRUE(parse_host_port("127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  EXPECT_TRUE(parse_host_port("[::1]:0", host, port));
  EXPECT_EQ(host, "[::1]");
  EXPECT_EQ(port, 0);
  EXPECT_TRUE(parse_host_port("localhost:65535", host, port));
  EXPECT_EQ(port, 65535);
  // Found by the config fuzzer: these were std::stoi's std::invalid_argument ("stoi"), or a
  // port silently taken modulo 65536.
  for (const char* bad : {"127.0.0.1", "host:", "host:abc", "host:80x", "host:65536", "host:99999", "host:-1",
                          "host:+80", "host: 80", "host:99999999999999999999"})
    EXPECT_FALSE(parse_host_port(bad, host, port)) << bad;
}

} // namespace parley
