#include "adapters/media/sigv4.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/url.hpp"

namespace parley {
namespace {

// AWS's published example of a pre-signed GET ("Authenticating Requests: Using Query
// Parameters", Amazon S3 API reference): its canonical request, string to sign and URL.
const S3Location kExampleLocation{"https://s3.amazonaws.com", "examplebucket", "us-east-1", false};
const S3Credentials kExampleCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr std::int64_t kExampleTime = 1369353600; // 2013-05-24T00:00:00Z

PresignRequest example_request() { return {"GET", "test.txt", kExampleTime, 86400, {}, {}}; }

PresignedUrl sign(const S3Location& location, const S3Credentials& credentials, const PresignRequest& request) {
  auto signed_url = presign_url(location, credentials, request);
  EXPECT_TRUE(signed_url) << signed_url.error().code << ": " << signed_url.error().message;
  return signed_url ? *signed_url : PresignedUrl{};
}

PresignedUrl sign_key(std::string key) {
  auto request = example_request();
  request.key = std::move(key);
  return sign(kExampleLocation, kExampleCredentials, request);
}

// The URL up to the query string.
std::string path_of(const PresignedUrl& p) { return p.url.substr(0, p.url.find('?')); }

// The hex signature at the end of the URL.
std::string signature_of(const PresignedUrl& p) { return p.url.substr(p.url.rfind('=') + 1); }

// Line `n` (0-based) of a canonical request.
std::string line_of(const std::string& text, int n) {
  std::size_t start = 0;
  for (int i = 0; i < n; ++i) start = text.find('\n', start) + 1;
  return text.substr(start, text.find('\n', start) - start);
}

std::string error_code(const S3Location& location, const S3Credentials& credentials, const PresignRequest& request) {
  const auto signed_url = presign_url(location, credentials, request);
  return signed_url ? "ok" : signed_url.error().code;
}

TEST(SigV4, MatchesAwsPublishedPresignedGetExample) {
  const auto p = sign(kExampleLocation, kExampleCredentials, example_request());
  EXPECT_EQ(p.canonical_request,
            "GET\n"
            "/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "\n"
            "host\n"
            "UNSIGNED-PAYLOAD");
  EXPECT_EQ(p.string_to_sign,
            "AWS4-HMAC-SHA256\n"
            "20130524T000000Z\n"
            "20130524/us-east-1/s3/aws4_request\n"
            "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
  EXPECT_EQ(p.url,
            "https://examplebucket.s3.amazonaws.com/test.txt"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// AWS's published signing-key derivation example (IAM, 2012-02-15).
TEST(SigV4, DerivesAwsPublishedSigningKey) {
  EXPECT_EQ(hex_encode(sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, IsDeterministicAndDependsOnEverySignedInput) {
  const auto base = sign(kExampleLocation, kExampleCredentials, example_request());
  EXPECT_EQ(sign(kExampleLocation, kExampleCredentials, example_request()).url, base.url);

  auto other_secret = kExampleCredentials;
  other_secret.secret_access_key += "x";
  auto other_region = kExampleLocation;
  other_region.region = "eu-west-1";
  auto put = example_request();
  put.method = "PUT";
  auto later = example_request();
  later.now_s += 1;
  auto longer = example_request();
  longer.expires_s += 1;
  for (const auto& p :
       {sign(kExampleLocation, other_secret, example_request()),
        sign(other_region, kExampleCredentials, example_request()), sign(kExampleLocation, kExampleCredentials, put),
        sign(kExampleLocation, kExampleCredentials, later), sign(kExampleLocation, kExampleCredentials, longer)}) {
    EXPECT_EQ(signature_of(p).size(), 64u);
    EXPECT_NE(signature_of(p), signature_of(base)) << p.url;
  }
}

TEST(SigV4, EncodesSpacesAndUnicodeOncePerSegment) {
  const auto p = sign_key("my photos/été 日本 😀.png");
  EXPECT_EQ(path_of(p),
            "https://examplebucket.s3.amazonaws.com/my%20photos/%C3%A9t%C3%A9%20%E6%97%A5%E6%9C%AC%20%F0%9F%98%80.png");
  EXPECT_EQ(line_of(p.canonical_request, 1), "/my%20photos/%C3%A9t%C3%A9%20%E6%97%A5%E6%9C%AC%20%F0%9F%98%80.png");
}

TEST(SigV4, EncodesReservedCharactersAndKeepsUnreserved) {
  EXPECT_EQ(line_of(sign_key("a+b=c&d?e#f%g;h:i@j,k$l").canonical_request, 1),
            "/a%2Bb%3Dc%26d%3Fe%23f%25g%3Bh%3Ai%40j%2Ck%24l");
  EXPECT_EQ(line_of(sign_key("!*'()[]{}<>\"\\|^`").canonical_request, 1),
            "/%21%2A%27%28%29%5B%5D%7B%7D%3C%3E%22%5C%7C%5E%60");
  EXPECT_EQ(line_of(sign_key("AZaz09-_.~").canonical_request, 1), "/AZaz09-_.~");
}

TEST(SigV4, DoesNotDoubleEncodeOrNormaliseThePath) {
  // An already-encoded-looking key is just a key with '%' in it.
  EXPECT_EQ(line_of(sign_key("a%20b").canonical_request, 1), "/a%2520b");
  // Empty segments, a leading slash and a trailing slash are part of the key.
  EXPECT_EQ(line_of(sign_key("a//b/").canonical_request, 1), "/a//b/");
  EXPECT_EQ(line_of(sign_key("/x").canonical_request, 1), "//x");
  EXPECT_EQ(line_of(sign_key("a/.b/..c/...").canonical_request, 1), "/a/.b/..c/...");
}

TEST(SigV4, PathStyleKeepsTheBucketInThePath) {
  auto location = kExampleLocation;
  location.path_style = true;
  const auto p = sign(location, kExampleCredentials, example_request());
  EXPECT_EQ(path_of(p), "https://s3.amazonaws.com/examplebucket/test.txt");
  EXPECT_EQ(line_of(p.canonical_request, 1), "/examplebucket/test.txt");
  EXPECT_EQ(line_of(p.canonical_request, 3), "host:s3.amazonaws.com");
}

TEST(SigV4, HostCarriesANonDefaultPort) {
  const S3Location minio{"http://127.0.0.1:9000", "media", "us-east-1", true};
  const auto p = sign(minio, kExampleCredentials, example_request());
  EXPECT_EQ(path_of(p), "http://127.0.0.1:9000/media/test.txt");
  EXPECT_EQ(line_of(p.canonical_request, 3), "host:127.0.0.1:9000");

  const S3Location virtual_hosted{"https://storage.example.com:8443/", "media", "us-east-1", false};
  const auto q = sign(virtual_hosted, kExampleCredentials, example_request());
  EXPECT_EQ(path_of(q), "https://media.storage.example.com:8443/test.txt");
  EXPECT_EQ(line_of(q.canonical_request, 3), "host:media.storage.example.com:8443");
}

TEST(SigV4, DropsDefaultPortsAndLowerCasesTheHost) {
  const auto base = sign(kExampleLocation, kExampleCredentials, example_request());
  for (const char* endpoint :
       {"https://s3.amazonaws.com:443", "https://S3.Amazonaws.COM/", "https://s3.amazonaws.com/"}) {
    auto location = kExampleLocation;
    location.endpoint = endpoint;
    EXPECT_EQ(sign(location, kExampleCredentials, example_request()).url, base.url) << endpoint;
  }
  const S3Location http{"http://minio.local:80", "media", "us-east-1", true};
  EXPECT_EQ(path_of(sign(http, kExampleCredentials, example_request())), "http://minio.local/media/test.txt");
}

TEST(SigV4, SessionTokenIsSignedAndSortedIntoTheQuery) {
  auto credentials = kExampleCredentials;
  credentials.session_token = "FQoG/ZXIvYXdz+EL=";
  const auto p = sign(kExampleLocation, credentials, example_request());
  EXPECT_EQ(line_of(p.canonical_request, 2),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-Security-Token=FQoG%2FZXIvYXdz%2BEL%3D"
            "&X-Amz-SignedHeaders=host");
  EXPECT_EQ(p.url.substr(0, p.url.find("&X-Amz-Signature=")), path_of(p) + "?" + line_of(p.canonical_request, 2));
  EXPECT_NE(signature_of(p), signature_of(sign(kExampleLocation, kExampleCredentials, example_request())));
}

TEST(SigV4, SignsExtraHeadersTrimmedAndSorted) {
  auto request = example_request();
  request.method = "PUT";
  request.signed_headers = {{"x-amz-meta-origin", "  web   client "}, {"content-type", "image/png"}};
  const auto p = sign(kExampleLocation, kExampleCredentials, request);
  EXPECT_EQ(line_of(p.canonical_request, 0), "PUT");
  EXPECT_EQ(line_of(p.canonical_request, 3), "content-type:image/png");
  EXPECT_EQ(line_of(p.canonical_request, 4), "host:examplebucket.s3.amazonaws.com");
  EXPECT_EQ(line_of(p.canonical_request, 5), "x-amz-meta-origin:web client");
  EXPECT_EQ(line_of(p.canonical_request, 6), "");
  EXPECT_EQ(line_of(p.canonical_request, 7), "content-type;host;x-amz-meta-origin");
  EXPECT_EQ(line_of(p.canonical_request, 8), "UNSIGNED-PAYLOAD");
  EXPECT_NE(p.url.find("&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-meta-origin&"), std::string::npos);
}

TEST(SigV4, SortsExtraQueryParametersByEncodedNameThenValue) {
  auto request = example_request();
  request.query = {{"response-content-disposition", "attachment; filename=\"été.png\""},
                   {"b", "2"},
                   {"b", "1"},
                   {"a-b", ""},
                   {"a", "x y"},
                   {"~z", "é"},
                   {"é", "~"}};
  const auto p = sign(kExampleLocation, kExampleCredentials, request);
  // Raw-byte order would put "~z" before "é"; encoded, "%C3%A9" (with '%' = 0x25) sorts first.
  EXPECT_EQ(line_of(p.canonical_request, 2),
            "%C3%A9=~&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2F"
            "s3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&a=x%20y&a-b=&"
            "b=1&b=2&response-content-disposition=attachment%3B%20filename%3D%22%C3%A9t%C3%A9.png%22&~z=%C3%A9");
}

TEST(SigV4, FormatsTheDateInUtc) {
  const auto date_of = [](std::int64_t now_s) {
    auto request = example_request();
    request.now_s = now_s;
    return line_of(sign(kExampleLocation, kExampleCredentials, request).string_to_sign, 1);
  };
  EXPECT_EQ(date_of(0), "19700101T000000Z");
  EXPECT_EQ(date_of(1709251199), "20240229T235959Z"); // leap day
  EXPECT_EQ(date_of(2147483648), "20380119T031408Z"); // past 32-bit time_t
  EXPECT_EQ(date_of(253402300799), "99991231T235959Z");
}

TEST(SigV4, AcceptsTheExpiryBounds) {
  for (const std::int64_t expires : {1, 604800}) {
    auto request = example_request();
    request.expires_s = expires;
    EXPECT_NE(sign(kExampleLocation, kExampleCredentials, request)
                  .url.find("&X-Amz-Expires=" + std::to_string(expires) + "&"),
              std::string::npos);
  }
}

TEST(SigV4, AcceptsKeysUpTo1024Bytes) {
  EXPECT_EQ(line_of(sign_key(std::string(1024, 'k')).canonical_request, 1), "/" + std::string(1024, 'k'));
  // 1024 bytes of multi-byte characters: the limit is on bytes, not characters.
  std::string key;
  for (int i = 0; i < 511; ++i) key += "é";
  key += "xy";
  EXPECT_EQ(key.size(), 1024u);
  EXPECT_EQ(error_code(kExampleLocation, kExampleCredentials, {"GET", key, kExampleTime, 60, {}, {}}), "ok");
}

// One input that must be refused: the example request with one thing broken.
struct BadInput {
  std::string name;
  std::string code;
  S3Location location = kExampleLocation;
  S3Credentials credentials = kExampleCredentials;
  PresignRequest request = example_request();
};

std::string quoted(const std::string& text) { return ::testing::PrintToString(text); }

std::vector<BadInput> bad_inputs() {
  std::vector<BadInput> cases;
  const auto bad_endpoint = [&](const std::string& endpoint, bool path_style = true) {
    cases.push_back({"endpoint " + quoted(endpoint) + (path_style ? "" : " (virtual-hosted)"), "s3_bad_endpoint"});
    cases.back().location = {endpoint, "examplebucket", "us-east-1", path_style};
  };
  const auto bad_location = [&](const std::string& code, const S3Location& location) {
    cases.push_back({"bucket " + quoted(location.bucket) + " region " + quoted(location.region), code});
    cases.back().location = location;
  };
  const auto bad_credentials = [&](const S3Credentials& credentials) {
    cases.push_back({"credentials " + quoted(credentials.access_key_id) + " " + quoted(credentials.secret_access_key) +
                         " " + quoted(credentials.session_token),
                     "s3_bad_credentials"});
    cases.back().credentials = credentials;
  };
  const auto bad_request = [&](const std::string& name, const std::string& code, auto change) {
    cases.push_back({name, code});
    change(cases.back().request);
  };

  for (const std::string endpoint : {
           "",
           "s3.amazonaws.com",
           "ftp://s3.amazonaws.com",
           "HTTPS://s3.amazonaws.com",
           "https://",
           "https://:9000",
           "https://s3.amazonaws.com/prefix",
           "https://s3.amazonaws.com?x=1",
           "https://s3.amazonaws.com#x",
           "https://user@s3.amazonaws.com",
           "http://[::1]:9000",
           "http://127.0.0.1:",
           "http://127.0.0.1:0",
           "http://127.0.0.1:65536",
           "http://127.0.0.1:9k",
           "http://127.0.0.1:+90",
           "http://127.0.0.1:90:90",
           "https://s3..amazonaws.com",
           "https://.amazonaws.com",
           "https://-s3.amazonaws.com",
           "https://s3_x.amazonaws.com",
           "https://s3 .amazonaws.com",
       }) {
    bad_endpoint(endpoint);
  }
  bad_endpoint("https://" + std::string(64, 'a') + ".com");
  bad_endpoint("http://127.0.0.1:9000", false); // no DNS name to put the bucket in

  for (const std::string bucket :
       {"", "ab", "Example", "-bucket", "bucket-", "my..bucket", "my_bucket", "my bucket", "bücket"}) {
    bad_location("s3_bad_bucket", {"https://s3.amazonaws.com", bucket, "us-east-1", true});
  }
  bad_location("s3_bad_bucket", {"https://s3.amazonaws.com", std::string(64, 'b'), "us-east-1", true});
  // The certificate's *.s3.amazonaws.com does not cover my.bucket.s3.amazonaws.com.
  bad_location("s3_bad_bucket", {"https://s3.amazonaws.com", "my.bucket", "us-east-1", false});
  for (const std::string region : {"", "EU-WEST-1", "eu west 1", "eu/west", "eu_west"}) {
    bad_location("s3_bad_region", {"https://s3.amazonaws.com", "examplebucket", region, false});
  }

  bad_credentials({"", "secret", ""});
  bad_credentials({"AKIA/X", "secret", ""}); // would split the credential scope
  bad_credentials({"AKIA\nX", "secret", ""});
  bad_credentials({"AKIA", "", ""});
  bad_credentials({"AKIA", "secret", "tok\ren"});

  for (const std::string method : {"", "get", "POST", "DELETE", "HEAD", "GET "}) {
    bad_request("method " + quoted(method), "s3_bad_method", [&](PresignRequest& r) { r.method = method; });
  }

  bad_request("empty key", "s3_empty_key", [](PresignRequest& r) { r.key.clear(); });
  bad_request("key of 1025 bytes", "s3_key_too_long", [](PresignRequest& r) { r.key = std::string(1025, 'k'); });
  const std::vector<std::pair<std::string, std::vector<std::string>>> bad_keys = {
      {"control character", {"a\nb", "a\tb", "\x7f", std::string("nul\0byte", 8)}},
      {"dot segment", {"..", ".", "a/./b", "a/../b", "a/..", "./a"}},
      {"invalid UTF-8", {"\xff", "\xc3", "\xe6\x97", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}},
  };
  for (const auto& [why, keys] : bad_keys) {
    for (const auto& key : keys) {
      bad_request("key " + quoted(key) + ": " + why, "s3_bad_key", [&](PresignRequest& r) { r.key = key; });
    }
  }

  for (const std::int64_t expires : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{604801}}) {
    bad_request("expires_s " + std::to_string(expires), "s3_bad_expiry",
                [&](PresignRequest& r) { r.expires_s = expires; });
  }
  for (const std::int64_t now : {std::int64_t{-1}, std::int64_t{253402300800}}) {
    bad_request("now_s " + std::to_string(now), "s3_bad_time", [&](PresignRequest& r) { r.now_s = now; });
  }

  using Pairs = std::vector<std::pair<std::string, std::string>>;
  for (const Pairs& headers : std::vector<Pairs>{
           {{"", "x"}},
           {{"Content-Type", "image/png"}},
           {{"content type", "image/png"}},
           {{"content:type", "image/png"}},
           {{"host", "evil.example.com"}},
           {{"content-type", "image/png"}, {"content-type", "text/plain"}},
           {{"content-type", "image/png\r\nx-evil: 1"}},
           {{"content-type", "image/png\tx"}},
           {{"x-amz-meta-name", "été"}},
       }) {
    bad_request("signed headers " + ::testing::PrintToString(headers), "s3_bad_header",
                [&](PresignRequest& r) { r.signed_headers = headers; });
  }
  for (const Pairs& query : std::vector<Pairs>{
           {{"", "x"}},
           {{"X-Amz-Signature", "0"}},
           {{"x-amz-date", "20130524T000000Z"}},
           {{"X-AMZ-EXPIRES", "1"}},
           {{"X-Amz-Credential", "x"}},
           {{"X-Amz-Algorithm", "x"}},
           {{"X-Amz-SignedHeaders", "x"}},
           {{"X-Amz-Security-Token", "x"}},
           {{"a\nb", "x"}},
           {{"a", "x\ny"}},
           {{"a", "\xff"}},
           {{"\xc3", "x"}},
       }) {
    bad_request("query " + ::testing::PrintToString(query), "s3_bad_query",
                [&](PresignRequest& r) { r.query = query; });
  }
  return cases;
}

TEST(SigV4, RefusesEachBadInputWithItsCode) {
  const auto cases = bad_inputs();
  EXPECT_GE(cases.size(), 85u);
  for (const auto& c : cases) {
    const auto signed_url = presign_url(c.location, c.credentials, c.request);
    ASSERT_FALSE(signed_url) << c.name << ": " << signed_url->url;
    EXPECT_EQ(signed_url.error().code, c.code) << c.name << " (" << signed_url.error().message << ")";
    EXPECT_EQ(signed_url.error().kind, ErrorKind::invalid_argument) << c.name;
    EXPECT_FALSE(signed_url.error().message.empty()) << c.name;
  }
}

TEST(SigV4, AcceptsWhatTheRulesAllow) {
  // Virtual-hosted with a dotted bucket is fine over plain http; path style over https too.
  EXPECT_EQ(error_code({"http://s3.local", "my.bucket", "us-east-1", false}, kExampleCredentials, example_request()),
            "ok");
  EXPECT_EQ(
      error_code({"https://s3.amazonaws.com", "my.bucket", "us-east-1", true}, kExampleCredentials, example_request()),
      "ok");
  // Access keys of S3-compatible stores are not always AKIA...; secrets may hold anything.
  EXPECT_EQ(error_code(kExampleLocation, {"minio-admin_1", "p@ss w/ord\n", ""}, example_request()), "ok");
  auto request = example_request();
  request.signed_headers = {{"x-amz-acl", ""}, {"content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="}};
  request.query = {{"x-amz-checksum-mode", "ENABLED"}, {"versionId", ""}};
  EXPECT_EQ(error_code(kExampleLocation, kExampleCredentials, request), "ok");
}

// AWS's published example of header-based signing, "Example: GET Object" ("Signature
// Calculations for the Authorization Header: Transferring Payload in a Single Chunk",
// Amazon S3 API reference): the first ten bytes of examplebucket/test.txt.
TEST(SigV4Request, MatchesAwsPublishedGetObjectExample) {
  auto signed_request = sign_request(kExampleLocation, kExampleCredentials,
                                     {"GET", "test.txt", kExampleTime, {{"range", "bytes=0-9"}}, {}});
  ASSERT_TRUE(signed_request) << signed_request.error().message;
  EXPECT_EQ(signed_request->canonical_request,
            "GET\n"
            "/test.txt\n"
            "\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n"
            "\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signed_request->string_to_sign,
            "AWS4-HMAC-SHA256\n"
            "20130524T000000Z\n"
            "20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signed_request->url, "https://examplebucket.s3.amazonaws.com/test.txt");
  const std::vector<std::pair<std::string, std::string>> expected_headers = {
      {"range", "bytes=0-9"},
      {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"x-amz-date", "20130524T000000Z"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"}};
  EXPECT_EQ(signed_request->headers, expected_headers);
}

// The value of header `name` in a signed request.
std::string header_of(const SignedRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "<none>";
}

SignedRequest sign_object(std::string method, std::string key, const S3Location& location = kExampleLocation,
                          const S3Credentials& credentials = kExampleCredentials) {
  auto signed_request = sign_request(location, credentials, {std::move(method), std::move(key), kExampleTime, {}, {}});
  EXPECT_TRUE(signed_request) << signed_request.error().code << ": " << signed_request.error().message;
  return signed_request ? *signed_request : SignedRequest{};
}

TEST(SigV4Request, HeadAndDeleteSignTheirMethodAndAnEmptyPayload) {
  const auto get = sign_object("GET", "test.txt");
  const auto head = sign_object("HEAD", "test.txt");
  const auto del = sign_object("DELETE", "test.txt");
  EXPECT_EQ(line_of(head.canonical_request, 0), "HEAD");
  EXPECT_EQ(line_of(del.canonical_request, 0), "DELETE");
  for (const auto* r : {&head, &del}) {
    EXPECT_EQ(r->url, "https://examplebucket.s3.amazonaws.com/test.txt");
    EXPECT_EQ(line_of(r->canonical_request, 8), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(line_of(r->canonical_request, 7), "host;x-amz-content-sha256;x-amz-date");
    EXPECT_NE(header_of(*r, "authorization"), header_of(get, "authorization"));
  }
  EXPECT_NE(header_of(head, "authorization"), header_of(del, "authorization"));
}

TEST(SigV4Request, EncodesTheKeyLikeThePresigner) {
  auto location = kExampleLocation;
  location.path_style = true;
  const auto r = sign_object("HEAD", "my photos/été 日本 😀.png", location);
  EXPECT_EQ(r.url,
            "https://s3.amazonaws.com/examplebucket/my%20photos/"
            "%C3%A9t%C3%A9%20%E6%97%A5%E6%9C%AC%20%F0%9F%98%80.png");
  EXPECT_EQ(line_of(r.canonical_request, 1),
            "/examplebucket/my%20photos/%C3%A9t%C3%A9%20%E6%97%A5%E6%9C%AC%20%F0%9F%98%80.png");
  EXPECT_EQ(line_of(r.canonical_request, 3), "host:s3.amazonaws.com");
}

TEST(SigV4Request, SignsAndSendsTheSessionToken) {
  auto credentials = kExampleCredentials;
  credentials.session_token = "FQoGZXIvYXdzEJr//token=";
  const auto r = sign_object("DELETE", "a", kExampleLocation, credentials);
  EXPECT_EQ(header_of(r, "x-amz-security-token"), "FQoGZXIvYXdzEJr//token=");
  EXPECT_NE(header_of(r, "authorization")
                .find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                      "x-amz-security-token,"),
            std::string::npos);
  EXPECT_EQ(r.headers.back().first, "authorization");
}

TEST(SigV4Request, PutsTheQuerySortedInTheUrl) {
  auto r = sign_request(kExampleLocation, kExampleCredentials,
                        {"GET", "k", kExampleTime, {}, {{"versionId", "v 2"}, {"acl", ""}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "https://examplebucket.s3.amazonaws.com/k?acl=&versionId=v%202");
  EXPECT_EQ(line_of(r->canonical_request, 2), "acl=&versionId=v%202");
}

TEST(SigV4Request, RefusesBadInputs) {
  const auto code = [](const SignRequest& request, const S3Credentials& credentials = kExampleCredentials) {
    const auto r = sign_request(kExampleLocation, credentials, request);
    return r ? "ok" : r.error().code;
  };
  for (const std::string method : {"PUT", "POST", "head", ""})
    EXPECT_EQ(code({method, "k", kExampleTime, {}, {}}), "s3_bad_method") << method;
  for (const std::string name : {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "host"})
    EXPECT_EQ(code({"HEAD", "k", kExampleTime, {{name, "x"}}, {}}), "s3_bad_header") << name;
  EXPECT_EQ(code({"HEAD", "", kExampleTime, {}, {}}), "s3_empty_key");
  EXPECT_EQ(code({"HEAD", "a/../b", kExampleTime, {}, {}}), "s3_bad_key");
  EXPECT_EQ(code({"HEAD", "k", -1, {}, {}}), "s3_bad_time");
  EXPECT_EQ(code({"HEAD", "k", kExampleTime, {}, {{"X-Amz-Signature", "x"}}}), "s3_bad_query");
  EXPECT_EQ(code({"HEAD", "k", kExampleTime, {}, {}}, {"AKIA", "", ""}), "s3_bad_credentials");
  EXPECT_EQ(code({"HEAD", "k", kExampleTime, {}, {}}, {"AKIA", "s", "t\xc3\xa9"}), "s3_bad_header");
}

} // namespace
} // namespace parley
