// The request options that make a probe send what the balancer or the client sends, against
// real servers started here: a proxy (tinyproxy), HTTP/2 and gzip (nginx), an IP protocol.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "common/clock.h"
#include "probe/blocking.h"
#include "probe/curl_multi_client.h"
#include "support/nginx.h"
#include "support/pki.h"
#include "support/tinyproxy.h"

namespace healthgap::probe {
namespace {

using ::testing::HasSubstr;
using testing::Nginx;
using testing::Pki;
using testing::Tinyproxy;

class HttpOptionsTest : public ::testing::Test {
 protected:
  HttpResult Send(HttpRequest request) {
    request.timeout = std::chrono::seconds(10);
    return SendAndWait(client_, std::move(request));
  }
  static HttpRequest Get(const std::string& url) {
    HttpRequest request;
    request.url = url;
    return request;
  }

  RealClock clock_;
  CurlMultiClient client_{clock_};
};

// nginx echoes the Via header tinyproxy adds: "via=" empty means the request came directly.
const char kEchoVia[] =
    "server { listen 127.0.0.1:{PORT}; location / { return 200 \"via=$http_via\"; } }";

TEST_F(HttpOptionsTest, AProxyIsUsedOnlyWhenConfiguredWhateverTheEnvironmentSays) {
  Nginx backend(kEchoVia);
  ASSERT_GT(backend.port(), 0) << backend.error();
  Tinyproxy proxy;
  ASSERT_GT(proxy.port(), 0) << proxy.log();
  const std::string url = "http://127.0.0.1:" + std::to_string(backend.port()) + "/health";

  HttpRequest proxied = Get(url);
  proxied.proxy = proxy.url();
  const HttpResult through = Send(proxied);
  ASSERT_EQ(through.error, std::nullopt) << through.error_message;
  EXPECT_THAT(through.body, HasSubstr("healthgap-test-proxy"));

  // A load balancer connects directly: http_proxy in the environment changes nothing.
  ::setenv("http_proxy", proxy.url().c_str(), 1);
  const HttpResult direct = Send(Get(url));
  ::unsetenv("http_proxy");
  ASSERT_EQ(direct.error, std::nullopt) << direct.error_message;
  EXPECT_EQ(direct.body, "via=");
}

TEST_F(HttpOptionsTest, HttpVersionIsReportedAndValidVersionsAreEnforced) {
  ASSERT_EQ(Pki::Get().error(), "");
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl http2; ssl_certificate " +
              (Pki::Get() / "server.crt").string() + "; ssl_certificate_key " +
              (Pki::Get() / "server.key").string() + "; location / { return 200 ok; } }");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  HttpRequest request = Get("https://127.0.0.1:" + std::to_string(nginx.port()) + "/");
  request.tls.ca_file = (Pki::Get() / "ca.crt").string();

  const HttpResult h2 = Send(request);
  ASSERT_EQ(h2.error, std::nullopt) << h2.error_message;
  EXPECT_EQ(h2.http_version, HttpVersion::kHttp2);

  request.valid_http_versions = {HttpVersion::kHttp11};
  const HttpResult refused = Send(request);
  EXPECT_EQ(refused.error, FailureReason::kBadResponse);
  EXPECT_EQ(refused.status_code, 200);
  EXPECT_THAT(refused.error_message, HasSubstr("HTTP/2.0, not in valid_http_versions"));

  request.valid_http_versions = {HttpVersion::kHttp11, HttpVersion::kHttp2};
  EXPECT_EQ(Send(request).error, std::nullopt);
}

TEST_F(HttpOptionsTest, CompressionIsAskedForAndDecodedWithinTheBodyCap) {
  const std::string text(2000, 'a');
  Nginx nginx(
      "server { listen 127.0.0.1:{PORT}; gzip on; gzip_min_length 1; gzip_types "
      "text/plain; default_type text/plain; location / { return 200 \"" +
      text + "\"; } }");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  HttpRequest request = Get("http://127.0.0.1:" + std::to_string(nginx.port()) + "/");

  const HttpResult plain = Send(request);
  ASSERT_EQ(plain.error, std::nullopt) << plain.error_message;
  EXPECT_THAT(plain.headers, ::testing::Not(::testing::Contains(
                                 std::pair<std::string, std::string>{"content-encoding", "gzip"})));

  request.accept_encoding = "gzip";
  const HttpResult gzip = Send(request);
  ASSERT_EQ(gzip.error, std::nullopt) << gzip.error_message;
  EXPECT_THAT(gzip.headers,
              ::testing::Contains(std::pair<std::string, std::string>{"content-encoding", "gzip"}));
  EXPECT_EQ(gzip.body, text);  // decoded

  // The cap counts decoded bytes: a small compressed body that inflates past it fails.
  request.max_body_bytes = 1024;
  EXPECT_EQ(Send(request).error, FailureReason::kTooLarge);
}

TEST_F(HttpOptionsTest, ThePreferredIpProtocolIsUsedAndFallsBackOnlyWhenAllowed) {
  Nginx nginx(
      "server { listen 127.0.0.1:{PORT}; listen [::1]:{PORT}; location / { return 200; } }");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string port = std::to_string(nginx.port());

  HttpRequest both = Get("http://dual.test:" + port + "/");
  both.resolve = {"dual.test:" + port + ":127.0.0.1,[::1]"};
  both.ip_protocol = IpProtocol::kIp6;
  const HttpResult v6 = Send(both);
  ASSERT_EQ(v6.error, std::nullopt) << v6.error_message;
  EXPECT_EQ(v6.ip_protocol, IpProtocol::kIp6);
  both.ip_protocol = IpProtocol::kIp4;
  EXPECT_EQ(Send(both).ip_protocol, IpProtocol::kIp4);

  // A name with only an IPv4 address: ip6 falls back to it, unless told not to.
  HttpRequest v4_only = Get("http://v4only.test:" + port + "/");
  v4_only.resolve = {"v4only.test:" + port + ":127.0.0.1"};
  v4_only.ip_protocol = IpProtocol::kIp6;
  const HttpResult fell_back = Send(v4_only);
  ASSERT_EQ(fell_back.error, std::nullopt) << fell_back.error_message;
  EXPECT_EQ(fell_back.ip_protocol, IpProtocol::kIp4);
  v4_only.ip_protocol_fallback = false;
  EXPECT_EQ(Send(v4_only).error, FailureReason::kDns);
}

}  // namespace
}  // namespace healthgap::probe
