#pragma once
// TLS for the servers: a server context from a PEM certificate chain and private key.

#include <memory>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace parley::http {

// What is wrong with the pair (PARLEY_TLS_CERT_FILE, PARLEY_TLS_KEY_FILE), one sentence per
// problem naming the setting: one set without the other, a file that cannot be read, not a PEM
// certificate or key, or a key that does not match the certificate. Empty: fine (both empty:
// no TLS).
std::vector<std::string> tls_problems(const std::string& cert_file, const std::string& key_file);

// The server context (TLS 1.2 and later) for the pair; null when both are empty. Throws
// std::runtime_error with tls_problems' sentences when the pair is not usable.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file);

} // namespace parley::http
