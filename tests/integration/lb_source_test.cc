// The real balancer beside the emulation: a HAProxy 2.6 (started here, admin socket, `http-check
// expect status 200`) in front of a switchable backend, read through `sources`, while the
// target's emulated LB uses the haproxy preset's own 200-399. A 302 from /health is where they
// part: HAProxy takes the server out, the emulation keeps it in. The verdict follows HAProxy,
// the drift is exported, and when HAProxy's socket goes the last word stands until it is
// stale, then the emulation decides again.

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>

#include "app/source_poller.h"
#include "common/clock.h"
#include "config/loader.h"
#include "engine/engine.h"
#include "metrics/collector.h"
#include "probe/curl_multi_client.h"
#include "support/haproxy.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"

namespace healthgap {
namespace {

using std::chrono::seconds;

class LbSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      res.status = health_.load();
      if (res.status == 302) res.set_header("Location", "/elsewhere");
      res.set_content("x", "text/plain");
    });
    backend_.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("x", "text/plain");
    });
    ASSERT_TRUE(backend_.Start());
  }

  std::string Backend() const {
    return "backend app\n  option httpchk GET /health\n  http-check expect status 200\n"
           "  server s1 127.0.0.1:" +
           std::to_string(backend_.port()) + " check inter 200ms rise 1 fall 1\n";
  }

  config::Config Config(const std::string& socket) const {
    const std::string yaml =
        "sources:\n  - name: edge\n    type: haproxy\n    address: unix:" + socket +
        "\n    interval: 200ms\n    timeout: 200ms\n"
        "targets:\n  - name: shop\n    url: http://127.0.0.1:" +
        std::to_string(backend_.port()) +
        "\n    lb: haproxy\n    lb_source: {source: edge}\n"
        "    health: {path: /health, interval: 200ms, timeout: 200ms,\n"
        "             healthy_threshold: 1, unhealthy_threshold: 1}\n"
        "    samples: [{path: /api/data, interval: 200ms, timeout: 200ms}]\n";
    const config::LoadResult loaded = config::LoadString(yaml, "<test>");
    EXPECT_TRUE(loaded.config) << (loaded.error ? loaded.error->Format() : "");
    return *loaded.config;
  }

  engine::TargetSnapshot Shop(const engine::Engine& engine) const {
    return engine.Snapshot().targets.at(0);
  }

  testing::LoopbackServer backend_;
  std::atomic<int> health_{200};
};

TEST_F(LbSourceTest, TheVerdictFollowsHaproxyAndTheDriftShows) {
  std::optional<testing::Haproxy> haproxy(std::in_place, Backend());
  ASSERT_TRUE(haproxy->started());
  RealClock clock;
  probe::CurlMultiClient client(clock);
  engine::Engine engine(clock, client);
  const config::Config config = Config(haproxy->socket().unix_path);
  engine.Apply(config);
  app::SourcePoller poller(clock, engine);
  poller.Apply(config.sources);
  engine.Start();

  // Healthy on both sides, and both views agree.
  ASSERT_TRUE(testing::PollUntil([&] {
    const engine::TargetSnapshot shop = Shop(engine);
    return shop.real_lb && shop.real_lb->fresh && shop.real_lb->in_rotation &&
           shop.decision.verdict == eval::Verdict::kHealthy;
  }));
  engine::TargetSnapshot shop = Shop(engine);
  EXPECT_EQ(shop.real_lb->server, "app/s1");
  EXPECT_EQ(shop.lb_view_source, "haproxy");
  EXPECT_TRUE(engine.Snapshot().sources.at(0).up);

  // A 302: HAProxy expects 200 and takes s1 out; the preset's 200-399 keeps it in.
  health_ = 302;
  ASSERT_TRUE(testing::PollUntil([&] {
    const engine::TargetSnapshot s = Shop(engine);
    return s.real_lb && s.real_lb->fresh && !s.real_lb->in_rotation &&
           s.primary().lb_state == eval::LbState::kHealthy &&
           s.decision.verdict == eval::Verdict::kFalseNegative;
  }));
  shop = Shop(engine);
  EXPECT_EQ(shop.real_lb->state, "down");
  EXPECT_EQ(shop.lb.state, eval::LbState::kUnhealthy);  // the verdict's LB side is HAProxy's
  const std::string metrics = metrics::ExpositionText(engine.Snapshot(), {});
  EXPECT_NE(metrics.find("healthgap_lb_emulation_drift{source=\"edge\",target=\"shop\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("healthgap_lb_source_healthy{source=\"edge\",target=\"shop\"} 0\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("healthgap_source_up{source=\"edge\"} 1\n"), std::string::npos);

  // HAProxy's socket goes: the source is down, and once HAProxy's last word is stale the
  // emulation decides again (it keeps the target in rotation: healthy).
  haproxy.reset();
  ASSERT_TRUE(testing::PollUntil([&] {
    const engine::EngineSnapshot snapshot = engine.Snapshot();
    const engine::TargetSnapshot& s = snapshot.targets.at(0);
    return !snapshot.sources.at(0).up && s.real_lb && !s.real_lb->fresh &&
           s.lb_view_source == "emulated" && s.decision.verdict == eval::Verdict::kHealthy;
  }));
  EXPECT_GT(engine.Snapshot().sources.at(0).failures_total, 0u);
  EXPECT_NE(engine.Snapshot().sources.at(0).error, "");
  poller.Stop();
  engine.Stop();
}

}  // namespace
}  // namespace healthgap
