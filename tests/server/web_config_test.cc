// --web.config.file: loading (exact errors, promtool agrees on the valid files), basic auth, and
// a running ExporterServer with TLS, mTLS and basic auth checked with the real curl binary.

#include "server/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "common/base64.h"
#include "server/exporter_server.h"
#include "support/pki.h"
#include "support/serving_port.h"
#include "support/slow_clients.h"
#include "support/subprocess.h"

namespace healthgap::server {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::Subprocess;

namespace fs = std::filesystem;

const fs::path kTestdata = fs::path(HEALTHGAP_SOURCE_DIR) / "tests/server/testdata";
constexpr char kBinary[] = HEALTHGAP_BINARY;
// The password of every user in the testdata files.
constexpr char kPassword[] = "s3cret";
constexpr char kHashOfPassword[] = "$2y$04$wctqkFN8Dy06vENEUWGOi.dAV/LnwslXtrhg9z2nK4.ailmc6fqI6";

struct Finished {
  std::optional<int> exit_code;
  std::string output;  // stdout and stderr
};

Finished RunProcess(const std::vector<std::string>& argv, seconds timeout = seconds(60)) {
  Subprocess process(argv, Subprocess::Stderr::kMergeIntoStdout);
  Finished finished;
  finished.output = process.ReadAll(timeout);
  finished.exit_code = process.WaitForExitCode(seconds(10));
  return finished;
}

using testing::Pki;

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string BasicHeader(const std::string& credentials);

class WebConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Pki::Get().error(), ""); }
};

// ---- valid files: we load them, and so does the real promtool -------------------------------

class ValidWebConfigTest : public WebConfigFilesTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(ValidWebConfigTest, LoadsAndPromtoolAgrees) {
  const fs::path file = Pki::Get().Copy(kTestdata / (GetParam()));
  const WebConfigResult loaded = LoadWebConfigFile(file.string());
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  const Finished promtool = RunProcess({"promtool", "check", "web-config", file.string()});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output;
  EXPECT_THAT(promtool.output, HasSubstr("SUCCESS"));
}

std::vector<std::string> TestdataFiles(const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kTestdata)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Testdata, ValidWebConfigTest,
                         ::testing::ValuesIn(TestdataFiles("web-valid-")), [](const auto& info) {
                           std::string name = info.param.substr(10, info.param.size() - 14);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST_F(WebConfigFilesTest, EmptyFileMeansPlainHttpWithoutAuth) {
  const auto loaded =
      LoadWebConfigFile(Pki::Get().Copy(kTestdata / ("web-valid-empty.yml")).string());
  ASSERT_TRUE(loaded.config);
  EXPECT_EQ(*loaded.config, WebConfig{});
}

TEST_F(WebConfigFilesTest, FieldsAreReadAndPathsResolveAgainstTheFilesDirectory) {
  const auto loaded =
      LoadWebConfigFile(Pki::Get().Copy(kTestdata / ("web-valid-mtls.yml")).string());
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  ASSERT_TRUE(loaded.config->tls);
  const TlsServerConfig& tls = *loaded.config->tls;
  EXPECT_EQ(tls.cert_file, (Pki::Get() / "server.crt").string());
  EXPECT_EQ(tls.key_file, (Pki::Get() / "server.key").string());
  EXPECT_EQ(tls.client_ca_file, (Pki::Get() / "client-ca.crt").string());
  EXPECT_EQ(tls.client_auth_type, ClientAuthType::kRequireAndVerifyClientCert);
  EXPECT_EQ(tls.min_version, TlsVersion::kTls12);
  EXPECT_EQ(tls.max_version, TlsVersion::kTls13);
  EXPECT_EQ(tls.cipher_suites, (std::vector<std::string>{"ECDHE-ECDSA-AES128-GCM-SHA256",
                                                         "ECDHE-RSA-AES256-GCM-SHA384"}));
  EXPECT_FALSE(tls.prefer_server_cipher_suites);
  EXPECT_EQ(tls.curve_preferences, (std::vector<std::string>{"X25519", "P-256"}));
  EXPECT_TRUE(loaded.config->basic_auth_users.empty());
}

TEST_F(WebConfigFilesTest, UsersAndHeadersAreRead) {
  const auto loaded =
      LoadWebConfigFile(Pki::Get().Copy(kTestdata / ("web-valid-basic-auth.yml")).string());
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  EXPECT_FALSE(loaded.config->tls);
  EXPECT_EQ(loaded.config->basic_auth_users.size(), 2u);
  EXPECT_EQ(loaded.config->basic_auth_users.at("prometheus"), kHashOfPassword);
  EXPECT_EQ(loaded.config->headers,
            (std::vector<std::pair<std::string, std::string>>{
                {"X-Frame-Options", "deny"}, {"X-Content-Type-Options", "nosniff"}}));
}

TEST_F(WebConfigFilesTest, AbsolutePathsStayAsTheyAre) {
  const fs::path file = Pki::Get().Write(
      "absolute.yml", "tls_server_config:\n  cert_file: " + (Pki::Get() / "server.crt").string() +
                          "\n  key_file: " + (Pki::Get() / "server.key").string() + "\n");
  const auto loaded = LoadWebConfigFile(file.string());
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  EXPECT_EQ(loaded.config->tls->cert_file, (Pki::Get() / "server.crt").string());
}

TEST_F(WebConfigFilesTest, DocumentedExampleLoadsPassesPromtoolAndItsPasswordWorks) {
  std::ifstream doc(fs::path(HEALTHGAP_SOURCE_DIR) / "docs/security.md");
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  const auto start = text.find("# /etc/healthgap/web.yml\n");
  ASSERT_NE(start, std::string::npos) << "the example is gone from docs/security.md";
  const std::string example = text.substr(start, text.find("```", start) - start);
  // The files it names, next to it.
  const fs::path dir = Pki::Get() / "documented";
  fs::create_directories(dir);
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"server.crt", "healthgap.crt"},
                                                        {"server.key", "healthgap.key"},
                                                        {"client-ca.crt", "prometheus-ca.crt"}}) {
    fs::copy_file(Pki::Get() / from, dir / to, fs::copy_options::overwrite_existing);
  }
  std::ofstream(dir / "web.yml") << example;
  const WebConfigResult loaded = LoadWebConfigFile((dir / "web.yml").string());
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  const Finished promtool =
      RunProcess({"promtool", "check", "web-config", (dir / "web.yml").string()});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output;
  BasicAuthenticator auth(loaded.config->basic_auth_users);
  EXPECT_TRUE(auth.Authorize(BasicHeader("prometheus:change-me")));
}

// ---- invalid files: one per rule, exact messages --------------------------------------------

// testdata/web-invalid-NAME.yml, copied next to the certificates, must fail with
// "<copied path>" + expected_after_path, where {dir} stands for the certificates' directory.
// OpenSSL's own reasons vary between versions, so for those only the beginning is fixed.
struct InvalidCase {
  std::string name;
  std::string expected_after_path;
  bool prefix_only = false;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const InvalidCase& c, std::ostream* out) { *out << c.name; }

const std::vector<InvalidCase>& InvalidCases() {
  static const std::vector<InvalidCase> cases = {
      {"unknown-top-key",
       R"(:1: tls_config: unknown key "tls_config"; expected one of tls_server_config, http_server_config, basic_auth_users)"},
      {"unknown-tls-key",
       R"(:4: tls_server_config.client_allowed_sans: unknown key "client_allowed_sans"; expected one of cert_file, key_file, client_auth_type, client_ca_file, min_version, max_version, cipher_suites, prefer_server_cipher_suites, curve_preferences)"},
      {"missing-key-file", R"(:1: tls_server_config.key_file: required field is missing)"},
      {"cert-file-not-found",
       R"(:2: tls_server_config.cert_file: cannot read "{dir}/no-such.crt": no such file)"},
      {"cert-not-pem",
       R"(:2: tls_server_config.cert_file: cannot load the certificate from "{dir}/web-invalid-cert-not-pem.yml": )",
       true},
      {"key-mismatch",
       R"(:3: tls_server_config.key_file: the private key in "{dir}/client.key" does not match the certificate in "{dir}/server.crt": )",
       true},
      {"client-auth-type",
       R"(:4: tls_server_config.client_auth_type: unknown client_auth_type "RequireClientCertPlease"; expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)"},
      {"verify-without-ca",
       R"(:4: tls_server_config.client_ca_file: required when client_auth_type is RequireAndVerifyClientCert: client certificates are verified against it)"},
      {"ca-without-client-auth",
       R"(:4: tls_server_config.client_ca_file: client CA configured without a client_auth_type that asks for client certificates)"},
      {"min-version-tls10",
       R"(:4: tls_server_config.min_version: "TLS10" is not supported: TLS 1.0 and 1.1 are obsolete; use TLS12 or TLS13)"},
      {"max-below-min",
       R"(:5: tls_server_config.max_version: max_version is lower than min_version; no TLS version would be left)"},
      {"cipher-tls13",
       R"(:6: tls_server_config.cipher_suites[1]: "TLS_AES_128_GCM_SHA256" is a TLS 1.3 suite; TLS 1.3 suites are not configurable, list TLS 1.2 suites only)"},
      {"cipher-unknown",
       R"(:4: tls_server_config.cipher_suites[0]: unknown or unsupported cipher suite "TLS_RSA_WITH_RC4_128_SHA")"},
      {"curve-unknown",
       R"(:4: tls_server_config.curve_preferences[0]: unknown curve "P-256"; expected one of CurveP256, CurveP384, CurveP521, X25519)"},
      {"header-not-allowed",
       R"(:3: http_server_config.headers.X-Powered-By: header "X-Powered-By" cannot be configured; allowed: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)"},
      {"header-value",
       R"(:3: http_server_config.headers.X-Frame-Options: invalid value "allow-from-anywhere"; expected "deny" or "sameorigin")"},
      {"http2-not-bool", R"(:2: http_server_config.http2: expected true or false, got "maybe")"},
      {"bcrypt-plaintext",
       R"(:2: basic_auth_users.prometheus: expected a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-31, 60 characters), e.g. from `htpasswd -nBC 10 prometheus`)"},
      {"bcrypt-md5",
       R"(:2: basic_auth_users.prometheus: expected a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-31, 60 characters), e.g. from `htpasswd -nBC 10 prometheus`)"},
      {"username-colon",
       R"(:2: basic_auth_users.prom:etheus: username must not contain ":" (HTTP Basic auth splits on it))"},
      {"duplicate-user",
       R"(:3: basic_auth_users.prometheus: duplicate key "prometheus", first set at line 2)"},
      {"top-level-list", R"(:1: expected a map, got a list)"},
      {"yaml-syntax",
       R"(:2: invalid YAML: did not find expected ',' or ']' (column 1; while parsing a flow sequence that starts at line 1))"},
  };
  return cases;
}

class InvalidWebConfigTest : public WebConfigFilesTest,
                             public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(InvalidWebConfigTest, FailsWithExactMessage) {
  const fs::path file = Pki::Get().Copy(kTestdata / ("web-invalid-" + GetParam().name + ".yml"));
  const WebConfigResult loaded = LoadWebConfigFile(file.string());
  ASSERT_FALSE(loaded.config);
  ASSERT_TRUE(loaded.error);
  const std::string expected = file.string() + ReplaceAll(GetParam().expected_after_path, "{dir}",
                                                          Pki::Get().dir().string());
  if (GetParam().prefix_only) {
    EXPECT_THAT(loaded.error->Format(), StartsWith(expected));
    EXPECT_GT(loaded.error->Format().size(), expected.size()) << "OpenSSL's reason is missing";
  } else {
    EXPECT_EQ(loaded.error->Format(), expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, InvalidWebConfigTest, ::testing::ValuesIn(InvalidCases()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// A testdata file nobody asserts on is a rule nobody checks.
TEST(InvalidWebConfigFilesTest, EveryFileHasACaseAndEveryCaseAFile) {
  std::set<std::string> files;
  for (const auto& name : TestdataFiles("web-invalid-")) files.insert(name);
  std::set<std::string> cases;
  for (const auto& c : InvalidCases()) cases.insert("web-invalid-" + c.name + ".yml");
  EXPECT_EQ(files, cases);
}

TEST(LoadWebConfigFileTest, MissingFileNamesTheFile) {
  const auto loaded = LoadWebConfigFile("/nonexistent/web.yml");
  ASSERT_TRUE(loaded.error);
  EXPECT_EQ(loaded.error->Format(),
            "/nonexistent/web.yml: cannot read file: No such file or directory");
}

// ---- basic auth -----------------------------------------------------------------------------

std::string BasicHeader(const std::string& credentials) {
  return "Basic " + EncodeBase64(credentials);
}

TEST(BasicAuthenticatorTest, AcceptsTheRightPasswordOnly) {
  // $2y$ (htpasswd), $2b$ (python's crypt) and $2a$ hashes of the same password.
  std::string hash_2b = kHashOfPassword;
  hash_2b[2] = 'b';
  std::string hash_2a = kHashOfPassword;
  hash_2a[2] = 'a';
  BasicAuthenticator auth({{"y", kHashOfPassword}, {"b", hash_2b}, {"a", hash_2a}});
  EXPECT_TRUE(auth.Authorize(BasicHeader("y:s3cret")));
  EXPECT_TRUE(auth.Authorize(BasicHeader("b:s3cret")));
  EXPECT_TRUE(auth.Authorize(BasicHeader("a:s3cret")));
  EXPECT_TRUE(auth.Authorize("basic " + BasicHeader("y:s3cret").substr(6)));  // scheme any case
  EXPECT_FALSE(auth.Authorize(BasicHeader("y:S3cret")));
  EXPECT_FALSE(auth.Authorize(BasicHeader("y:s3cret ")));
  EXPECT_FALSE(auth.Authorize(BasicHeader("y:")));
  EXPECT_FALSE(auth.Authorize(BasicHeader("nobody:s3cret")));
  EXPECT_FALSE(auth.Authorize(BasicHeader("y")));
  EXPECT_FALSE(auth.Authorize(""));
  EXPECT_FALSE(auth.Authorize("Bearer " + BasicHeader("y:s3cret").substr(6)));
  EXPECT_FALSE(auth.Authorize("Basic !!!!"));
}

TEST(BasicAuthenticatorTest, PasswordsMayContainColons) {
  // Only the first colon separates user and password. The hash is made here by python's crypt,
  // the other tool docs/security.md suggests.
  const Finished run = RunProcess({"python3", "-W", "ignore", "-c",
                                   "import crypt; print(crypt.crypt('s3:cret', "
                                   "crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string hash = run.output.substr(0, run.output.find('\n'));
  ASSERT_THAT(hash, StartsWith("$2b$04$"));
  BasicAuthenticator auth({{"u", hash}});
  EXPECT_TRUE(auth.Authorize(BasicHeader("u:s3:cret")));
  EXPECT_FALSE(auth.Authorize(BasicHeader("u:s3")));
  EXPECT_FALSE(auth.Authorize(BasicHeader("u:s3:cret:")));
}

TEST(BasicAuthenticatorTest, RemembersSuccessesOnlyAndStaysBounded) {
  BasicAuthenticator auth({{"a", kHashOfPassword}, {"b", kHashOfPassword}, {"c", kHashOfPassword}},
                          /*cache_capacity=*/2);
  EXPECT_FALSE(auth.Authorize(BasicHeader("a:wrong")));
  EXPECT_EQ(auth.CachedCount(), 0u);
  EXPECT_TRUE(auth.Authorize(BasicHeader("a:s3cret")));
  EXPECT_EQ(auth.CachedCount(), 1u);
  EXPECT_TRUE(auth.Authorize(BasicHeader("a:s3cret")));  // from the cache: still one entry
  EXPECT_EQ(auth.CachedCount(), 1u);
  EXPECT_FALSE(auth.Authorize(BasicHeader("a:s3cret!")));  // a cached success is not a prefix
  EXPECT_TRUE(auth.Authorize(BasicHeader("b:s3cret")));
  EXPECT_TRUE(auth.Authorize(BasicHeader("c:s3cret")));
  EXPECT_EQ(auth.CachedCount(), 2u);
  EXPECT_TRUE(auth.Authorize(BasicHeader("a:s3cret")));  // evicted, verified again
  EXPECT_EQ(auth.CachedCount(), 2u);
}

// ---- a running ExporterServer, checked with the real curl -----------------------------------

struct CurlResult {
  int exit_code = -1;
  int http_status = 0;  // 0 when no HTTP response arrived
  std::string headers_and_body;
};

// curl ARGS... URL; -w appends the status on a line of its own.
CurlResult Curl(std::vector<std::string> args) {
  args.insert(args.begin(), {"curl", "--silent", "--show-error", "--include", "--max-time", "20",
                             "--write-out", "\nHTTP_STATUS=%{http_code}"});
  const Finished run = RunProcess(args);
  CurlResult result;
  result.exit_code = run.exit_code.value_or(-1);
  result.headers_and_body = run.output;
  std::smatch match;
  if (std::regex_search(run.output, match, std::regex("HTTP_STATUS=(\\d+)"))) {
    result.http_status = std::stoi(match[1]);
  }
  return result;
}

class SecureServerTest : public WebConfigFilesTest {
 protected:
  // Starts an ExporterServer with the web config `yaml` (written next to the certificates).
  void StartWith(const std::string& yaml) {
    const fs::path file = Pki::Get().Write("web-" + std::to_string(++files_) + ".yml", yaml);
    const WebConfigResult loaded = LoadWebConfigFile(file.string());
    ASSERT_TRUE(loaded.config) << loaded.error->Format();
    server_ = std::make_unique<ExporterServer>(Endpoints{
        .metrics = [](const auto& sink) { sink("healthgap_up 1\n"); },
        .status_html = [] { return std::string("<html></html>"); },
        .status_json = [] { return std::string("{}"); },
        .reload = [] { return std::optional<std::string>(); },
        .probe = {},
    });
    std::string error;
    ASSERT_TRUE(server_->Start(ListenAddress{"127.0.0.1", 0}, &error, *loaded.config)) << error;
  }
  std::string Https(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  std::string CaCert() const { return (Pki::Get() / "ca.crt").string(); }

  static inline int files_ = 0;
  std::unique_ptr<ExporterServer> server_;
};

constexpr char kTlsAndAuth[] = R"(tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prometheus: $2y$04$wctqkFN8Dy06vENEUWGOi.dAV/LnwslXtrhg9z2nK4.ailmc6fqI6
http_server_config:
  headers:
    X-Frame-Options: deny
)";

TEST_F(SecureServerTest, HttpsWithTheRightPasswordServesEveryEndpoint) {
  StartWith(kTlsAndAuth);
  for (const std::string path : {"/metrics", "/-/healthy", "/-/ready", "/", "/api/v1/status"}) {
    const CurlResult ok = Curl({"--cacert", CaCert(), "--user", "prometheus:s3cret", Https(path)});
    EXPECT_EQ(ok.http_status, 200) << path << "\n" << ok.headers_and_body;
    EXPECT_THAT(ok.headers_and_body, HasSubstr("X-Frame-Options: deny")) << path;
  }
  const CurlResult metrics =
      Curl({"--cacert", CaCert(), "--user", "prometheus:s3cret", Https("/metrics")});
  EXPECT_THAT(metrics.headers_and_body, HasSubstr("healthgap_up 1"));
  const CurlResult reload =
      Curl({"--cacert", CaCert(), "--user", "prometheus:s3cret", "--data", "", Https("/-/reload")});
  EXPECT_EQ(reload.http_status, 200) << reload.headers_and_body;
}

// TLS connections that finish their handshake and then send half a request head, each holding
// its OpenSSL session. Bounded: `count` connections, closed by the destructor.
class SlowTlsClients {
 public:
  SlowTlsClients(int port, std::size_t count, const std::string& head_start)
      : context_(SSL_CTX_new(TLS_client_method())) {
    for (std::size_t i = 0; i < count && context_; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<uint16_t>(port));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd);
        break;
      }
      SSL* ssl = SSL_new(context_);
      SSL_set_fd(ssl, fd);
      if (SSL_connect(ssl) != 1 ||
          SSL_write(ssl, head_start.data(), static_cast<int>(head_start.size())) <= 0) {
        SSL_free(ssl);
        ::close(fd);
        break;
      }
      sessions_.emplace_back(ssl, fd);
    }
  }
  ~SlowTlsClients() {
    for (auto& [ssl, fd] : sessions_) {
      SSL_free(ssl);
      ::close(fd);
    }
    if (context_) SSL_CTX_free(context_);
  }
  std::size_t connected() const { return sessions_.size(); }

 private:
  SSL_CTX* context_;
  std::vector<std::pair<SSL*, int>> sessions_;
};

// The outside review's slowloris, on the TLS listener: clients that stall in the handshake
// (silent, or half a ClientHello) and clients that stall after it hold no thread either.
TEST_F(SecureServerTest, ScrapesAreAnsweredWhileSlowTlsClientsHoldConnections) {
  StartWith(kTlsAndAuth);
  testing::SlowClients silent(server_->port(), 500, "");
  testing::SlowClients half_hello(server_->port(), 300,
                                  std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  SlowTlsClients half_head(server_->port(), 200, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
  ASSERT_EQ(silent.connected(), 500u);
  ASSERT_EQ(half_hello.connected(), 300u);
  ASSERT_EQ(half_head.connected(), 200u);
  for (int scrape = 0; scrape < 5; ++scrape) {
    const CurlResult ok =
        Curl({"--cacert", CaCert(), "--user", "prometheus:s3cret", Https("/metrics")});
    EXPECT_EQ(ok.http_status, 200) << ok.headers_and_body;
    EXPECT_THAT(ok.headers_and_body, HasSubstr("healthgap_up 1"));
    half_hello.Trickle('\0');
  }
}

TEST_F(SecureServerTest, MissingOrWrongCredentialsGet401WithAChallenge) {
  StartWith(kTlsAndAuth);
  for (const std::string path : {"/metrics", "/-/healthy", "/probe", "/no-such-page"}) {
    const CurlResult anonymous = Curl({"--cacert", CaCert(), Https(path)});
    EXPECT_EQ(anonymous.http_status, 401) << path << "\n" << anonymous.headers_and_body;
    EXPECT_THAT(anonymous.headers_and_body,
                HasSubstr("WWW-Authenticate: Basic realm=\"healthgap\""));
    EXPECT_THAT(anonymous.headers_and_body, HasSubstr("X-Frame-Options: deny"));
    EXPECT_THAT(anonymous.headers_and_body, Not(HasSubstr("healthgap_up")));
  }
  const CurlResult wrong =
      Curl({"--cacert", CaCert(), "--user", "prometheus:S3CRET", Https("/metrics")});
  EXPECT_EQ(wrong.http_status, 401) << wrong.headers_and_body;
  EXPECT_THAT(wrong.headers_and_body, Not(HasSubstr("healthgap_up")));
  const CurlResult unknown =
      Curl({"--cacert", CaCert(), "--user", "root:s3cret", Https("/metrics")});
  EXPECT_EQ(unknown.http_status, 401);
}

TEST_F(SecureServerTest, PlainHttpAndUnknownCaAreRefused) {
  StartWith(kTlsAndAuth);
  const CurlResult plain =
      Curl({"--user", "prometheus:s3cret",
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/metrics"});
  EXPECT_NE(plain.exit_code, 0) << plain.headers_and_body;
  EXPECT_EQ(plain.http_status, 0) << plain.headers_and_body;
  // The server's CA is not the system's: without --cacert the certificate does not verify.
  const CurlResult untrusted = Curl({"--user", "prometheus:s3cret", Https("/metrics")});
  EXPECT_EQ(untrusted.exit_code, 60)
      << untrusted.headers_and_body;  // CURLE_PEER_FAILED_VERIFICATION
}

constexpr char kMutualTls[] = R"(tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: client-ca.crt
)";

TEST_F(SecureServerTest, MutualTlsAcceptsOnlyClientsSignedByTheClientCa) {
  StartWith(kMutualTls);
  const CurlResult signed_client =
      Curl({"--cacert", CaCert(), "--cert", (Pki::Get() / "client.crt").string(), "--key",
            (Pki::Get() / "client.key").string(), Https("/metrics")});
  EXPECT_EQ(signed_client.http_status, 200) << signed_client.headers_and_body;

  const CurlResult no_cert = Curl({"--cacert", CaCert(), Https("/metrics")});
  EXPECT_NE(no_cert.exit_code, 0);
  EXPECT_EQ(no_cert.http_status, 0) << no_cert.headers_and_body;

  const CurlResult rogue =
      Curl({"--cacert", CaCert(), "--cert", (Pki::Get() / "rogue.crt").string(), "--key",
            (Pki::Get() / "rogue.key").string(), Https("/metrics")});
  EXPECT_NE(rogue.exit_code, 0);
  EXPECT_EQ(rogue.http_status, 0) << rogue.headers_and_body;
}

TEST_F(SecureServerTest, VerifyClientCertIfGivenAllowsNoCertButNotABadOne) {
  StartWith(ReplaceAll(kMutualTls, "RequireAndVerifyClientCert", "VerifyClientCertIfGiven"));
  EXPECT_EQ(Curl({"--cacert", CaCert(), Https("/metrics")}).http_status, 200);
  const CurlResult rogue =
      Curl({"--cacert", CaCert(), "--cert", (Pki::Get() / "rogue.crt").string(), "--key",
            (Pki::Get() / "rogue.key").string(), Https("/metrics")});
  EXPECT_EQ(rogue.http_status, 0) << rogue.headers_and_body;
}

TEST_F(SecureServerTest, RequireAnyClientCertTakesAnUnverifiedCertButNotNone) {
  StartWith(ReplaceAll(kMutualTls, "RequireAndVerifyClientCert", "RequireAnyClientCert"));
  const CurlResult rogue =
      Curl({"--cacert", CaCert(), "--cert", (Pki::Get() / "rogue.crt").string(), "--key",
            (Pki::Get() / "rogue.key").string(), Https("/metrics")});
  EXPECT_EQ(rogue.http_status, 200) << rogue.headers_and_body;
  EXPECT_EQ(Curl({"--cacert", CaCert(), Https("/metrics")}).http_status, 0);
}

TEST_F(SecureServerTest, MinVersionTls13RefusesATls12OnlyClient) {
  StartWith(R"(tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS13
)");
  const CurlResult tls12 = Curl({"--cacert", CaCert(), "--tls-max", "1.2", Https("/metrics")});
  EXPECT_NE(tls12.exit_code, 0);
  EXPECT_EQ(tls12.http_status, 0) << tls12.headers_and_body;
  const CurlResult tls13 = Curl({"--cacert", CaCert(), "--tlsv1.3", Https("/metrics")});
  EXPECT_EQ(tls13.http_status, 200) << tls13.headers_and_body;
}

TEST_F(SecureServerTest, MaxVersionTls12RefusesATls13OnlyClient) {
  StartWith(R"(tls_server_config:
  cert_file: server.crt
  key_file: server.key
  max_version: TLS12
)");
  EXPECT_EQ(Curl({"--cacert", CaCert(), "--tlsv1.3", Https("/metrics")}).http_status, 0);
  EXPECT_EQ(Curl({"--cacert", CaCert(), "--tls-max", "1.2", Https("/metrics")}).http_status, 200);
}

TEST_F(SecureServerTest, BasicAuthWithoutTlsOverPlainHttp) {
  StartWith(R"(basic_auth_users:
  prometheus: $2y$04$wctqkFN8Dy06vENEUWGOi.dAV/LnwslXtrhg9z2nK4.ailmc6fqI6
)");
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/metrics";
  EXPECT_EQ(Curl({url}).http_status, 401);
  EXPECT_EQ(Curl({"--user", "prometheus:s3cret", url}).http_status, 200);
}

TEST_F(SecureServerTest, DefaultWebConfigIsPlainHttpWithoutAuth) {
  StartWith("");
  const CurlResult plain =
      Curl({"http://127.0.0.1:" + std::to_string(server_->port()) + "/metrics"});
  EXPECT_EQ(plain.http_status, 200) << plain.headers_and_body;
  EXPECT_THAT(plain.headers_and_body, Not(HasSubstr("WWW-Authenticate")));
}

// ---- the real binary ------------------------------------------------------------------------

TEST_F(WebConfigFilesTest, ServeWithABadWebConfigExitsTwoNamingTheFile) {
  const fs::path bad = Pki::Get().Copy(kTestdata / ("web-invalid-header-value.yml"));
  const Finished run = RunProcess(
      {kBinary, "serve", "--config", std::string(HEALTHGAP_SOURCE_DIR) + "/examples/healthgap.yml",
       "--web.listen-address", "127.0.0.1:0", "--web.config.file", bad.string()});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr(bad.string() + ":3: http_server_config.headers.X-Frame-Options"));
}

TEST_F(WebConfigFilesTest, ServeWithAMissingWebConfigExitsTwoNamingTheFile) {
  const Finished run = RunProcess(
      {kBinary, "serve", "--config", std::string(HEALTHGAP_SOURCE_DIR) + "/examples/healthgap.yml",
       "--web.listen-address", "127.0.0.1:0", "--web.config.file", "/nonexistent/web.yml"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("/nonexistent/web.yml: cannot read file"));
}

TEST_F(WebConfigFilesTest, ServeWithTlsAndAuthAnswersHttpsOnly) {
  const fs::path web = Pki::Get().Write("serve-web.yml", kTlsAndAuth);
  Subprocess serve(
      {kBinary, "serve", "--config", std::string(HEALTHGAP_SOURCE_DIR) + "/examples/healthgap.yml",
       "--web.listen-address", "127.0.0.1:0", "--web.config.file", web.string()},
      Subprocess::Stderr::kMergeIntoStdout);
  const std::optional<int> port = testing::ReadServingPort(serve, seconds(30));
  ASSERT_TRUE(port) << "no startup line with the bound address";
  const std::string url = "https://127.0.0.1:" + std::to_string(*port) + "/metrics";
  const std::string ca = (Pki::Get() / "ca.crt").string();
  EXPECT_EQ(Curl({"--cacert", ca, url}).http_status, 401);
  const CurlResult ok = Curl({"--cacert", ca, "--user", "prometheus:s3cret", url});
  EXPECT_EQ(ok.http_status, 200) << ok.headers_and_body;
  EXPECT_THAT(ok.headers_and_body, HasSubstr("healthgap_"));
  const CurlResult plain = Curl(
      {"--user", "prometheus:s3cret", "http://127.0.0.1:" + std::to_string(*port) + "/metrics"});
  EXPECT_EQ(plain.http_status, 0) << plain.headers_and_body;
  serve.Terminate();
  EXPECT_EQ(serve.WaitForExitCode(seconds(20)), 0);
}

}  // namespace
}  // namespace healthgap::server
