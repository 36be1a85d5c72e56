// The curl client's TLS options against a real nginx with certificates from a CA the test made
// (tests/support/pki.h): a private CA, a server name, a client certificate, an old version.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "common/clock.h"
#include "probe/blocking.h"
#include "probe/curl_multi_client.h"
#include "support/nginx.h"
#include "support/pki.h"

namespace healthgap::probe {
namespace {

using ::testing::HasSubstr;
using testing::Nginx;
using testing::Pki;

std::string Cert(const std::string& name) { return (Pki::Get() / name).string(); }

// Three HTTPS servers on one nginx: the server certificate (localhost, 127.0.0.1), the vhost
// certificate (api.internal only), and one that requires a client certificate from client-ca.
std::string TlsServers() {
  return "server { listen 127.0.0.1:{PORT} ssl; ssl_certificate " + Cert("server.crt") +
         "; ssl_certificate_key " + Cert("server.key") +
         "; location / { return 200 \"host=$host sni=$ssl_server_name\\n\"; } }\n";
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Pki::Get().error(), ""); }

  HttpResult Get(const std::string& url, const TlsOptions& tls) {
    HttpRequest request;
    request.url = url;
    request.timeout = std::chrono::seconds(10);
    request.tls = tls;
    return SendAndWait(client_, std::move(request));
  }

  RealClock clock_;
  CurlMultiClient client_{clock_};
};

TEST_F(TlsTest, APrivateCaIsTrustedOnlyWhenConfigured) {
  Nginx nginx(TlsServers());
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "https://127.0.0.1:" + std::to_string(nginx.port()) + "/health";

  const HttpResult untrusted = Get(url, {});
  EXPECT_EQ(untrusted.error, FailureReason::kTls);
  // curl's own reason, for logs, the status page and check (never a label).
  EXPECT_THAT(untrusted.error_message, HasSubstr("SSL certificate problem"));

  const HttpResult trusted = Get(url, TlsOptions{.ca_file = Cert("ca.crt")});
  EXPECT_EQ(trusted.error, std::nullopt) << trusted.error_message;
  EXPECT_EQ(trusted.status_code, 200);
  EXPECT_GT(trusted.phases.tls, 0);

  const HttpResult insecure = Get(url, TlsOptions{.insecure_skip_verify = true});
  EXPECT_EQ(insecure.error, std::nullopt) << insecure.error_message;
  EXPECT_EQ(insecure.status_code, 200);
}

TEST_F(TlsTest, AnExpiredCertificateFailsWithCurlsReasonAndTheTimeInTheTlsPhase) {
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_certificate " + Cert("expired.crt") +
              "; ssl_certificate_key " + Cert("expired.key") + "; location / { return 200; } }\n");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "https://127.0.0.1:" + std::to_string(nginx.port()) + "/";

  const HttpResult expired = Get(url, TlsOptions{.ca_file = Cert("ca.crt")});
  EXPECT_EQ(expired.error, FailureReason::kTls);
  EXPECT_THAT(expired.error_message, HasSubstr("certificate has expired"));
  // The handshake ran and failed: its time is the tls phase's, not lost (curl itself reports
  // no connect or appconnect time for it).
  EXPECT_GT(expired.phases.tls, 0);
  EXPECT_EQ(expired.phases.processing, 0);
  EXPECT_EQ(expired.tls, std::nullopt);

  // Skipping verification gets through, and the handshake's details say what was skipped.
  const HttpResult insecure = Get(url, TlsOptions{.insecure_skip_verify = true});
  ASSERT_EQ(insecure.error, std::nullopt) << insecure.error_message;
  ASSERT_TRUE(insecure.tls.has_value());
  EXPECT_EQ(insecure.tls->earliest_cert_expiry, 1577923200);  // 2020-01-02T00:00:00Z
  EXPECT_EQ(insecure.tls->last_chain_expiry, std::nullopt);   // nothing was verified
}

TEST_F(TlsTest, AHandshakeReportsTheVersionAndTheChainsExpiries) {
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_protocols TLSv1.2; ssl_certificate " +
              Cert("server.crt") + "; ssl_certificate_key " + Cert("server.key") +
              "; location / { return 200 ok; } }\n");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "https://127.0.0.1:" + std::to_string(nginx.port()) + "/";

  const HttpResult result = Get(url, TlsOptions{.ca_file = Cert("ca.crt")});
  ASSERT_EQ(result.error, std::nullopt) << result.error_message;
  ASSERT_TRUE(result.tls.has_value());
  EXPECT_EQ(result.tls->version, TlsVersion::kTls12);
  // Every certificate here is valid for two days from now (pki.h), the leaf made after the CA:
  // the leaf expires no earlier than the CA, so both expiries are within the CA's two days.
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(result.tls->earliest_cert_expiry, now + 86400);
  EXPECT_LE(result.tls->earliest_cert_expiry, now + 2 * 86400 + 60);
  ASSERT_TRUE(result.tls->last_chain_expiry.has_value());
  EXPECT_GT(*result.tls->last_chain_expiry, now + 86400);
  EXPECT_LE(*result.tls->last_chain_expiry, result.tls->earliest_cert_expiry);

  const HttpResult plain_http = Get("http://127.0.0.1:1/", {});
  EXPECT_EQ(plain_http.tls, std::nullopt);
}

TEST_F(TlsTest, ServerNameIsSentAsSniAndVerifiedWhileTheHostStays) {
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_certificate " + Cert("vhost.crt") +
              "; ssl_certificate_key " + Cert("vhost.key") +
              "; location / { return 200 \"host=$host sni=$ssl_server_name\"; } }\n");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "https://127.0.0.1:" + std::to_string(nginx.port()) + "/";

  // The certificate names api.internal only: by address it does not match.
  const HttpResult by_address = Get(url, TlsOptions{.ca_file = Cert("ca.crt")});
  EXPECT_EQ(by_address.error, FailureReason::kTls);
  EXPECT_THAT(by_address.error_message, HasSubstr("127.0.0.1"));

  const HttpResult by_name =
      Get(url, TlsOptions{.ca_file = Cert("ca.crt"), .server_name = "api.internal"});
  ASSERT_EQ(by_name.error, std::nullopt) << by_name.error_message;
  EXPECT_EQ(by_name.status_code, 200);
  EXPECT_EQ(by_name.body, "host=127.0.0.1 sni=api.internal");
}

TEST_F(TlsTest, AClientCertificateOpensAnMtlsTarget) {
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_certificate " + Cert("server.crt") +
              "; ssl_certificate_key " + Cert("server.key") + "; ssl_client_certificate " +
              Cert("client-ca.crt") +
              "; ssl_verify_client on; location / { return 200 \"client=$ssl_client_s_dn\"; } }\n");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "https://127.0.0.1:" + std::to_string(nginx.port()) + "/";

  // nginx answers a missing client certificate with 400.
  const HttpResult without = Get(url, TlsOptions{.ca_file = Cert("ca.crt")});
  EXPECT_EQ(without.status_code, 400) << without.error_message;

  const HttpResult with = Get(url, TlsOptions{.ca_file = Cert("ca.crt"),
                                              .cert_file = Cert("client.crt"),
                                              .key_file = Cert("client.key")});
  ASSERT_EQ(with.error, std::nullopt) << with.error_message;
  EXPECT_EQ(with.status_code, 200);
  EXPECT_EQ(with.body, "client=CN=client");
}

TEST_F(TlsTest, MinVersionAboveWhatTheServerSpeaksFails) {
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_protocols TLSv1.2; ssl_certificate " +
              Cert("server.crt") + "; ssl_certificate_key " + Cert("server.key") +
              "; location / { return 200 ok; } }\n");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "https://127.0.0.1:" + std::to_string(nginx.port()) + "/";
  const HttpResult tls12 =
      Get(url, TlsOptions{.ca_file = Cert("ca.crt"), .min_version = TlsVersion::kTls12});
  EXPECT_EQ(tls12.status_code, 200) << tls12.error_message;
  const HttpResult tls13 =
      Get(url, TlsOptions{.ca_file = Cert("ca.crt"), .min_version = TlsVersion::kTls13});
  EXPECT_EQ(tls13.error, FailureReason::kTls);
}

}  // namespace
}  // namespace healthgap::probe
