#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "probe/blocking.h"
#include "probe/curl_multi_client.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"

namespace healthgap::probe {
namespace {

using healthgap::testing::HostileServer;
using healthgap::testing::LoopbackServer;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;
using namespace std::chrono_literals;

HttpRequest Get(std::string url, std::chrono::milliseconds timeout = 20s) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = timeout;
  return request;
}

void ServeText(LoopbackServer& server, const std::string& path, const std::string& body) {
  server.Get(path, [body](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Served-By", "Loopback");
    res.set_content(body, "text/plain");
  });
}

class CurlCallerThreadClientTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  CurlCallerThreadClient client_{clock_};
};

TEST_F(CurlCallerThreadClientTest, ResultsInRequestOrderWithBodyHeadersAndPhases) {
  LoopbackServer server;
  ServeText(server, "/a", "first");
  ServeText(server, "/b", "second");
  ASSERT_TRUE(server.Start());

  const TimePoint sent_at = clock_.Now();
  std::vector<HttpRequest> requests;
  requests.push_back(Get(server.Url("/a")));
  requests.push_back(Get(server.Url("/b")));
  requests.push_back(Get(server.Url("/missing")));
  const std::vector<HttpResult> results = SendAllAndWait(client_, std::move(requests));

  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].status_code, 200);
  EXPECT_EQ(results[0].body, "first");
  EXPECT_EQ(results[1].body, "second");
  EXPECT_EQ(results[2].status_code, 404);
  EXPECT_EQ(results[2].error, std::nullopt);
  EXPECT_THAT(results[0].headers, Contains(Pair("x-served-by", "Loopback")));
  EXPECT_EQ(results[0].started, sent_at);  // stamped from the injected clock
  const PhaseTimings& p = results[0].phases;
  EXPECT_GT(results[0].total, Duration::zero());
  EXPECT_NEAR(p.resolve + p.connect + p.tls + p.processing + p.transfer,
              ToSeconds(results[0].total), 1e-5);
  EXPECT_EQ(client_.InFlight(), 0u);
}

TEST_F(CurlCallerThreadClientTest, FreshConnectionPerRequestUnlessReuseIsAskedAcrossRuns) {
  LoopbackServer server;
  ServeText(server, "/health", "ok");
  ServeText(server, "/api", "ok");
  ASSERT_TRUE(server.Start());
  {
    // Declared after the server so it closes its idle connections before the server stops.
    CurlCallerThreadClient client(clock_);
    // Easy handles are reused between runs: a reused handle must still open a fresh
    // connection when asked, and reuse one when allowed.
    for (int i = 0; i < 3; ++i) {
      std::vector<HttpRequest> requests;
      requests.push_back(Get(server.Url("/health")));
      HttpRequest sample = Get(server.Url("/api"));
      sample.reuse_connection = true;
      requests.push_back(sample);
      for (const HttpResult& result : SendAllAndWait(client, std::move(requests))) {
        ASSERT_EQ(result.status_code, 200) << result.error_message;
      }
    }
    EXPECT_EQ(server.RequestCount(), 6u);
    // Three health connections, one kept-alive connection for the three samples.
    EXPECT_EQ(server.ConnectionCount(), 4u);
  }
}

TEST_F(CurlCallerThreadClientTest, HungTargetTimesOutWithoutDelayingTheOthersResult) {
  HostileServer hung(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung.ok()) << hung.error();
  LoopbackServer healthy;
  ServeText(healthy, "/api", "ok");
  ASSERT_TRUE(healthy.Start());

  std::vector<HttpRequest> requests;
  requests.push_back(Get(hung.Url("/health"), 300ms));
  requests.push_back(Get(healthy.Url("/api")));
  const std::vector<HttpResult> results = SendAllAndWait(client_, std::move(requests));

  EXPECT_EQ(results[0].error, FailureReason::kTimeout) << results[0].error_message;
  EXPECT_THAT(results[0].error_message, HasSubstr("timed out"));
  EXPECT_EQ(results[1].status_code, 200);
}

TEST_F(CurlCallerThreadClientTest, ErrorsAreClassifiedAsByTheMultiClient) {
  const int port = healthgap::testing::UnusedLoopbackPort();
  ASSERT_NE(port, 0);
  HostileServer garbage(HostileServer::Mode::kGarbage);
  ASSERT_TRUE(garbage.ok()) << garbage.error();

  std::vector<HttpRequest> requests;
  requests.push_back(Get("http://127.0.0.1:" + std::to_string(port) + "/health"));
  requests.push_back(Get("ftp://127.0.0.1:" + std::to_string(port) + "/"));
  requests.push_back(Get(garbage.Url("/api")));
  const std::vector<HttpResult> results = SendAllAndWait(client_, std::move(requests));

  EXPECT_EQ(results[0].error, FailureReason::kConnectionRefused) << results[0].error_message;
  EXPECT_EQ(results[1].error, FailureReason::kOther);
  EXPECT_EQ(results[2].error, FailureReason::kBadResponse) << results[2].error_message;
}

TEST_F(CurlCallerThreadClientTest, SendRunsTheCallbackBeforeReturning) {
  LoopbackServer server;
  ServeText(server, "/api", "ok");
  ASSERT_TRUE(server.Start());

  int status = 0;
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  client_.Send(Get(server.Url("/api")), [&](HttpResult result) {
    status = result.status_code;
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(status, 200);
  EXPECT_EQ(ran_on, caller);
  EXPECT_EQ(client_.InFlight(), 0u);
}

TEST_F(CurlCallerThreadClientTest, ConcurrentCallersAllComplete) {
  LoopbackServer server("127.0.0.1", 8);
  ServeText(server, "/api", "ok");
  ASSERT_TRUE(server.Start());

  constexpr int kThreads = 6;
  constexpr int kRuns = 20;
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        std::vector<HttpRequest> requests;
        requests.push_back(Get(server.Url("/api")));
        HttpRequest sample = Get(server.Url("/api"));
        sample.reuse_connection = true;
        requests.push_back(sample);
        for (const HttpResult& result : SendAllAndWait(client_, std::move(requests))) {
          if (result.status_code == 200) ++ok[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[t], 2 * kRuns);
  EXPECT_EQ(client_.InFlight(), 0u);
}

}  // namespace
}  // namespace healthgap::probe
