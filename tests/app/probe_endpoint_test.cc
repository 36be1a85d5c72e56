// ProbeEndpoint in process, against a real loopback target through real curl.

#include "app/probe_endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "config/loader.h"
#include "probe/curl_multi_client.h"
#include "support/instant_http_client.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"

namespace healthgap::app {
namespace {

using ::testing::Contains;
using testing::LoopbackServer;
using ::testing::Not;
using testing::PollUntil;
using testing::RecordedRequest;

// Resolves every name to 127.0.0.1. Its first call waits until Open(), so a test can act while
// a scrape is in the middle of its allow check.
class GatedResolver final : public config::Resolver {
 public:
  // Resolver
  std::vector<std::string> Resolve(const std::string&, std::string*) const override {
    std::unique_lock lock(mu_);
    waiting_ = true;
    // Bounded, so a broken test fails instead of hanging.
    opened_.wait_for(lock, std::chrono::seconds(20), [&] { return open_; });
    waiting_ = false;
    return {"127.0.0.1"};
  }

  bool Waiting() const {
    std::lock_guard lock(mu_);
    return waiting_;
  }

  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable opened_;
  mutable bool waiting_ = false;
  bool open_ = false;
};

config::Config ModuleWithHealthPath(const std::string& path) {
  const std::string yaml = "modules:\n  api:\n    health: {path: " + path +
                           ", timeout: 1s}\n"
                           "    samples: [{name: data, path: /api/data, timeout: 1s}]\n"
                           "probe:\n  allow:\n    - cidr: 127.0.0.0/8\n";
  config::LoadResult loaded = config::LoadString(yaml, "probe.yml");
  EXPECT_TRUE(loaded.config) << loaded.error->Format();
  return loaded.config ? std::move(*loaded.config) : config::Config{};
}

TEST(ProbeEndpointTest, ScrapeDuringReloadProbesWhatTheNewModuleSays) {
  LoopbackServer target;
  const auto ok = [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  };
  target.Get("/old/health", ok);
  target.Get("/new/health", ok);
  target.Get("/api/data", ok);
  ASSERT_TRUE(target.Start());

  RealClock clock;
  probe::CurlCallerThreadClient client(clock);
  GatedResolver resolver;
  ProbeEndpoint endpoint(clock, client, resolver);
  endpoint.Configure(ModuleWithHealthPath("/old/health"));

  // A host name, so the allow check resolves it: that is where the reload lands.
  const server::ProbeRequest request{"probe-target.test:" + std::to_string(target.port()), "api",
                                     5.0};
  server::HttpReply during;
  std::thread scrape([&] { during = endpoint.Handle(request); });
  ASSERT_TRUE(PollUntil([&] { return resolver.Waiting(); }));
  endpoint.Configure(ModuleWithHealthPath("/new/health"));
  resolver.Open();
  scrape.join();
  const server::HttpReply after = endpoint.Handle(request);

  EXPECT_EQ(during.status, 200) << during.body;
  EXPECT_EQ(after.status, 200) << after.body;
  std::vector<std::string> paths;
  for (const RecordedRequest& seen : target.Requests()) paths.push_back(seen.path);
  EXPECT_THAT(paths, Contains("/new/health"));
  EXPECT_THAT(paths, Not(Contains("/old/health")));
}

// Any name resolves to 127.0.0.1 (the targets below are IP literals and never ask).
class LoopbackResolver final : public config::Resolver {
 public:
  std::vector<std::string> Resolve(const std::string&, std::string*) const override {
    return {"127.0.0.1"};
  }
};

server::ProbeRequest ScrapeOf(const std::string& target) { return {target, "api", std::nullopt}; }

TEST(ProbeEndpointStateTest, TargetsNotScrapedForAnHourAreForgotten) {
  FakeClock clock;
  testing::InstantHttpClient client(clock, std::chrono::milliseconds(0));
  LoopbackResolver resolver;
  ProbeEndpoint endpoint(clock, client, resolver);
  endpoint.Configure(ModuleWithHealthPath("/health"));
  ASSERT_EQ(endpoint.Handle(ScrapeOf("127.0.0.1:1")).status, 200);
  ASSERT_EQ(endpoint.Handle(ScrapeOf("127.0.0.2:1")).status, 200);
  EXPECT_EQ(endpoint.tracked_targets(), 2u);
  clock.Advance(ProbeEndpoint::kForgetAfter - std::chrono::seconds(1));
  ASSERT_EQ(endpoint.Handle(ScrapeOf("127.0.0.1:1")).status, 200);  // keeps it fresh
  clock.Advance(std::chrono::seconds(2));
  ASSERT_EQ(endpoint.Handle(ScrapeOf("127.0.0.3:1")).status, 200);  // a new one sweeps
  EXPECT_EQ(endpoint.tracked_targets(), 2u);  // 127.0.0.2 forgotten, .1 and .3 kept
}

// debug=true: the trace a human reads to see why, with the metrics a scrape would have got.
TEST(ProbeEndpointTest, DebugAnswersATraceOfEveryRequestAndTheVerdict) {
  LoopbackServer target;
  target.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  target.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content("db down", "text/plain");
  });
  ASSERT_TRUE(target.Start());
  RealClock clock;
  probe::CurlCallerThreadClient client(clock);
  LoopbackResolver resolver;
  ProbeEndpoint endpoint(clock, client, resolver);
  endpoint.Configure(ModuleWithHealthPath("/health"));

  const std::string address = "127.0.0.1:" + std::to_string(target.port());
  server::ProbeRequest request{address, "api", 5.0};
  request.debug = true;
  const server::HttpReply reply = endpoint.Handle(request);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8");
  EXPECT_THAT(reply.body, ::testing::HasSubstr("Round 1:\n  health (readiness): GET http://" +
                                               address + "/health\n    status 200"));
  EXPECT_THAT(reply.body, ::testing::HasSubstr("  sample data: GET http://" + address +
                                               "/api/data\n    status 500, 7 body bytes"));
  EXPECT_THAT(reply.body, ::testing::HasSubstr("    judged: FAIL (status)\n"));
  EXPECT_THAT(reply.body, ::testing::HasSubstr("\nVerdict: "));
  EXPECT_THAT(reply.body, ::testing::HasSubstr("Metrics that would have been returned:\n"
                                               "# HELP probe_success"));

  // The status page and /api/v1/status list it, with the module that probed it.
  const std::vector<engine::TargetSnapshot> probed = endpoint.Snapshots();
  ASSERT_EQ(probed.size(), 1u);
  EXPECT_EQ(probed[0].name, address);
  EXPECT_EQ(probed[0].module, "api");
  EXPECT_EQ(probed[0].api_window.failures, 1);
}

TEST(ProbeEndpointStateTest, AtTheBoundTheLeastRecentlyScrapedIsDroppedFirst) {
  FakeClock clock;
  testing::InstantHttpClient client(clock, std::chrono::milliseconds(0));
  LoopbackResolver resolver;
  constexpr std::size_t kBound = 50;  // the production bound, kMaxTrackedTargets, is 10,000
  ProbeEndpoint endpoint(clock, client, resolver, kBound);
  endpoint.Configure(ModuleWithHealthPath("/health"));
  const auto target = [](std::size_t i) { return "127.0.0." + std::to_string(i + 1) + ":1"; };
  for (std::size_t i = 0; i < kBound; ++i) {
    ASSERT_EQ(endpoint.Handle(ScrapeOf(target(i))).status, 200);
    clock.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(endpoint.tracked_targets(), kBound);
  ASSERT_EQ(endpoint.Handle(ScrapeOf(target(0))).status, 200);  // now the freshest
  clock.Advance(std::chrono::milliseconds(1));
  ASSERT_EQ(endpoint.Handle(ScrapeOf("127.1.0.1:1")).status, 200);  // one more: #1 goes
  EXPECT_EQ(endpoint.tracked_targets(), kBound);
  // Kept state counts on; dropped state starts over.
  const auto probes_total = [&](const std::string& scraped) {
    const std::string body = endpoint.Handle(ScrapeOf(scraped)).body;
    const std::string key =
        "healthgap_health_probes_total{check=\"readiness\",target=\"" + scraped + "\"} ";
    const auto at = body.find(key);
    return at == std::string::npos ? -1 : std::stoi(body.substr(at + key.size()));
  };
  EXPECT_EQ(probes_total(target(0)), 3);
  EXPECT_EQ(probes_total(target(1)), 1);
}

TEST(ProbeBudgetTest, ScrapeTimeoutLessTheOffsetWithinTheModulesOwnWorstCase) {
  config::Module module = config::BuiltinDefaultModule();
  module.health.timeout = std::chrono::seconds(2);
  module.samples[0].timeout = std::chrono::seconds(3);
  module.rounds = 2;
  using std::chrono::milliseconds;
  const auto budget = [&](double seconds) {
    return std::chrono::duration_cast<milliseconds>(ProbeEndpoint::Budget(seconds, module));
  };
  EXPECT_EQ(budget(4.0), milliseconds(3500));
  EXPECT_EQ(budget(0.2), milliseconds(100));     // never below 0.1 s
  EXPECT_EQ(budget(10.0), milliseconds(6000));   // 2 rounds x the slowest timeout, 3 s
  EXPECT_EQ(budget(1e300), milliseconds(6000));  // no overflow, whatever the header said
}

}  // namespace
}  // namespace healthgap::app
