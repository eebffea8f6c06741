#include "services/auth/jwt.hpp"

#include <sys/stat.h>

#include <sodium.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/base64url.hpp"
#include "services/auth/secrets.hpp"

namespace parley {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

constexpr seconds kTtl{900};

struct Parts {
  std::string header, payload, signature;
};

Parts split(const std::string& token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

std::string b64_json(const json::value& v) { return base64url_encode(json::serialize(v)); }

json::object decode_part(const std::string& part) {
  const auto text = base64url_decode(part);
  if (!text) throw std::runtime_error("test token part is not base64url");
  return json::parse(*text).as_object();
}

std::string sign_ed25519(const SigningKey& key, const std::string& signing_input) {
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size(), key.secret_key.data());
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
}

void expect_error(const Result<Principal>& result, const std::string& code) {
  ASSERT_FALSE(result) << "token was accepted";
  EXPECT_EQ(result.error().kind, ErrorKind::unauthenticated);
  EXPECT_EQ(result.error().code, code);
}

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() : key_(generate_signing_key()), signer_(key_, "parley", clock_, kTtl) {}

  // A token with our header and key but arbitrary claims.
  std::string forge(const json::object& claims) const {
    const std::string input = split(signer_.sign("u", "s")).header + "." + b64_json(claims);
    return input + "." + sign_ed25519(key_, input);
  }
  json::object valid_claims() const { return decode_part(split(signer_.sign("user-1", "session-1")).payload); }

  ManualClock clock_;
  SigningKey key_;
  JwtSigner signer_;
};

TEST_F(JwtTest, RoundTrip) {
  const auto token = signer_.sign("user-1", "session-1");
  const auto who = signer_.verify(token);
  ASSERT_TRUE(who) << who.error().code;
  EXPECT_EQ(who->user_id, "user-1");
  EXPECT_EQ(who->session_id, "session-1");
  EXPECT_EQ(who->expires_at_s, clock_.now_s() + kTtl.count());
  EXPECT_EQ(signer_.ttl(), kTtl);
}

TEST_F(JwtTest, TokenHasTheDocumentedShape) {
  const auto parts = split(signer_.sign("user-1", "session-1"));
  const auto header = decode_part(parts.header);
  EXPECT_EQ(header.at("alg"), "EdDSA");
  EXPECT_EQ(header.at("typ"), "JWT");
  EXPECT_EQ(header.at("kid"), json::value(key_.kid));
  const auto claims = decode_part(parts.payload);
  EXPECT_EQ(claims.at("iss"), "parley");
  EXPECT_EQ(claims.at("sub"), "user-1");
  EXPECT_EQ(claims.at("sid"), "session-1");
  EXPECT_EQ(claims.at("iat").as_int64(), clock_.now_s());
  EXPECT_EQ(claims.at("nbf").as_int64(), clock_.now_s());
  EXPECT_EQ(claims.at("exp").as_int64(), clock_.now_s() + kTtl.count());
  const auto jti = base64url_decode(claims.at("jti").as_string());
  ASSERT_TRUE(jti);
  EXPECT_EQ(jti->size(), 16u);
  EXPECT_NE(claims.at("jti"), decode_part(split(signer_.sign("user-1", "session-1")).payload).at("jti"));
}

TEST_F(JwtTest, TamperedPayloadCharacterIsRejected) {
  auto parts = split(signer_.sign("user-1", "session-1"));
  parts.payload[parts.payload.size() / 2] = parts.payload[parts.payload.size() / 2] == 'A' ? 'B' : 'A';
  expect_error(signer_.verify(parts.header + "." + parts.payload + "." + parts.signature), "invalid_token");
}

TEST_F(JwtTest, ReencodedPayloadWithOriginalSignatureIsRejected) {
  const auto parts = split(signer_.sign("user-1", "session-1"));
  auto claims = decode_part(parts.payload);
  claims["sub"] = "admin";
  expect_error(signer_.verify(parts.header + "." + b64_json(claims) + "." + parts.signature), "invalid_token");
}

TEST_F(JwtTest, TamperedSignatureIsRejected) {
  auto parts = split(signer_.sign("user-1", "session-1"));
  parts.signature[0] = parts.signature[0] == 'A' ? 'B' : 'A';
  expect_error(signer_.verify(parts.header + "." + parts.payload + "." + parts.signature), "invalid_token");
  // A valid-length signature of all zero bytes.
  const std::string zeros = base64url_encode(std::string(crypto_sign_BYTES, '\0'));
  expect_error(signer_.verify(parts.header + "." + parts.payload + "." + zeros), "invalid_token");
}

TEST_F(JwtTest, AlgNoneIsRejected) {
  const auto parts = split(signer_.sign("user-1", "session-1"));
  const std::string header = b64_json(json::object{{"alg", "none"}, {"typ", "JWT"}, {"kid", key_.kid}});
  expect_error(signer_.verify(header + "." + parts.payload + "."), "invalid_token");
  expect_error(signer_.verify(header + "." + parts.payload + "." + parts.signature), "invalid_token");
}

TEST_F(JwtTest, Hs256WithPublicKeyAsSecretIsRejected) {
  const auto parts = split(signer_.sign("user-1", "session-1"));
  static_assert(crypto_auth_hmacsha256_KEYBYTES == crypto_sign_PUBLICKEYBYTES);
  for (const char* alg : {"HS256", "ES256", "RS256", "EdDSA "}) {
    const std::string input =
        b64_json(json::object{{"alg", alg}, {"typ", "JWT"}, {"kid", key_.kid}}) + "." + parts.payload;
    std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                           key_.public_key.data());
    const auto mac_b64 = base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
    expect_error(signer_.verify(input + "." + mac_b64), "invalid_token");
    // Even an otherwise valid Ed25519 signature does not rescue a header naming another algorithm.
    expect_error(signer_.verify(input + "." + sign_ed25519(key_, input)), "invalid_token");
  }
}

TEST_F(JwtTest, UnknownOrMissingKidIsRejected) {
  const auto parts = split(signer_.sign("user-1", "session-1"));
  for (const auto& header :
       {json::object{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", "someone-else"}},
        json::object{{"alg", "EdDSA"}, {"typ", "JWT"}}, json::object{{"alg", "EdDSA"}, {"kid", 42}}}) {
    const std::string input = b64_json(header) + "." + parts.payload;
    expect_error(signer_.verify(input + "." + sign_ed25519(key_, input)), "invalid_token");
  }
}

TEST_F(JwtTest, CritHeaderIsRejected) {
  const auto parts = split(signer_.sign("user-1", "session-1"));
  const std::string input =
      b64_json(json::object{{"alg", "EdDSA"}, {"kid", key_.kid}, {"crit", json::array{"exp"}}}) + "." + parts.payload;
  expect_error(signer_.verify(input + "." + sign_ed25519(key_, input)), "invalid_token");
}

TEST_F(JwtTest, ExpiredTokenIsReportedAsExpired) {
  const auto token = signer_.sign("user-1", "session-1");
  clock_.advance_ms((kTtl.count() - 1) * 1000);
  EXPECT_TRUE(signer_.verify(token));
  clock_.advance_ms(1000); // now == exp
  expect_error(signer_.verify(token), "token_expired");
  clock_.advance_ms(3'600'000);
  expect_error(signer_.verify(token), "token_expired");
}

TEST_F(JwtTest, NotYetValidTokenIsRejected) {
  ManualClock ahead(clock_.now_ms() + 3'600'000);
  const JwtSigner future(key_, "parley", ahead, kTtl);
  expect_error(signer_.verify(future.sign("user-1", "session-1")), "invalid_token");
}

TEST_F(JwtTest, TokenIssuedInTheFutureIsRejected) {
  auto claims = valid_claims();
  claims["iat"] = clock_.now_s() + 3600; // nbf now: only iat says the token comes from the future
  expect_error(signer_.verify(forge(claims)), "invalid_token");
  claims["iat"] = clock_.now_s() + 20; // within the skew
  EXPECT_TRUE(signer_.verify(forge(claims)));
}

TEST_F(JwtTest, SmallClockSkewIsTolerated) {
  ManualClock ahead(clock_.now_ms() + 20'000);
  const JwtSigner future(key_, "parley", ahead, kTtl);
  EXPECT_TRUE(signer_.verify(future.sign("user-1", "session-1")));
}

TEST_F(JwtTest, WrongIssuerIsRejected) {
  const JwtSigner other(key_, "not-parley", clock_, kTtl);
  expect_error(signer_.verify(other.sign("user-1", "session-1")), "invalid_token");
}

TEST_F(JwtTest, MalformedClaimsAreRejected) {
  ASSERT_TRUE(signer_.verify(forge(valid_claims()))); // the forging helper itself is sound
  const std::vector<std::pair<std::string, json::value>> bad = {
      {"iss", 7},
      {"sub", ""},
      {"sub", 12},
      {"sid", ""},
      {"sid", nullptr},
      {"exp", "999999999999"},
      {"exp", 1.0e12},
      {"nbf", true},
      {"iat", json::array{}},
      {"exp", 18446744073709551615ull},
  };
  for (const auto& [name, value] : bad) {
    auto claims = valid_claims();
    claims[name] = value;
    expect_error(signer_.verify(forge(claims)), "invalid_token");
  }
  for (const char* name : {"iss", "sub", "sid", "exp", "nbf", "iat"}) {
    auto claims = valid_claims();
    claims.erase(name);
    expect_error(signer_.verify(forge(claims)), "invalid_token");
  }
}

TEST_F(JwtTest, GarbageIsRejected) {
  const auto parts = split(signer_.sign("user-1", "session-1"));
  const std::string valid = parts.header + "." + parts.payload + "." + parts.signature;
  const std::string array_header = b64_json(json::array{"EdDSA"}) + "." + parts.payload;
  const std::vector<std::string> inputs = {
      "",
      ".",
      "..",
      "abc",
      "abc.def",
      valid + "." + parts.signature,
      "." + parts.payload + "." + parts.signature,
      parts.header + ".." + parts.signature,
      parts.header + "." + parts.payload + ".",
      parts.header + "." + parts.payload + "." + parts.signature + "=",
      "!!!." + parts.payload + "." + parts.signature,
      parts.header + ".%%%." + parts.signature,
      parts.header + "." + parts.payload + ".***",
      base64url_encode("not json") + "." + parts.payload + "." + parts.signature,
      array_header + "." + sign_ed25519(key_, array_header),
      std::string(5 * 1024, 'a') + "." + parts.payload + "." + parts.signature,
      valid + std::string(5 * 1024, 'A'),
      std::string("\0\0\0", 3),
  };
  for (const auto& input : inputs) {
    SCOPED_TRACE(input.substr(0, 80));
    expect_error(signer_.verify(input), "invalid_token");
  }
}

TEST_F(JwtTest, OversizedTokenIsRejectedEvenIfValid) {
  const auto token = signer_.sign(std::string(4096, 'u'), "session-1");
  ASSERT_GT(token.size(), 4096u);
  expect_error(signer_.verify(token), "invalid_token");
}

TEST_F(JwtTest, DifferentKeyClaimingOurKidIsRejected) {
  SigningKey impostor = generate_signing_key();
  impostor.kid = key_.kid;
  const JwtSigner other(impostor, "parley", clock_, kTtl);
  expect_error(signer_.verify(other.sign("user-1", "session-1")), "invalid_token");
}

TEST_F(JwtTest, RandomSingleByteMutationsNeverVerify) {
  const auto token = signer_.sign("user-1", "session-1");
  ASSERT_TRUE(signer_.verify(token));
  std::mt19937 rng(20260101);
  std::uniform_int_distribution<std::size_t> position(0, token.size() - 1);
  std::uniform_int_distribution<int> byte(1, 255);
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = token;
    const std::size_t at = position(rng);
    // Adding 1..255 mod 256 always changes the byte.
    mutated[at] = static_cast<char>((static_cast<unsigned char>(mutated[at]) + byte(rng)) & 0xff);
    ASSERT_NE(mutated, token);
    const auto result = signer_.verify(mutated);
    ASSERT_FALSE(result) << "mutation " << i << " at " << at << " verified: " << mutated;
    ASSERT_EQ(result.error().code, "invalid_token");
  }
}

TEST_F(JwtTest, JwksPublishesThePublicKey) {
  const auto jwks = json::parse(signer_.jwks_json()).as_object();
  const auto& keys = jwks.at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  const auto& jwk = keys[0].as_object();
  EXPECT_EQ(jwk.at("kty"), "OKP");
  EXPECT_EQ(jwk.at("crv"), "Ed25519");
  EXPECT_EQ(jwk.at("kid"), json::value(key_.kid));
  EXPECT_EQ(jwk.at("alg"), "EdDSA");
  EXPECT_EQ(jwk.at("use"), "sig");
  const auto x = base64url_decode(jwk.at("x").as_string());
  ASSERT_TRUE(x);
  ASSERT_EQ(x->size(), crypto_sign_PUBLICKEYBYTES);
  EXPECT_EQ(0, std::memcmp(x->data(), key_.public_key.data(), key_.public_key.size()));
  EXPECT_EQ(jwks.size(), 1u);
  EXPECT_EQ(jwk.size(), 6u);
}

// A verifier built from the signer's JWKS (the key a gateway or service fetches) accepts
// exactly what the signer accepts.
TEST_F(JwtTest, VerifierFromJwksAcceptsTheSignersTokens) {
  const auto verifier = JwtVerifier::from_jwks(signer_.jwks_json(), "parley", clock_);
  ASSERT_TRUE(verifier) << verifier.error().message;
  EXPECT_EQ(verifier->kid(), key_.kid);
  EXPECT_EQ(verifier->issuer(), "parley");
  EXPECT_EQ(verifier->jwks_json(), signer_.jwks_json());
  const auto who = verifier->verify(signer_.sign("user-1", "session-1"));
  ASSERT_TRUE(who) << who.error().code;
  EXPECT_EQ(who->user_id, "user-1");
  EXPECT_EQ(who->session_id, "session-1");
  const auto token = signer_.sign("user-1", "session-1");
  clock_.advance_ms(kTtl.count() * 1000);
  expect_error(verifier->verify(token), "token_expired");
}

TEST_F(JwtTest, VerifierRefusesOtherKeysAndIssuers) {
  const JwtSigner other(generate_signing_key(), "parley", clock_, kTtl);
  const auto verifier = JwtVerifier::from_jwks(signer_.jwks_json(), "parley", clock_);
  ASSERT_TRUE(verifier);
  expect_error(verifier->verify(other.sign("user-1", "session-1")), "invalid_token");
  const auto elsewhere = JwtVerifier::from_jwks(signer_.jwks_json(), "someone-else", clock_);
  ASSERT_TRUE(elsewhere);
  expect_error(elsewhere->verify(signer_.sign("user-1", "session-1")), "invalid_token");
}

TEST_F(JwtTest, VerifierTakesTheFirstUsableKeyOfTheSet) {
  auto jwk = json::parse(signer_.jwks_json()).as_object().at("keys").as_array().at(0).as_object();
  json::object rsa{{"kty", "RSA"}, {"kid", "r1"}, {"n", "AQAB"}, {"e", "AQAB"}};
  json::object encryption = jwk;
  encryption["use"] = "enc";
  json::object short_key = jwk;
  short_key["x"] = base64url_encode("too short");
  const json::object set{{"keys", json::array{rsa, encryption, short_key, jwk}}};
  const auto verifier = JwtVerifier::from_jwks(json::serialize(set), "parley", clock_);
  ASSERT_TRUE(verifier) << verifier.error().message;
  EXPECT_EQ(verifier->kid(), key_.kid);
  EXPECT_TRUE(verifier->verify(signer_.sign("user-1", "session-1")));
}

TEST_F(JwtTest, MalformedJwksIsRefused) {
  auto jwk = json::parse(signer_.jwks_json()).as_object().at("keys").as_array().at(0).as_object();
  const auto without = [&](std::string_view field) {
    json::object copy = jwk;
    copy.erase(field);
    return json::serialize(json::object{{"keys", json::array{copy}}});
  };
  json::object wrong_curve = jwk;
  wrong_curve["crv"] = "X25519";
  json::object wrong_alg = jwk;
  wrong_alg["alg"] = "ES256";
  json::object bad_x = jwk;
  bad_x["x"] = "not base64url!";
  const std::vector<std::string> documents{
      "",
      "not json",
      "[]",
      "{}",
      R"({"keys":{}})",
      R"({"keys":[]})",
      R"({"keys":[1,"a",null]})",
      without("kid"),
      without("x"),
      without("kty"),
      without("crv"),
      json::serialize(json::object{{"keys", json::array{wrong_curve}}}),
      json::serialize(json::object{{"keys", json::array{wrong_alg}}}),
      json::serialize(json::object{{"keys", json::array{bad_x}}}),
  };
  for (const auto& doc : documents) {
    const auto verifier = JwtVerifier::from_jwks(doc, "parley", clock_);
    ASSERT_FALSE(verifier) << doc;
    EXPECT_EQ(verifier.error().code, "invalid_jwks") << doc;
    EXPECT_EQ(verifier.error().kind, ErrorKind::invalid_argument) << doc;
  }
  // alg and use are optional
  EXPECT_TRUE(JwtVerifier::from_jwks(without("alg"), "parley", clock_));
  EXPECT_TRUE(JwtVerifier::from_jwks(without("use"), "parley", clock_));
}

TEST(JwtSignerConfig, RejectsNonPositiveTtl) {
  ManualClock clock;
  EXPECT_THROW(JwtSigner(generate_signing_key(), "parley", clock, seconds(0)), std::invalid_argument);
}

class SigningKeyFileTest : public ::testing::Test {
 protected:
  SigningKeyFileTest() : dir_(std::filesystem::path(::testing::TempDir()) / ("parley-jwt-" + random_token(8))) {}
  ~SigningKeyFileTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void write(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(SigningKeyFileTest, CreatesThenReloadsTheSameKey) {
  const auto file = dir_ / "nested" / "keys" / "jwt.key";
  const SigningKey created = load_or_create_signing_key(file);
  ASSERT_TRUE(std::filesystem::exists(file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(created.kid.size(), 16u);

  const SigningKey loaded = load_or_create_signing_key(file);
  EXPECT_EQ(loaded.kid, created.kid);
  EXPECT_EQ(loaded.public_key, created.public_key);
  EXPECT_EQ(loaded.secret_key, created.secret_key);

  // Tokens from one verify with the other: what a restart must preserve.
  ManualClock clock;
  const JwtSigner before(created, "parley", clock, kTtl);
  const JwtSigner after(loaded, "parley", clock, kTtl);
  EXPECT_TRUE(after.verify(before.sign("user-1", "session-1")));

  std::vector<std::filesystem::path> leftovers;
  for (const auto& entry : std::filesystem::directory_iterator(file.parent_path())) leftovers.push_back(entry.path());
  EXPECT_EQ(leftovers, std::vector<std::filesystem::path>{file}); // no temporary files left behind
}

TEST_F(SigningKeyFileTest, FileFormatIsKidAndSeed) {
  const auto file = dir_ / "jwt.key";
  const SigningKey key = load_or_create_signing_key(file);
  std::ifstream in(file);
  std::string kid, seed;
  in >> kid >> seed;
  EXPECT_EQ(kid, key.kid);
  const auto raw = base64url_decode(seed);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), crypto_sign_SEEDBYTES);
}

TEST_F(SigningKeyFileTest, MalformedFilesThrow) {
  const auto file = dir_ / "jwt.key";
  const SigningKey key = load_or_create_signing_key(file);
  const std::string seed = base64url_encode(std::string(crypto_sign_SEEDBYTES, 'x'));
  for (const std::string& text :
       {std::string(), std::string("garbage"), key.kid + " ", key.kid + " !!!!",
        key.kid + " " + base64url_encode("short"), "wrongkid " + seed, std::string(4096, 'a') + " " + seed}) {
    write(file, text);
    EXPECT_THROW(load_or_create_signing_key(file), std::runtime_error) << text.substr(0, 40);
  }
}

} // namespace
} // namespace parley
