// TCP health checks (HttpRequest::tcp) on both curl clients against real loopback servers: a
// connect that is the whole check, a send/expect exchange, TLS, and the failures of each step.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/clock.h"
#include "probe/blocking.h"
#include "probe/curl_multi_client.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/nginx.h"
#include "support/pki.h"
#include "support/poll_until.h"

namespace healthgap::probe {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::HostileServer;
using testing::LoopbackServer;
using testing::PollUntil;

Regex Pattern(const std::string& text) {
  std::string error;
  return *Regex::Compile(text, &error);
}

HttpRequest Tcp(const std::string& url, TcpExchange exchange = {},
                std::chrono::milliseconds timeout = 5s) {
  HttpRequest request;
  request.url = url;
  request.timeout = timeout;
  request.tcp = std::move(exchange);
  return request;
}

std::string HostPortUrl(const std::string& scheme, int port) {
  return scheme + "://127.0.0.1:" + std::to_string(port);
}

// Both clients run the same checks: CurlMultiClient for `serve`, CurlCallerThreadClient for
// /probe.
class TcpCheckTest : public ::testing::TestWithParam<bool> {
 protected:
  HttpResult Run(HttpRequest request) {
    return GetParam() ? SendAndWait(caller_thread_, std::move(request))
                      : SendAndWait(multi_, std::move(request));
  }
  RealClock clock_;
  CurlMultiClient multi_{clock_};
  CurlCallerThreadClient caller_thread_{clock_};
};

TEST_P(TcpCheckTest, AConnectPassesWhateverTheApplicationAnswers) {
  LoopbackServer server;
  server.Get("/api", [](const httplib::Request&, httplib::Response& res) { res.status = 500; });
  ASSERT_TRUE(server.Start());

  const HttpResult result = Run(Tcp(HostPortUrl("http", server.port())));
  EXPECT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(result.status_code, 0);
  EXPECT_EQ(result.http_version, std::nullopt);
  EXPECT_EQ(result.ip_protocol, IpProtocol::kIp4);
  EXPECT_GT(result.phases.connect, 0);
  EXPECT_EQ(result.phases.processing, 0);
  EXPECT_EQ(server.RequestCount(), 0u);  // nothing was sent
}

TEST_P(TcpCheckTest, ARefusedConnectIsConnectionRefused) {
  const HttpResult result = Run(Tcp(HostPortUrl("http", testing::UnusedLoopbackPort())));
  EXPECT_EQ(result.error, FailureReason::kConnectionRefused);
}

TEST_P(TcpCheckTest, SendAndExpectJudgeTheReply) {
  LoopbackServer server;
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  ASSERT_TRUE(server.Start());
  const std::string url = HostPortUrl("http", server.port());
  const std::string send = "GET /health HTTP/1.0\r\n\r\n";

  const HttpResult matched = Run(Tcp(url, {.send = send, .expect = Pattern("^HTTP/1\\.. 200")}));
  EXPECT_EQ(matched.error, std::nullopt) << matched.error_message;
  EXPECT_THAT(matched.body, HasSubstr("200"));
  EXPECT_GT(matched.phases.processing, 0);

  const HttpResult mismatched = Run(Tcp(url, {.send = send, .expect = Pattern("^HTTP/1\\.. 503")}));
  EXPECT_EQ(mismatched.error, FailureReason::kBodyMismatch);
  EXPECT_THAT(mismatched.error_message, HasSubstr("closed before the reply matched"));
  EXPECT_EQ(server.RequestCount(), 2u);
}

TEST_P(TcpCheckTest, AReplyThatNeverComesTimesOut) {
  HostileServer hung(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung.ok()) << hung.error();
  const HttpResult result = Run(Tcp(HostPortUrl("http", hung.port()),
                                    {.send = "PING\r\n\r\n", .expect = Pattern("PONG")}, 300ms));
  EXPECT_EQ(result.error, FailureReason::kTimeout);
  EXPECT_EQ(hung.RequestsSeen(), 1u);  // the send arrived
}

TEST_P(TcpCheckTest, AnEndlessReplyStopsAtTheCap) {
  HostileServer endless(HostileServer::Mode::kEndlessBody);
  ASSERT_TRUE(endless.ok()) << endless.error();
  HttpRequest request = Tcp(HostPortUrl("http", endless.port()),
                            {.send = "GET / HTTP/1.1\r\n\r\n", .expect = Pattern("never")});
  request.max_body_bytes = 10'000;
  const HttpResult result = Run(std::move(request));
  EXPECT_EQ(result.error, FailureReason::kBodyMismatch);
  EXPECT_EQ(result.body.size(), 10'000u);
}

TEST_P(TcpCheckTest, TlsIsHandshakenAndExpectReadsThroughIt) {
  ASSERT_EQ(testing::Pki::Get().error(), "");
  const std::string cert = (testing::Pki::Get() / "server.crt").string();
  const std::string key = (testing::Pki::Get() / "server.key").string();
  testing::Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_certificate " + cert +
                       "; ssl_certificate_key " + key + "; location / { return 200 ok; } }\n");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = HostPortUrl("https", nginx.port());

  const HttpResult untrusted = Run(Tcp(url));
  EXPECT_EQ(untrusted.error, FailureReason::kTls);
  EXPECT_GT(untrusted.phases.tls, 0);

  HttpRequest trusted = Tcp(url, {.send = "GET / HTTP/1.0\r\n\r\n", .expect = Pattern(" 200 ")});
  trusted.tls.ca_file = (testing::Pki::Get() / "ca.crt").string();
  const HttpResult result = Run(std::move(trusted));
  EXPECT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_GT(result.phases.tls, 0);
  ASSERT_TRUE(result.tls.has_value());
  EXPECT_GT(result.tls->earliest_cert_expiry, 0);
}

INSTANTIATE_TEST_SUITE_P(BothClients, TcpCheckTest, ::testing::Bool(), [](const auto& info) {
  return std::string(info.param ? "CallerThread" : "Multi");
});

TEST(TcpCheckMultiTest, AHungExchangeDelaysNoOtherProbe) {
  HostileServer hung(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung.ok()) << hung.error();
  LoopbackServer healthy;
  healthy.Get("/api", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  ASSERT_TRUE(healthy.Start());
  RealClock clock;
  CurlMultiClient client(clock);

  std::atomic<bool> hung_done = false;
  client.Send(Tcp(HostPortUrl("http", hung.port()),
                  {.send = "PING\r\n\r\n", .expect = Pattern("PONG")}, 30s),
              [&](HttpResult) { hung_done = true; });
  ASSERT_TRUE(PollUntil([&] { return hung.RequestsSeen() == 1; }));

  std::vector<HttpRequest> requests;
  for (int i = 0; i < 20; ++i) {
    HttpRequest request;
    request.url = healthy.Url("/api");
    requests.push_back(std::move(request));
  }
  const std::vector<HttpResult> results = SendAllAndWait(client, std::move(requests));
  for (const HttpResult& result : results) EXPECT_EQ(result.status_code, 200);
  EXPECT_FALSE(hung_done);  // still waiting for its own 30 s
  EXPECT_TRUE(PollUntil([&] { return client.InFlight() == 1; }));
}

}  // namespace
}  // namespace healthgap::probe
