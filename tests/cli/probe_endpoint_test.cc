// ProbeEndpoint in process, against a real loopback target through real curl.

#include "cli/probe_endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "config/loader.h"
#include "probe/curl_multi_client.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"

namespace healthgap::cli {
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
}  // namespace healthgap::cli
