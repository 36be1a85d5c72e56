#include "probe/curl_multi_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probe/blocking.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"

namespace healthgap::probe {
namespace {

using healthgap::testing::HostileServer;
using healthgap::testing::LoopbackServer;
using healthgap::testing::PollUntil;
using ::testing::Contains;
using ::testing::Each;
using ::testing::Field;
using ::testing::Not;
using ::testing::Pair;
using namespace std::chrono_literals;

// Collects results delivered on the client's thread.
class Collector {
 public:
  HttpClient::Callback Callback() {
    return [this](HttpResult result) {
      std::lock_guard lock(mu_);
      results_.push_back(std::move(result));
    };
  }
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return results_.size();
  }
  bool WaitFor(std::size_t n) {
    return PollUntil([&] { return count() >= n; }, 60s);
  }
  std::vector<HttpResult> results() const {
    std::lock_guard lock(mu_);
    return results_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<HttpResult> results_;
};

HttpRequest Get(std::string url, std::chrono::milliseconds timeout = 20s) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = timeout;
  return request;
}

void ServeOk(LoopbackServer& server, const std::string& path, const std::string& body = "ok") {
  server.Get(path, [body](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "text/plain");
  });
}

class CurlMultiClientTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  CurlMultiClient client_{clock_};
};

TEST_F(CurlMultiClientTest, Returns200WithBodyHeadersAndConsistentPhases) {
  LoopbackServer server;
  server.Get("/api", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Served-By", "Loopback");
    res.set_content(R"({"items":[1,2,3]})", "application/json");
  });
  ASSERT_TRUE(server.Start());

  const TimePoint sent_at = clock_.Now();
  const HttpResult result = SendAndWait(client_, Get(server.Url("/api")));

  EXPECT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(result.error_message, "");
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(result.body, R"({"items":[1,2,3]})");
  EXPECT_EQ(result.body_bytes, result.body.size());
  EXPECT_THAT(result.headers, Contains(Pair("x-served-by", "Loopback")));
  EXPECT_THAT(result.headers, Contains(Pair("content-type", "application/json")));
  EXPECT_EQ(result.started, sent_at);  // stamped from the injected clock

  const PhaseTimings& p = result.phases;
  for (const double phase : {p.resolve, p.connect, p.tls, p.processing, p.transfer}) {
    EXPECT_GE(phase, 0);
  }
  EXPECT_EQ(p.tls, 0);  // plain http
  EXPECT_GT(result.total, Duration::zero());
  EXPECT_NEAR(p.resolve + p.connect + p.tls + p.processing + p.transfer, ToSeconds(result.total),
              1e-5);
  // Counted until the callback has returned, which SendAndWait does not wait for.
  EXPECT_TRUE(PollUntil([&] { return client_.InFlight() == 0; }));
}

TEST_F(CurlMultiClientTest, ErrorStatusIsAResponseNotATransportError) {
  LoopbackServer server;
  server.Get("/api", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content(R"({"error":"db down"})", "application/json");
  });
  ASSERT_TRUE(server.Start());

  const HttpResult result = SendAndWait(client_, Get(server.Url("/api")));

  EXPECT_EQ(result.error, std::nullopt);
  EXPECT_EQ(result.status_code, 503);
  EXPECT_EQ(result.body, R"({"error":"db down"})");
}

TEST_F(CurlMultiClientTest, PostBodyAndHeadersReachTheServer) {
  LoopbackServer server;
  server.Post("/orders", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 201;
    res.set_content("created " + req.get_header_value("X-Request-Id"), "text/plain");
  });
  ASSERT_TRUE(server.Start());

  HttpRequest request = Get(server.Url("/orders"));
  request.method = "POST";
  request.body = std::string(5000, 'b');  // large enough that curl would want Expect: 100
  request.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", "abc-123"}};
  const HttpResult result = SendAndWait(client_, request);

  EXPECT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(result.status_code, 201);
  EXPECT_EQ(result.body, "created abc-123");
  const auto seen = server.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, request.body);
  EXPECT_THAT(seen[0].headers, Contains(Pair("Content-Type", "application/json")));
  EXPECT_THAT(seen[0].headers, Contains(Pair("X-Request-Id", "abc-123")));
  EXPECT_THAT(seen[0].headers, Not(Contains(Pair("Expect", ::testing::_))));
}

TEST_F(CurlMultiClientTest, CustomMethodAndHead) {
  LoopbackServer server;
  server.Handle("/thing", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("method=" + req.method, "text/plain");
  });
  ASSERT_TRUE(server.Start());

  HttpRequest del = Get(server.Url("/thing"));
  del.method = "DELETE";
  HttpRequest head = Get(server.Url("/thing"));
  head.method = "HEAD";
  const auto results = SendAllAndWait(client_, {del, head});

  EXPECT_EQ(results[0].error, std::nullopt) << results[0].error_message;
  EXPECT_EQ(results[0].body, "method=DELETE");
  EXPECT_EQ(results[1].error, std::nullopt) << results[1].error_message;
  EXPECT_EQ(results[1].status_code, 200);
  EXPECT_EQ(results[1].body, "");
  std::vector<std::string> methods;
  for (const auto& seen : server.Requests()) methods.push_back(seen.method);
  EXPECT_THAT(methods, ::testing::UnorderedElementsAre("DELETE", "HEAD"));
}

TEST_F(CurlMultiClientTest, FreshConnectionPerRequestUnlessReuseIsAsked) {
  LoopbackServer server;
  ServeOk(server, "/health");
  ASSERT_TRUE(server.Start());

  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(SendAndWait(client_, Get(server.Url("/health"))).status_code, 200);
  }
  EXPECT_EQ(server.ConnectionCount(), 3u);

  LoopbackServer reuse_server;
  ServeOk(reuse_server, "/api");
  ASSERT_TRUE(reuse_server.Start());
  // Declared after the server so it closes its idle connection before the server stops.
  CurlMultiClient reusing_client(clock_);
  HttpRequest reusing = Get(reuse_server.Url("/api"));
  reusing.reuse_connection = true;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(SendAndWait(reusing_client, reusing).status_code, 200);
  }
  EXPECT_EQ(reuse_server.RequestCount(), 3u);
  EXPECT_EQ(reuse_server.ConnectionCount(), 1u);
}

TEST_F(CurlMultiClientTest, HangTimesOut) {
  HostileServer server(HostileServer::Mode::kHang);
  ASSERT_TRUE(server.ok()) << server.error();

  const HttpResult result = SendAndWait(client_, Get(server.Url("/health"), 300ms));

  EXPECT_EQ(result.error, FailureReason::kTimeout) << result.error_message;
  EXPECT_EQ(result.status_code, 0);
  EXPECT_THAT(result.error_message, ::testing::HasSubstr("timed out"));
}

TEST_F(CurlMultiClientTest, ResetMidBodyIsConnectionReset) {
  HostileServer server(HostileServer::Mode::kResetMidBody);
  ASSERT_TRUE(server.ok()) << server.error();

  const HttpResult result = SendAndWait(client_, Get(server.Url("/api")));

  EXPECT_EQ(result.error, FailureReason::kConnectionReset) << result.error_message;
  EXPECT_FALSE(result.error_message.empty());
}

TEST_F(CurlMultiClientTest, CloseImmediatelyIsConnectionReset) {
  HostileServer server(HostileServer::Mode::kCloseImmediately);
  ASSERT_TRUE(server.ok()) << server.error();

  const HttpResult result = SendAndWait(client_, Get(server.Url("/api")));

  EXPECT_EQ(result.error, FailureReason::kConnectionReset) << result.error_message;
  EXPECT_GE(server.AcceptedConnections(), 1u);
}

TEST_F(CurlMultiClientTest, GarbageIsBadResponse) {
  HostileServer server(HostileServer::Mode::kGarbage);
  ASSERT_TRUE(server.ok()) << server.error();

  const HttpResult result = SendAndWait(client_, Get(server.Url("/api")));

  EXPECT_EQ(result.error, FailureReason::kBadResponse) << result.error_message;
}

TEST_F(CurlMultiClientTest, DeclaredHugeBodyIsTooLargeAndClientStaysUsable) {
  HostileServer hostile(HostileServer::Mode::kEndlessBody);
  ASSERT_TRUE(hostile.ok()) << hostile.error();
  LoopbackServer healthy;
  ServeOk(healthy, "/health");
  ASSERT_TRUE(healthy.Start());

  HttpRequest request = Get(hostile.Url("/download"));
  request.max_body_bytes = 1 << 20;
  const HttpResult result = SendAndWait(client_, request);

  EXPECT_EQ(result.error, FailureReason::kTooLarge) << result.error_message;
  EXPECT_LE(result.body.size(), request.max_body_bytes);
  EXPECT_EQ(SendAndWait(client_, Get(healthy.Url("/health"))).status_code, 200);
}

TEST_F(CurlMultiClientTest, StreamedBodyBeyondCapIsTooLargeAndKeepsCapBytes) {
  HostileServer hostile(HostileServer::Mode::kEndlessChunked);
  ASSERT_TRUE(hostile.ok()) << hostile.error();

  HttpRequest request = Get(hostile.Url("/download"));
  request.max_body_bytes = 1 << 20;
  const HttpResult result = SendAndWait(client_, request);

  EXPECT_EQ(result.error, FailureReason::kTooLarge) << result.error_message;
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(result.body.size(), request.max_body_bytes);
  EXPECT_EQ(result.body_bytes, request.max_body_bytes);
  // The client hung up, so the endless stream ends on the server side too.
  EXPECT_TRUE(PollUntil([&] { return hostile.OpenConnections() == 0; }));
}

// The cap holds whether the caller keeps the response (health checks) or only counts it (API
// samples: no body, no headers).
class BodyCapTest : public CurlMultiClientTest, public ::testing::WithParamInterface<bool> {};

TEST_P(BodyCapTest, BodyExactlyAtCapIsFineOneMoreByteIsNot) {
  const bool keep_response = GetParam();
  LoopbackServer server;
  ServeOk(server, "/exact", std::string(1024, 'a'));
  ServeOk(server, "/over", std::string(1025, 'a'));
  ASSERT_TRUE(server.Start());

  HttpRequest exact = Get(server.Url("/exact"));
  exact.max_body_bytes = 1024;
  exact.keep_response = keep_response;
  HttpRequest over = exact;
  over.url = server.Url("/over");
  const auto results = SendAllAndWait(client_, {exact, over});

  EXPECT_EQ(results[0].error, std::nullopt) << results[0].error_message;
  EXPECT_EQ(results[0].status_code, 200);
  EXPECT_EQ(results[0].body_bytes, 1024u);
  EXPECT_EQ(results[0].body.size(), keep_response ? 1024u : 0u);
  EXPECT_EQ(results[0].headers.empty(), !keep_response);
  EXPECT_EQ(results[1].error, FailureReason::kTooLarge) << results[1].error_message;
  EXPECT_LE(results[1].body_bytes, 1024u);  // a declared length over the cap stops it early
}

INSTANTIATE_TEST_SUITE_P(KeptOrCounted, BodyCapTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Kept" : "CountedOnly";
                         });

TEST_F(CurlMultiClientTest, RedirectLoopIsTooManyRedirects) {
  LoopbackServer server;
  server.Get("/loop",
             [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop"); });
  ASSERT_TRUE(server.Start());

  HttpRequest request = Get(server.Url("/loop"));
  request.max_redirects = 3;
  const HttpResult result = SendAndWait(client_, request);

  EXPECT_EQ(result.error, FailureReason::kRedirectLoop) << result.error_message;
  EXPECT_EQ(server.RequestCount(), 4u);  // the original plus three followed
}

TEST_F(CurlMultiClientTest, FollowsRedirectsAndKeepsOnlyFinalHeaders) {
  LoopbackServer server;
  server.Get("/old", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Hop", "1");
    res.set_redirect("/new");
  });
  server.Get("/new", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Final", "yes");
    res.set_content("moved here", "text/plain");
  });
  ASSERT_TRUE(server.Start());

  const HttpResult followed = SendAndWait(client_, Get(server.Url("/old")));
  HttpRequest not_following = Get(server.Url("/old"));
  not_following.max_redirects = 0;
  const HttpResult unfollowed = SendAndWait(client_, not_following);

  EXPECT_EQ(followed.error, std::nullopt) << followed.error_message;
  EXPECT_EQ(followed.status_code, 200);
  EXPECT_EQ(followed.body, "moved here");
  EXPECT_THAT(followed.headers, Contains(Pair("x-final", "yes")));
  EXPECT_THAT(followed.headers, Not(Contains(Pair("x-hop", "1"))));
  EXPECT_EQ(unfollowed.error, std::nullopt) << unfollowed.error_message;
  EXPECT_EQ(unfollowed.status_code, 302);
  EXPECT_THAT(unfollowed.headers, Contains(Pair("location", "/new")));
}

TEST_F(CurlMultiClientTest, RedirectToNonHttpSchemeIsRefused) {
  LoopbackServer server;
  server.Get("/escape", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("file:///etc/passwd");
  });
  ASSERT_TRUE(server.Start());

  const HttpResult result = SendAndWait(client_, Get(server.Url("/escape")));

  EXPECT_NE(result.error, std::nullopt);
  EXPECT_THAT(result.body, Not(::testing::HasSubstr("root:")));
}

TEST_F(CurlMultiClientTest, NonHttpUrlIsRefusedWithoutConnecting) {
  HostileServer server(HostileServer::Mode::kHang);
  ASSERT_TRUE(server.ok()) << server.error();

  const HttpResult result =
      SendAndWait(client_, Get("ftp://127.0.0.1:" + std::to_string(server.port()) + "/"));

  EXPECT_EQ(result.error, FailureReason::kOther);
  EXPECT_EQ(server.AcceptedConnections(), 0u);
}

TEST_F(CurlMultiClientTest, ClosedPortIsConnectionRefused) {
  const int port = healthgap::testing::UnusedLoopbackPort();
  ASSERT_NE(port, 0);

  const HttpResult result =
      SendAndWait(client_, Get("http://127.0.0.1:" + std::to_string(port) + "/health"));

  EXPECT_EQ(result.error, FailureReason::kConnectionRefused) << result.error_message;
  EXPECT_EQ(result.status_code, 0);
}

TEST_F(CurlMultiClientTest, HttpsAgainstPlainHttpIsTls) {
  LoopbackServer server;
  ServeOk(server, "/health");
  ASSERT_TRUE(server.Start());

  const HttpResult result =
      SendAndWait(client_, Get("https://127.0.0.1:" + std::to_string(server.port()) + "/health"));

  EXPECT_EQ(result.error, FailureReason::kTls) << result.error_message;
}

TEST_F(CurlMultiClientTest, Ipv6LoopbackWorks) {
  LoopbackServer server("::1");
  ServeOk(server, "/health", "v6");
  if (!server.Start()) GTEST_SKIP() << "no IPv6 loopback here";

  const HttpResult result = SendAndWait(client_, Get(server.Url("/health")));

  EXPECT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(result.body, "v6");
}

TEST_F(CurlMultiClientTest, IgnoresProxyEnvironment) {
  LoopbackServer server;
  ServeOk(server, "/health");
  ASSERT_TRUE(server.Start());
  const std::string dead_proxy =
      "http://127.0.0.1:" + std::to_string(healthgap::testing::UnusedLoopbackPort());
  ::setenv("http_proxy", dead_proxy.c_str(), 1);
  ::setenv("HTTP_PROXY", dead_proxy.c_str(), 1);
  ::setenv("no_proxy", "", 1);

  const HttpResult result = SendAndWait(client_, Get(server.Url("/health")));
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  ::unsetenv("no_proxy");

  EXPECT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(server.RequestCount(), 1u);
}

TEST_F(CurlMultiClientTest, HungTargetDoesNotDelayOthers) {
  HostileServer hung(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung.ok()) << hung.error();
  LoopbackServer healthy;
  ServeOk(healthy, "/api");
  ASSERT_TRUE(healthy.Start());

  std::atomic<bool> hung_done = false;
  client_.Send(Get(hung.Url("/health"), 30s), [&](HttpResult) { hung_done = true; });
  ASSERT_TRUE(PollUntil([&] { return hung.RequestsSeen() == 1; }));

  Collector collector;
  for (int i = 0; i < 50; ++i) client_.Send(Get(healthy.Url("/api")), collector.Callback());
  ASSERT_TRUE(collector.WaitFor(50));

  // All 50 finished while the hung request is still waiting for its own timeout.
  EXPECT_FALSE(hung_done);
  EXPECT_EQ(client_.InFlight(), 1u);
  EXPECT_THAT(collector.results(), Each(Field(&HttpResult::status_code, 200)));
}

TEST_F(CurlMultiClientTest, ThousandConcurrentRequestsAllComplete) {
  LoopbackServer server("127.0.0.1", 16);
  ServeOk(server, "/api", "pong");
  ASSERT_TRUE(server.Start());
  constexpr std::size_t kRequests = 1000;

  Collector collector;
  for (std::size_t i = 0; i < kRequests; ++i) {
    client_.Send(Get(server.Url("/api"), 60s), collector.Callback());
  }
  ASSERT_TRUE(collector.WaitFor(kRequests)) << collector.count() << " of " << kRequests;

  const auto results = collector.results();
  EXPECT_THAT(results, Each(Field(&HttpResult::error, std::nullopt)));
  EXPECT_THAT(results, Each(Field(&HttpResult::body, "pong")));
  EXPECT_EQ(server.RequestCount(), kRequests);
  EXPECT_TRUE(PollUntil([&] { return client_.InFlight() == 0; }));
}

TEST(CurlMultiClientOptionsTest, MaxTotalConnectionsLimitsConcurrency) {
  LoopbackServer server("127.0.0.1", 8);
  std::atomic<int> active = 0;
  std::atomic<int> most_active = 0;
  std::atomic<int> served = 0;
  server.Get("/api", [&](const httplib::Request&, httplib::Response& res) {
    const int now_active = ++active;
    int seen = most_active.load();
    while (now_active > seen && !most_active.compare_exchange_weak(seen, now_active)) {
    }
    // Holds the first request briefly, widening the window in which an unlimited client would
    // overlap requests; the assertion does not depend on the hold's length.
    if (served.fetch_add(1) == 0) PollUntil([&] { return false; }, 50ms);
    --active;
    res.set_content("ok", "text/plain");
  });
  ASSERT_TRUE(server.Start());
  RealClock clock;
  CurlMultiClient client(clock, {.max_total_connections = 1});

  std::vector<HttpRequest> requests(10, Get(server.Url("/api")));
  const auto results = SendAllAndWait(client, requests);

  EXPECT_THAT(results, Each(Field(&HttpResult::status_code, 200)));
  EXPECT_EQ(most_active.load(), 1);
}

TEST_F(CurlMultiClientTest, CallbackMaySendFollowUp) {
  LoopbackServer server;
  ServeOk(server, "/first", "1");
  ServeOk(server, "/second", "2");
  ASSERT_TRUE(server.Start());

  Collector collector;
  client_.Send(Get(server.Url("/first")), [&](HttpResult first) {
    collector.Callback()(std::move(first));
    client_.Send(Get(server.Url("/second")), collector.Callback());
  });
  ASSERT_TRUE(collector.WaitFor(2));

  const auto results = collector.results();
  EXPECT_EQ(results[0].body, "1");
  EXPECT_EQ(results[1].body, "2");
}

TEST(CurlMultiClientShutdownTest, DestructorEndsHungRequestsAndFiresTheirCallbacks) {
  HostileServer hung(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung.ok()) << hung.error();
  RealClock clock;
  auto client = std::make_unique<CurlMultiClient>(clock);

  constexpr std::size_t kHung = 5;
  Collector collector;
  for (std::size_t i = 0; i < kHung; ++i) {
    client->Send(Get(hung.Url("/health"), 60s), collector.Callback());
  }
  ASSERT_TRUE(PollUntil([&] { return hung.RequestsSeen() == kHung; }));
  EXPECT_EQ(collector.count(), 0u);

  client.reset();  // returns although every request would wait 60 s for its timeout

  const auto results = collector.results();
  ASSERT_EQ(results.size(), kHung);
  EXPECT_THAT(results, Each(Field(&HttpResult::error, FailureReason::kOther)));
  EXPECT_THAT(results, Each(Field(&HttpResult::error_message, "client shut down")));
  // The server sees the connections close.
  EXPECT_TRUE(PollUntil([&] { return hung.OpenConnections() == 0; }));
}

TEST(CurlMultiClientShutdownTest, QueuedRequestsAlsoGetTheirCallbacks) {
  HostileServer hung(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung.ok()) << hung.error();
  RealClock clock;
  Collector collector;
  constexpr std::size_t kRequests = 200;
  {
    CurlMultiClient client(clock);
    // Destroyed right away: some requests are likely still queued, none may be lost.
    for (std::size_t i = 0; i < kRequests; ++i) {
      client.Send(Get(hung.Url("/health"), 60s), collector.Callback());
    }
  }
  EXPECT_EQ(collector.count(), kRequests);
}

}  // namespace
}  // namespace healthgap::probe
