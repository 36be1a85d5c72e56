#pragma once

// --web.config.file: TLS, basic auth and response headers for every endpoint of the exporter, in
// the Prometheus exporter-toolkit format
// (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md), so
// the files SREs already write for node_exporter work here and `promtool check web-config`
// validates them. Loading is strict and also loads the certificates and keys with OpenSSL, so a
// bad file fails at startup, not at the first scrape. See docs/security.md.

#include <cstddef>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/loader.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace healthgap::server {

// Go's tls.ClientAuthType, by the names exporter-toolkit uses.
enum class ClientAuthType {
  kNoClientCert,
  kRequestClientCert,           // ask for a certificate, accept any or none
  kRequireAnyClientCert,        // require a certificate, do not verify it
  kVerifyClientCertIfGiven,     // no certificate is fine; a given one must verify
  kRequireAndVerifyClientCert,  // mTLS: a certificate signed by client_ca_file is required
};

enum class TlsVersion { kTls12, kTls13 };

struct TlsServerConfig {
  // Paths are resolved against the web config file's directory, as exporter-toolkit does.
  std::string cert_file;  // PEM, the server certificate optionally followed by its chain
  std::string key_file;   // PEM private key
  ClientAuthType client_auth_type = ClientAuthType::kNoClientCert;
  std::string client_ca_file;  // empty: none
  TlsVersion min_version = TlsVersion::kTls12;
  std::optional<TlsVersion> max_version;   // nullopt: the newest OpenSSL supports
  std::vector<std::string> cipher_suites;  // OpenSSL names of TLS 1.2 suites; empty: defaults
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curve_preferences;  // OpenSSL group names; empty: defaults

  bool operator==(const TlsServerConfig&) const = default;
};

// A loaded web config. The default value means plain HTTP, no auth, no extra headers.
struct WebConfig {
  std::optional<TlsServerConfig> tls;
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  std::map<std::string, std::string> basic_auth_users;       // username -> bcrypt hash

  bool operator==(const WebConfig&) const = default;
};

// Exactly one of the two is set. Errors read "FILE:LINE: FIELD: MESSAGE".
struct WebConfigResult {
  std::optional<WebConfig> config;
  std::optional<config::ConfigError> error;
};

// Reads, validates and loads `path`, including the files it references. Thread-compatible.
WebConfigResult LoadWebConfigFile(const std::string& path);
// Same for YAML text; relative paths resolve against `base_dir`, errors name `source_name`.
WebConfigResult LoadWebConfigString(std::string_view yaml, const std::string& source_name,
                                    const std::filesystem::path& base_dir);

// Why an SSL_CTX could not be set up: the web config field at fault and what went wrong.
struct TlsSetupError {
  std::string field;  // e.g. "tls_server_config.key_file"
  std::string message;
};

// Sets up a server SSL_CTX from `tls`: certificate chain and key, protocol versions, ciphers,
// curves, client CA and verification per client_auth_type.
std::optional<TlsSetupError> ConfigureSslContext(const TlsServerConfig& tls, ssl_ctx_st* ctx);

// Checks HTTP Basic credentials against bcrypt hashes (libxcrypt). bcrypt is slow on purpose,
// so successful checks are remembered, keyed by a SHA-256 of (user, hash, password); the cache
// is bounded and evicts the oldest entry first. Unknown users cost a bcrypt run too, so timing
// does not reveal which usernames exist.
// Thread-safe: Authorize may be called concurrently from server threads.
class BasicAuthenticator {
 public:
  static constexpr std::size_t kDefaultCacheCapacity = 1024;

  explicit BasicAuthenticator(std::map<std::string, std::string> users,
                              std::size_t cache_capacity = kDefaultCacheCapacity);
  BasicAuthenticator(const BasicAuthenticator&) = delete;
  BasicAuthenticator& operator=(const BasicAuthenticator&) = delete;

  // True if `authorization` (the Authorization header's value) carries valid credentials.
  bool Authorize(std::string_view authorization) const;
  // Successful verifications currently remembered.
  std::size_t CachedCount() const;

 private:
  bool Verify(const std::string& user, const std::string& password) const;

  const std::map<std::string, std::string> users_;
  const std::size_t cache_capacity_;
  mutable std::mutex mu_;
  mutable std::unordered_set<std::string> cache_;  // guarded by mu_
  mutable std::deque<std::string> cache_order_;    // guarded by mu_; oldest first
};

}  // namespace healthgap::server
