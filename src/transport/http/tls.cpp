#include "transport/http/tls.hpp"

#include <fstream>
#include <stdexcept>

#include <boost/asio/ssl/context.hpp>

namespace parley::http {
namespace {

namespace ssl = boost::asio::ssl;

constexpr const char* kCert = "PARLEY_TLS_CERT_FILE";
constexpr const char* kKey = "PARLEY_TLS_KEY_FILE";

// Loads the pair into a new context, appending what fails to `problems`.
std::shared_ptr<ssl::context> load(const std::string& cert_file, const std::string& key_file,
                                   std::vector<std::string>& problems) {
  if (cert_file.empty() && key_file.empty()) return nullptr;
  if (cert_file.empty() || key_file.empty()) {
    problems.push_back(std::string(kCert) + " and " + kKey + ": set both (HTTPS and WSS) or neither");
    return nullptr;
  }
  for (const auto& [name, path] : {std::pair{kCert, &cert_file}, std::pair{kKey, &key_file}})
    if (!std::ifstream(*path)) problems.push_back(std::string(name) + ": cannot read " + *path);
  if (!problems.empty()) return nullptr;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    problems.push_back(std::string(kCert) + ": " + cert_file + " is not a PEM certificate (" + ec.message() + ")");
    return nullptr;
  }
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  // OpenSSL checks the key against the certificate as it loads it ("key values mismatch").
  if (!ec && SSL_CTX_check_private_key(ctx->native_handle()) != 1) ec = ssl::error::stream_truncated;
  if (ec) {
    problems.push_back(std::string(kKey) + ": " + key_file + " is not a PEM private key matching the certificate of " +
                       kCert + " (" + ec.message() + ")");
    return nullptr;
  }
  return ctx;
}

} // namespace

std::vector<std::string> tls_problems(const std::string& cert_file, const std::string& key_file) {
  std::vector<std::string> problems;
  load(cert_file, key_file, problems);
  return problems;
}

std::shared_ptr<ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file) {
  std::vector<std::string> problems;
  auto ctx = load(cert_file, key_file, problems);
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw std::runtime_error(all);
  }
  return ctx;
}

} // namespace parley::http
