#include "server/web_config.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>

#include "common/base64.h"
#include "common/strings.h"
#include "config/loader.h"
#include "config/strict_yaml.h"
#include "config/yaml_tree.h"

namespace healthgap::server {
namespace {

using config::strict_yaml::Entry;
using config::strict_yaml::LineOf;
using config::strict_yaml::Quote;

constexpr std::array<std::pair<std::string_view, ClientAuthType>, 5> kClientAuthTypes = {{
    {"NoClientCert", ClientAuthType::kNoClientCert},
    {"RequestClientCert", ClientAuthType::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuthType::kRequireAnyClientCert},
    {"VerifyClientCertIfGiven", ClientAuthType::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuthType::kRequireAndVerifyClientCert},
}};

// Go's TLS 1.2 cipher suite names (as exporter-toolkit takes them) and OpenSSL's.
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kCipherSuites = {{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
}};
constexpr std::array<std::string_view, 3> kTls13CipherSuites = {
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};

constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kCurves = {{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

// The headers exporter-toolkit lets a web config set, and the values it allows (empty: any).
struct AllowedHeader {
  std::string_view name;
  std::initializer_list<std::string_view> values;
};
const std::array<AllowedHeader, 5> kAllowedHeaders = {{
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
}};

// "$2b$10$" + 22 salt + 31 hash characters, the only hashes libxcrypt and Go's bcrypt share.
bool LooksLikeBcrypt(std::string_view hash) {
  if (hash.size() != 60 || hash.substr(0, 2) != "$2" || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return false;
  }
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  return std::all_of(hash.begin() + 7, hash.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/';
  });
}

// Reads a web config with the strict reader every config file shares (config/strict_yaml.h).
class Loader {
 public:
  Loader(std::string source, std::filesystem::path base_dir)
      : reader_(std::move(source), std::move(base_dir)) {}

  WebConfig Load(const config::yaml::Node& root) {
    WebConfig web;
    if (root.IsNull()) return web;  // an empty file: exporter-toolkit's defaults
    const auto top = reader_.OpenMap(
        root, "", LineOf(root), {"tls_server_config", "http_server_config", "basic_auth_users"});
    for (const Entry& entry : top) {
      if (entry.value.IsNull()) continue;  // "key:" with nothing, as Go's YAML reads it
      if (entry.key == "tls_server_config") web.tls = ReadTls(entry);
      if (entry.key == "http_server_config") web.headers = ReadHttp(entry);
      if (entry.key == "basic_auth_users") web.basic_auth_users = ReadUsers(entry);
    }
    return web;
  }

 private:
  [[noreturn]] void Fail(int line, std::string field, std::string message) const {
    reader_.Fail(line, std::move(field), std::move(message));
  }
  std::string ReadString(const Entry& entry) const { return reader_.ReadString(entry); }

  // A path relative to the web config's directory that names a readable regular file.
  std::string ReadFilePath(const Entry& entry) const {
    const std::string text = ReadString(entry);
    if (text.empty()) Fail(entry.line, entry.field, "must not be empty");
    const std::string path = reader_.ResolvePath(text);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      Fail(entry.line, entry.field,
           "cannot read " + Quote(path) + ": " +
               (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
    }
    if (!std::ifstream(path).good()) {
      Fail(entry.line, entry.field, "cannot read " + Quote(path) + ": " + std::strerror(errno));
    }
    return path;
  }

  TlsVersion ReadVersion(const Entry& entry) const {
    const std::string text = ReadString(entry);
    if (text == "TLS12") return TlsVersion::kTls12;
    if (text == "TLS13") return TlsVersion::kTls13;
    if (text == "TLS10" || text == "TLS11") {
      Fail(entry.line, entry.field,
           Quote(text) + " is not supported: TLS 1.0 and 1.1 are obsolete; use TLS12 or TLS13");
    }
    Fail(entry.line, entry.field,
         "unknown TLS version " + Quote(text) + "; expected TLS12 or TLS13");
  }

  TlsServerConfig ReadTls(const Entry& section) {
    const auto entries =
        reader_.OpenMap(section, {"cert_file", "key_file", "client_auth_type", "client_ca_file",
                                  "min_version", "max_version", "cipher_suites",
                                  "prefer_server_cipher_suites", "curve_preferences"});
    TlsServerConfig tls;
    const Entry* client_auth_entry = nullptr;
    const Entry* client_ca_entry = nullptr;
    const Entry* max_version_entry = nullptr;
    for (const Entry& entry : entries) {
      const std::string& key = entry.key;
      if (key == "cert_file") {
        tls.cert_file = ReadFilePath(entry);
      } else if (key == "key_file") {
        tls.key_file = ReadFilePath(entry);
      } else if (key == "client_ca_file") {
        tls.client_ca_file = ReadFilePath(entry);
        client_ca_entry = &entry;
      } else if (key == "client_auth_type") {
        const std::string text = ReadString(entry);
        const auto* found = std::find_if(kClientAuthTypes.begin(), kClientAuthTypes.end(),
                                         [&](const auto& known) { return known.first == text; });
        if (found == kClientAuthTypes.end()) {
          Fail(entry.line, entry.field,
               "unknown client_auth_type " + Quote(text) +
                   "; expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, "
                   "VerifyClientCertIfGiven, RequireAndVerifyClientCert");
        }
        tls.client_auth_type = found->second;
        client_auth_entry = &entry;
      } else if (key == "min_version") {
        tls.min_version = ReadVersion(entry);
      } else if (key == "max_version") {
        tls.max_version = ReadVersion(entry);
        max_version_entry = &entry;
      } else if (key == "cipher_suites") {
        for (const Entry& item : reader_.Items(entry))
          tls.cipher_suites.push_back(ReadCipher(item));
      } else if (key == "prefer_server_cipher_suites") {
        tls.prefer_server_cipher_suites = reader_.ReadBool(entry);
      } else if (key == "curve_preferences") {
        for (const Entry& item : reader_.Items(entry))
          tls.curve_preferences.push_back(ReadCurve(item));
      }
    }
    if (tls.cert_file.empty())
      Fail(section.line, section.field + ".cert_file", "required field is missing");
    if (tls.key_file.empty())
      Fail(section.line, section.field + ".key_file", "required field is missing");
    if (max_version_entry && tls.max_version < tls.min_version) {
      Fail(max_version_entry->line, max_version_entry->field,
           "max_version is lower than min_version; no TLS version would be left");
    }
    const bool verifies = tls.client_auth_type == ClientAuthType::kVerifyClientCertIfGiven ||
                          tls.client_auth_type == ClientAuthType::kRequireAndVerifyClientCert;
    if (verifies && !client_ca_entry) {
      Fail(client_auth_entry->line, section.field + ".client_ca_file",
           "required when client_auth_type is " + client_auth_entry->value.Scalar() +
               ": client certificates are verified against it");
    }
    if (client_ca_entry && tls.client_auth_type == ClientAuthType::kNoClientCert) {
      Fail(client_ca_entry->line, client_ca_entry->field,
           "client CA configured without a client_auth_type that asks for client certificates");
    }
    // Load everything with OpenSSL now, so a bad certificate or key fails at startup.
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                          &SSL_CTX_free);
    if (!ctx) Fail(section.line, section.field, "cannot create an OpenSSL context");
    if (auto error = ConfigureSslContext(tls, ctx.get())) {
      int line = section.line;
      for (const Entry& entry : entries) {
        if (entry.field == error->field) line = entry.line;
      }
      Fail(line, error->field, error->message);
    }
    return tls;
  }

  std::string ReadCipher(const Entry& item) const {
    const std::string text = ReadString(item);
    for (const auto& [go_name, openssl_name] : kCipherSuites) {
      if (go_name == text) return std::string(openssl_name);
    }
    if (std::find(kTls13CipherSuites.begin(), kTls13CipherSuites.end(), text) !=
        kTls13CipherSuites.end()) {
      Fail(item.line, item.field,
           Quote(text) +
               " is a TLS 1.3 suite; TLS 1.3 suites are not configurable, list TLS 1.2 "
               "suites only");
    }
    Fail(item.line, item.field, "unknown or unsupported cipher suite " + Quote(text));
  }

  std::string ReadCurve(const Entry& item) const {
    const std::string text = ReadString(item);
    for (const auto& [go_name, openssl_name] : kCurves) {
      if (go_name == text) return std::string(openssl_name);
    }
    Fail(item.line, item.field,
         "unknown curve " + Quote(text) +
             "; expected one of CurveP256, CurveP384, CurveP521, X25519");
  }

  std::vector<std::pair<std::string, std::string>> ReadHttp(const Entry& section) const {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const Entry& entry : reader_.OpenMap(section, {"http2", "headers"})) {
      if (entry.key == "http2") {
        reader_.ReadBool(entry);  // healthgap serves HTTP/1.1 only; accepted for compatibility
        continue;
      }
      if (entry.value.IsNull()) continue;
      for (const Entry& header : reader_.UserKeyedMap(entry, /*keys_case_insensitive=*/false)) {
        const std::string value = ReadString(header);
        const auto* allowed =
            std::find_if(kAllowedHeaders.begin(), kAllowedHeaders.end(),
                         [&](const AllowedHeader& known) { return known.name == header.key; });
        if (allowed == kAllowedHeaders.end()) {
          Fail(header.line, header.field,
               "header " + Quote(header.key) +
                   " cannot be configured; allowed: Strict-Transport-Security, "
                   "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
                   "Content-Security-Policy");
        }
        if (allowed->values.size() > 0 && std::find(allowed->values.begin(), allowed->values.end(),
                                                    value) == allowed->values.end()) {
          std::string expected;
          for (std::string_view v : allowed->values)
            expected += (expected.empty() ? "" : " or ") + Quote(v);
          Fail(header.line, header.field,
               "invalid value " + Quote(value) + "; expected " + expected);
        }
        headers.emplace_back(header.key, value);
      }
    }
    return headers;
  }

  std::map<std::string, std::string> ReadUsers(const Entry& section) const {
    std::map<std::string, std::string> users;
    for (const Entry& user : reader_.UserKeyedMap(section, /*keys_case_insensitive=*/false)) {
      if (user.key.empty()) Fail(user.line, section.field, "username must not be empty");
      if (user.key.find(':') != std::string::npos) {
        Fail(user.line, user.field,
             "username must not contain \":\" (HTTP Basic auth splits on it)");
      }
      const std::string hash = ReadString(user);
      if (!LooksLikeBcrypt(hash)) {
        Fail(user.line, user.field,
             "expected a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-31, 60 characters), e.g. from "
             "`htpasswd -nBC 10 " +
                 user.key + "`");
      }
      users.emplace(user.key, hash);
    }
    return users;
  }

  const config::strict_yaml::Reader reader_;
};

// The OpenSSL error queue as one line, then cleared.
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    out += (out.empty() ? "" : "; ") + std::string(buffer);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Whether `path` holds a PEM private key OpenSSL can read (whatever certificate it belongs to).
bool PemFileHasPrivateKey(const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (!bio) return false;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  EVP_PKEY_free(key);
  return key != nullptr;
}

// Verification callback that accepts any certificate: Request/RequireAnyClientCert ask for one
// without verifying it, as Go does.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

constexpr char kUnknownUserHash[] = "$2b$10$vWLwn3pBTXq8Bc0BUGnbOuEyuHDgA6Wd/UmxosiFeVuJyT7jVTCYu";

// crypt_r with its state on the heap: struct crypt_data is about 32 KiB.
std::string Bcrypt(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* hashed = crypt_r(password.c_str(), setting.c_str(), data.get());
  // libxcrypt returns a string starting with '*' (or nullptr) on failure, never a match.
  return hashed && hashed[0] != '*' ? std::string(hashed) : std::string();
}

std::string CacheKey(const std::string& user, const std::string& hash,
                     const std::string& password) {
  // Length-prefixed parts, so ("ab", "c") and ("a", "bc") cannot collide.
  std::string material;
  for (const std::string* part : {&user, &hash, &password}) {
    material += std::to_string(part->size()) + ":" + *part;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(material.data(), material.size(), digest, &length, EVP_sha256(), nullptr);
  OPENSSL_cleanse(material.data(), material.size());
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

WebConfigResult LoadWebConfigString(std::string_view yaml, const std::string& source_name,
                                    const std::filesystem::path& base_dir) {
  WebConfigResult result;
  result.error =
      config::strict_yaml::Load(yaml, source_name, "", [&](const config::yaml::Node& root) {
        result.config = Loader(source_name, base_dir).Load(root);
      });
  return result;
}

WebConfigResult LoadWebConfigFile(const std::string& path) {
  std::string error;
  const std::optional<std::string> text = config::ReadTextFile(path, &error);
  if (!text) return {std::nullopt, config::ConfigError{path, 0, "", "cannot read file: " + error}};
  return LoadWebConfigString(*text, path, std::filesystem::path(path).parent_path());
}

std::optional<TlsSetupError> ConfigureSslContext(const TlsServerConfig& tls, SSL_CTX* ctx) {
  ERR_clear_error();
  auto fail = [](std::string field, std::string message) {
    return TlsSetupError{"tls_server_config." + std::move(field),
                         std::move(message) + ": " + OpenSslErrors()};
  };
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (tls.prefer_server_cipher_suites) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    return fail("cert_file", "cannot load the certificate from " + Quote(tls.cert_file));
  }
  const std::string mismatch = "the private key in " + Quote(tls.key_file) +
                               " does not match the certificate in " + Quote(tls.cert_file);
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL refuses another pair's key here already; say which of the two went wrong.
    if (PemFileHasPrivateKey(tls.key_file)) return fail("key_file", mismatch);
    return fail("key_file", "cannot load the private key from " + Quote(tls.key_file));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("key_file", mismatch);
  auto protocol = [](TlsVersion version) {
    return version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  };
  if (SSL_CTX_set_min_proto_version(ctx, protocol(tls.min_version)) != 1) {
    return fail("min_version", "cannot set the minimum TLS version");
  }
  if (tls.max_version && SSL_CTX_set_max_proto_version(ctx, protocol(*tls.max_version)) != 1) {
    return fail("max_version", "cannot set the maximum TLS version");
  }
  if (!tls.cipher_suites.empty()) {
    std::string list;
    for (const auto& suite : tls.cipher_suites) list += (list.empty() ? "" : ":") + suite;
    if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
      return fail("cipher_suites", "none of the cipher suites is available");
    }
  }
  if (!tls.curve_preferences.empty()) {
    std::string list;
    for (const auto& curve : tls.curve_preferences) list += (list.empty() ? "" : ":") + curve;
    if (SSL_CTX_set1_groups_list(ctx, list.c_str()) != 1) {
      return fail("curve_preferences", "cannot set the curves");
    }
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      return fail("client_ca_file",
                  "cannot load CA certificates from " + Quote(tls.client_ca_file));
    }
    // The CA names sent in the CertificateRequest, so clients pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr) {
      return fail("client_ca_file", "no CA certificate in " + Quote(tls.client_ca_file));
    }
    SSL_CTX_set_client_CA_list(ctx, names);
  }
  switch (tls.client_auth_type) {
    case ClientAuthType::kNoClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuthType::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuthType::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         AcceptAnyCertificate);
      break;
    case ClientAuthType::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuthType::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  return std::nullopt;
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users,
                                       std::size_t cache_capacity)
    : users_(std::move(users)), cache_capacity_(cache_capacity) {}

bool BasicAuthenticator::Authorize(std::string_view authorization) const {
  constexpr std::string_view kScheme = "basic ";
  if (!EqualsIgnoringCase(authorization.substr(0, kScheme.size()), kScheme)) return false;
  const auto decoded = DecodeBase64(authorization.substr(kScheme.size()));
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  return Verify(decoded->substr(0, colon), decoded->substr(colon + 1));
}

bool BasicAuthenticator::Verify(const std::string& user, const std::string& password) const {
  const auto found = users_.find(user);
  const bool known = found != users_.end();
  const std::string& hash = known ? found->second : std::string(kUnknownUserHash);
  const std::string key = CacheKey(user, hash, password);
  {
    std::lock_guard lock(mu_);
    if (known && cache_.contains(key)) return true;
  }
  const std::string computed = Bcrypt(password, hash);
  const bool matches = computed.size() == hash.size() &&
                       CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
  if (!known || !matches) return false;
  if (cache_capacity_ > 0) {
    std::lock_guard lock(mu_);
    if (cache_.insert(key).second) {
      cache_order_.push_back(key);
      if (cache_order_.size() > cache_capacity_) {
        cache_.erase(cache_order_.front());
        cache_order_.pop_front();
      }
    }
  }
  return true;
}

std::size_t BasicAuthenticator::CachedCount() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

}  // namespace healthgap::server
