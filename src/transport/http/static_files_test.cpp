#include "transport/http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace parley::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() : root_(fs::temp_directory_path() / ("parley-web-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(root_ / "assets");
    write("index.html", "<!doctype html><title>app</title>");
    write("assets/app-1a2b.js", "console.log(1)");
    write("favicon.svg", "<svg/>");
    std::ofstream(root_.parent_path() / "secret.txt") << "outside";
  }
  ~StaticFilesTest() override {
    fs::remove_all(root_);
    fs::remove(root_.parent_path() / "secret.txt");
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(root_ / name) << text; }

  Response get(std::string target) {
    Request req;
    req.message.method(boost::beast::http::verb::get);
    req.message.target(target);
    return StaticFiles(root_).serve(req);
  }
  static std::string header(const Response& res, std::string_view name) {
    for (const auto& [k, v] : res.headers)
      if (k == name) return v;
    return "";
  }

  fs::path root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirTypeAndCaching) {
  auto js = get("/assets/app-1a2b.js");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(header(js, "Cache-Control").find("immutable"), std::string::npos);
  auto svg = get("/favicon.svg");
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(header(svg, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, ClientRoutesGetTheAppWithItsPolicy) {
  for (const char* target : {"/", "/chats/123", "/settings/profile?tab=1"}) {
    auto page = get(target);
    EXPECT_EQ(page.status, 200u) << target;
    EXPECT_EQ(page.body, "<!doctype html><title>app</title>") << target;
    EXPECT_NE(header(page, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(header(page, "Cache-Control"), "no-cache");
  }
}

TEST_F(StaticFilesTest, PagesMayConnectToTheGivenOrigins) {
  Request req;
  req.message.method(boost::beast::http::verb::get);
  req.message.target("/");
  const auto policy =
      header(StaticFiles(root_, "https://media.s3.eu-west-1.amazonaws.com").serve(req), "Content-Security-Policy");
  EXPECT_NE(policy.find("connect-src 'self' ws: wss: https://media.s3.eu-west-1.amazonaws.com;"), std::string::npos)
      << policy;
  EXPECT_NE(header(get("/"), "Content-Security-Policy").find("connect-src 'self' ws: wss:;"), std::string::npos);
}

TEST_F(StaticFilesTest, NeverLeavesTheDirectoryNorAnswersForTheApi) {
  for (const char* target : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/.hidden",
                             "/assets/missing.js", "/api/v1/nope", "/api", "//etc/passwd", "/a\\b.txt"}) {
    EXPECT_EQ(get(target).status, 404u) << target;
  }
}

} // namespace
} // namespace parley::http
