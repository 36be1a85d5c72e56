// GrpcHealthClient against real gRPC servers with gRPC's standard health service
// (tests/support/grpc_health_server.h): serving status switched at run time, plain and TLS, a
// server that never answers, and the router that puts HTTP and gRPC probes side by side.

#include "probe/grpc_health_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/clock.h"
#include "probe/blocking.h"
#include "probe/curl_multi_client.h"
#include "support/grpc_health_server.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/pki.h"
#include "support/poll_until.h"

namespace healthgap::probe {
namespace {

using namespace std::chrono_literals;
using testing::GrpcHealthServer;
using ::testing::HasSubstr;
using testing::PollUntil;

constexpr int kServing = 1;
constexpr int kNotServing = 2;
constexpr int kNotFound = 5;
constexpr int kUnimplemented = 12;

HttpRequest Check(const std::string& url, std::string service = "",
                  std::chrono::milliseconds timeout = 5s) {
  HttpRequest request;
  request.url = url;
  request.timeout = timeout;
  request.grpc =
      GrpcCall{.method = std::string(GrpcCall::kHealthCheckMethod), .service = std::move(service)};
  return request;
}

class GrpcHealthClientTest : public ::testing::Test {
 protected:
  RealClock clock_;
  GrpcHealthClient client_{clock_};
};

TEST_F(GrpcHealthClientTest, ServingStatusFollowsTheServerAtRunTime) {
  GrpcHealthServer server;
  ASSERT_TRUE(server.ok());

  const HttpResult overall = SendAndWait(client_, Check(server.Url()));
  ASSERT_EQ(overall.error, std::nullopt) << overall.error_message;
  ASSERT_TRUE(overall.grpc.has_value());
  EXPECT_EQ(overall.grpc->code, 0);
  EXPECT_EQ(overall.grpc->serving_status, kServing);

  server.SetServing("payments", true);
  EXPECT_EQ(SendAndWait(client_, Check(server.Url(), "payments")).grpc->serving_status, kServing);
  server.SetServing("payments", false);
  const HttpResult down = SendAndWait(client_, Check(server.Url(), "payments"));
  ASSERT_TRUE(down.grpc.has_value());
  EXPECT_EQ(down.grpc->serving_status, kNotServing);
  EXPECT_GT(down.phases.processing, 0);
}

TEST_F(GrpcHealthClientTest, AnUnknownServiceIsNotFound) {
  GrpcHealthServer server;
  ASSERT_TRUE(server.ok());
  const HttpResult result = SendAndWait(client_, Check(server.Url(), "nobody"));
  ASSERT_TRUE(result.grpc.has_value()) << result.error_message;
  EXPECT_EQ(result.grpc->code, kNotFound);
  EXPECT_EQ(result.grpc->serving_status, std::nullopt);
}

TEST_F(GrpcHealthClientTest, AnotherMethodIsJudgedByItsCodeAlone) {
  // What an ALB gRPC target group calls by default: a method nobody implements.
  GrpcHealthServer server;
  ASSERT_TRUE(server.ok());
  HttpRequest request = Check(server.Url());
  request.grpc->method = "/AWS.ALB/healthcheck";
  const HttpResult result = SendAndWait(client_, std::move(request));
  ASSERT_TRUE(result.grpc.has_value()) << result.error_message;
  EXPECT_EQ(result.grpc->code, kUnimplemented);
}

TEST_F(GrpcHealthClientTest, NothingListeningIsConnectionRefused) {
  const HttpResult result = SendAndWait(
      client_, Check("http://127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort())));
  EXPECT_EQ(result.error, FailureReason::kConnectionRefused) << result.error_message;
}

TEST_F(GrpcHealthClientTest, AnHttpServerIsNotAGrpcServer) {
  testing::LoopbackServer http;
  ASSERT_TRUE(http.Start());
  const HttpResult result =
      SendAndWait(client_, Check("http://127.0.0.1:" + std::to_string(http.port())));
  EXPECT_FALSE(result.grpc.has_value() && result.grpc->code == 0) << result.error_message;
}

TEST_F(GrpcHealthClientTest, TlsWithAPrivateCaAndServerName) {
  ASSERT_EQ(testing::Pki::Get().error(), "");
  const auto& pki = testing::Pki::Get();
  GrpcHealthServer server(
      {.cert_file = (pki / "server.crt").string(), .key_file = (pki / "server.key").string()});
  ASSERT_TRUE(server.ok());

  const HttpResult untrusted = SendAndWait(client_, Check(server.Url()));
  EXPECT_EQ(untrusted.error, FailureReason::kTls) << untrusted.error_message;

  HttpRequest trusted = Check(server.Url());
  trusted.tls.ca_file = (pki / "ca.crt").string();
  const HttpResult result = SendAndWait(client_, std::move(trusted));
  ASSERT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(result.grpc->serving_status, kServing);

  HttpRequest skipped = Check(server.Url());
  skipped.tls.insecure_skip_verify = true;
  EXPECT_EQ(SendAndWait(client_, std::move(skipped)).error, std::nullopt);
}

TEST_F(GrpcHealthClientTest, ServerNameIsWhatTheCertificateIsCheckedAgainst) {
  ASSERT_EQ(testing::Pki::Get().error(), "");
  const auto& pki = testing::Pki::Get();
  // vhost.crt names api.internal only, not the 127.0.0.1 connected to.
  GrpcHealthServer server(
      {.cert_file = (pki / "vhost.crt").string(), .key_file = (pki / "vhost.key").string()});
  ASSERT_TRUE(server.ok());
  HttpRequest by_address = Check(server.Url());
  by_address.tls.ca_file = (pki / "ca.crt").string();
  HttpRequest by_name = by_address;
  by_name.tls.server_name = "api.internal";

  EXPECT_EQ(SendAndWait(client_, std::move(by_address)).error, FailureReason::kTls);
  const HttpResult named = SendAndWait(client_, std::move(by_name));
  EXPECT_EQ(named.error, std::nullopt) << named.error_message;
}

TEST_F(GrpcHealthClientTest, HeadersAreSentAsMetadata) {
  GrpcHealthServer server({.never_answer = true});  // holds the call, and what it carried
  ASSERT_TRUE(server.ok());
  HttpRequest request = Check(server.Url(), "", 10s);
  request.headers = {{"Authorization", "Bearer t"}, {"x-probe", "healthgap"}};
  client_.Send(std::move(request), nullptr);  // cancelled when the client goes
  ASSERT_TRUE(PollUntil([&] { return server.HeldCalls() == 1; }));
  EXPECT_EQ(server.HeldMetadata("authorization"), "Bearer t");
  EXPECT_EQ(server.HeldMetadata("x-probe"), "healthgap");
}

TEST_F(GrpcHealthClientTest, AServerThatNeverAnswersCostsOnlyItsOwnDeadline) {
  GrpcHealthServer silent({.never_answer = true});
  ASSERT_TRUE(silent.ok());
  GrpcHealthServer healthy;
  ASSERT_TRUE(healthy.ok());

  // Shared: the call ends when the fixture's client goes, after this body's locals.
  auto hung_done = std::make_shared<std::atomic<bool>>(false);
  client_.Send(Check(silent.Url(), "", 30s), [hung_done](HttpResult) { *hung_done = true; });
  ASSERT_TRUE(PollUntil([&] { return silent.HeldCalls() == 1; }));

  std::vector<HttpRequest> requests;
  for (int i = 0; i < 20; ++i) requests.push_back(Check(healthy.Url()));
  for (const HttpResult& result : SendAllAndWait(client_, std::move(requests))) {
    ASSERT_TRUE(result.grpc.has_value()) << result.error_message;
    EXPECT_EQ(result.grpc->serving_status, kServing);
  }
  // InFlight drops just after each callback returns: the 20 are done, the hung one is not.
  EXPECT_TRUE(PollUntil([&] { return client_.InFlight() == 1; }));
  EXPECT_FALSE(*hung_done);
}

TEST_F(GrpcHealthClientTest, AShortDeadlineOnASilentServerIsATimeout) {
  GrpcHealthServer silent({.never_answer = true});
  ASSERT_TRUE(silent.ok());
  const HttpResult result = SendAndWait(client_, Check(silent.Url(), "", 200ms));
  EXPECT_EQ(result.error, FailureReason::kTimeout) << result.error_message;
}

TEST(GrpcHealthClientShutdownTest, TheDestructorEndsCallsInFlightAndRunsTheirCallbacks) {
  GrpcHealthServer silent({.never_answer = true});
  ASSERT_TRUE(silent.ok());
  RealClock clock;
  std::atomic<int> done = 0;
  {
    GrpcHealthClient client(clock);
    for (int i = 0; i < 3; ++i)
      client.Send(Check(silent.Url(), "", 60s), [&](HttpResult) { ++done; });
    ASSERT_TRUE(PollUntil([&] { return silent.HeldCalls() == 3; }));
  }
  EXPECT_EQ(done.load(), 3);
}

TEST(ProtocolRouterTest, HttpAndGrpcRequestsGoToTheirClientsAndComeBackInOrder) {
  GrpcHealthServer grpc_server;
  ASSERT_TRUE(grpc_server.ok());
  testing::LoopbackServer http_server;
  http_server.Get("/api", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  ASSERT_TRUE(http_server.Start());
  RealClock clock;
  CurlCallerThreadClient http(clock);
  GrpcHealthClient grpc(clock);
  ProtocolRouter router(http, grpc);

  std::vector<HttpRequest> requests;
  HttpRequest api;
  api.url = http_server.Url("/api");
  requests.push_back(api);
  requests.push_back(Check(grpc_server.Url()));
  requests.push_back(api);
  const std::vector<HttpResult> results = router.SendAllBlocking(std::move(requests));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].status_code, 200);
  ASSERT_TRUE(results[1].grpc.has_value()) << results[1].error_message;
  EXPECT_EQ(results[1].grpc->serving_status, kServing);
  EXPECT_EQ(results[2].status_code, 200);
  EXPECT_TRUE(PollUntil([&] { return router.InFlight() == 0; }));
}

}  // namespace
}  // namespace healthgap::probe
