#include "probe/blocking.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "probe/curl_multi_client.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"

namespace healthgap::probe {
namespace {

using healthgap::testing::LoopbackServer;
using healthgap::testing::PollUntil;
using namespace std::chrono_literals;

HttpRequest Get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = 30s;
  return request;
}

TEST(BlockingTest, SendAndWaitReturnsTheResult) {
  LoopbackServer server;
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  ASSERT_TRUE(server.Start());
  RealClock clock;
  CurlMultiClient client(clock);

  const HttpResult result = SendAndWait(client, Get(server.Url("/health")));

  EXPECT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(result.body, "ok");
}

TEST(BlockingTest, SendAllAndWaitKeepsRequestOrderWhateverTheCompletionOrder) {
  LoopbackServer server;
  // /slow answers only once /fast has arrived, so the first request completes last.
  server.Get("/slow", [&server](const httplib::Request&, httplib::Response& res) {
    PollUntil([&] { return server.RequestCount() >= 2; }, 20s);
    res.set_content("slow", "text/plain");
  });
  server.Get("/fast", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("fast", "text/plain");
  });
  ASSERT_TRUE(server.Start());
  RealClock clock;
  CurlMultiClient client(clock);

  const auto results = SendAllAndWait(client, {Get(server.Url("/slow")), Get(server.Url("/fast"))});

  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].body, "slow");
  EXPECT_EQ(results[1].body, "fast");
}

TEST(BlockingTest, SendAllAndWaitWithNoRequestsReturnsNothing) {
  RealClock clock;
  CurlMultiClient client(clock);
  EXPECT_TRUE(SendAllAndWait(client, {}).empty());
}

}  // namespace
}  // namespace healthgap::probe
