// The emulated LB view against a real HAProxy 2.6 (Debian's, started here with its own config
// and an admin socket) checking the same switchable backend with the same settings: inter 1s,
// rise 2, fall 3, `option httpchk`, `http-check expect status 200`. Over a scripted timeline
// (start failing, recover, fail, recover, a short flap, a 302, recover, a health check slower
// than the timeout, recover) healthgap's `lb: haproxy` view must agree in kind with HAProxy's
// `show stat` status after every step, and flip within one check period of HAProxy. Both sides
// are observed by the same poll, so the comparison holds however fast the machine is.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/lb_presets.h"
#include "engine/engine.h"
#include "probe/curl_multi_client.h"
#include "support/haproxy.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"

namespace healthgap {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Instant = std::chrono::steady_clock::time_point;

constexpr milliseconds kInter{1000};  // HAProxy's inter, healthgap's interval and timeout

// What /health answers: a status, or a 200 after longer than the check timeout.
constexpr int kSlow = 0;

struct Flip {
  bool in_rotation;
  Instant at;
};

// One view of the server: whether it is in rotation, when that last changed, how many of its
// checks failed.
struct View {
  std::optional<bool> in_rotation;
  std::vector<Flip> flips;
  std::uint64_t failed_checks = 0;
  std::uint64_t passed_checks = 0;

  void Observe(bool now_in, Instant at) {
    if (in_rotation && *in_rotation != now_in) flips.push_back({now_in, at});
    in_rotation = now_in;
  }
};

class HaproxyAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      const int mode = health_.load();
      if (mode == kSlow) {
        // Past both sides' 1 s timeout; bounded, so the server's threads come back.
        std::this_thread::sleep_for(milliseconds(1600));
        res.status = 200;
      } else {
        res.status = mode;
      }
      if (res.status == 302) res.set_header("Location", "/elsewhere");
      res.set_content("x", "text/plain");
    });
    backend_.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("x", "text/plain");
    });
    ASSERT_TRUE(backend_.Start());
  }

  // HAProxy's view: UP, "UP 1/3" (going down) are in rotation; DOWN, "DOWN 1/2" are not.
  // (sources/haproxy_stat.h reads it.)
  bool PollHaproxy(const testing::Haproxy& haproxy, Instant now) {
    const auto stat = haproxy.ServerStat("app", "s1");
    if (!stat) return false;
    haproxy_.Observe(sources::InRotation(stat->state), now);
    haproxy_.failed_checks = stat->failed_checks;
    haproxy_check_status_ = stat->check_status;
    return true;
  }

  void PollHealthgap(const engine::Engine& engine, Instant now) {
    const engine::EngineSnapshot snapshot = engine.Snapshot();
    const engine::HealthCheckSnapshot& check = snapshot.targets.at(0).primary();
    healthgap_.Observe(check.lb_state == eval::LbState::kHealthy, now);
    healthgap_.failed_checks =
        std::accumulate(check.failures_total.begin(), check.failures_total.end(), 0ULL);
    healthgap_.passed_checks = check.probes_total - healthgap_.failed_checks;
  }

  // Polls both views every 20 ms until `done` holds for them or `timeout` passes.
  template <typename Done>
  bool Watch(const testing::Haproxy& haproxy, const engine::Engine& engine, Done done,
             milliseconds timeout) {
    const Instant deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const Instant now = std::chrono::steady_clock::now();
      if (PollHaproxy(haproxy, now)) PollHealthgap(engine, now);
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  // One step: set /health, wait until both views are `in_rotation`, and check that each
  // flipped once, within `period` (how often each side checks in this step) of the other.
  void Step(const std::string& name, int health, bool in_rotation, milliseconds period,
            const testing::Haproxy& haproxy, const engine::Engine& engine) {
    const std::size_t haproxy_before = haproxy_.flips.size();
    const std::size_t healthgap_before = healthgap_.flips.size();
    health_ = health;
    const bool agreed = Watch(
        haproxy, engine,
        [&] {
          return haproxy_.in_rotation == in_rotation && healthgap_.in_rotation == in_rotation;
        },
        seconds(30));
    ASSERT_TRUE(agreed) << name << ": HAProxy " << Describe(haproxy_.in_rotation) << ", healthgap "
                        << Describe(healthgap_.in_rotation) << ", expected "
                        << Describe(in_rotation);
    ASSERT_EQ(haproxy_.flips.size(), haproxy_before + 1) << name;
    ASSERT_EQ(healthgap_.flips.size(), healthgap_before + 1) << name;
    const auto apart = std::chrono::duration_cast<milliseconds>(healthgap_.flips.back().at -
                                                                haproxy_.flips.back().at);
    std::printf("step %-22s %-16s healthgap flipped %+6lld ms from HAProxy (bound %lld ms)\n",
                name.c_str(), in_rotation ? "in rotation" : "out of rotation",
                static_cast<long long>(apart.count()),
                static_cast<long long>((period + kSlack).count()));
    EXPECT_LE(std::chrono::abs(apart), period + kSlack) << name;
  }

  static std::string Describe(std::optional<bool> in_rotation) {
    if (!in_rotation) return "not observed";
    return *in_rotation ? "in rotation" : "out of rotation";
  }

  // The poll's resolution and a check's own duration on a loaded machine.
  static constexpr milliseconds kSlack{400};

  testing::LoopbackServer backend_;
  std::atomic<int> health_{503};
  View haproxy_;
  View healthgap_;
  std::string haproxy_check_status_;
};

TEST_F(HaproxyAgreementTest, TheEmulatedViewFollowsHaproxyThroughATimeline) {
  const int refused = testing::UnusedLoopbackPort();
  ASSERT_GT(refused, 0);
  // Four servers before s1 delay its first check by 4/5 of inter (HAProxy spreads first checks
  // by position), so the state before any check can be read.
  std::string servers;
  for (int i = 0; i < 4; ++i) {
    servers += "  server pad" + std::to_string(i) + " 127.0.0.1:" + std::to_string(refused) +
               " check inter 1s\n";
  }
  const testing::Haproxy haproxy(
      "backend app\n  option httpchk GET /health\n"
      "  http-check expect status 200\n" +
      servers + "  server s1 127.0.0.1:" + std::to_string(backend_.port()) +
      " check inter 1s rise 2 fall 3\n");
  ASSERT_TRUE(haproxy.started());

  config::Target target;
  target.name = "s1";
  target.base_url = "http://127.0.0.1:" + std::to_string(backend_.port());
  target.health.path = "/health";
  target.health = config::ApplyLbPreset(target.health, *config::FindLbPreset("haproxy"));
  target.health.interval = kInter;
  target.health.timeout = kInter;  // HAProxy without `timeout check`: inter
  target.health.expected_status = config::StatusMatcher{{{200, 200}}};  // http-check expect
  config::ApiSample sample;
  sample.name = "data";
  sample.path = "/api/data";
  target.samples.push_back(sample);
  config::Config config;
  config.source = "<test>";
  config.targets.push_back(target);

  RealClock clock;
  probe::CurlMultiClient client(clock);
  engine::Engine engine(clock, client);
  engine.Apply(config);

  // Before any check: HAProxy has s1 UP (health = rise, "UP 1/3"), and so does healthgap.
  const Instant now = std::chrono::steady_clock::now();
  ASSERT_TRUE(PollHaproxy(haproxy, now));
  PollHealthgap(engine, now);
  EXPECT_EQ(haproxy_check_status_, "INI") << "HAProxy answered only after its first check";
  EXPECT_EQ(haproxy_.in_rotation, true);
  EXPECT_EQ(healthgap_.in_rotation, true);
  engine.Start();

  // Failing from the start: a single failed check takes it out, on both.
  Step("start failing", 503, false, kInter, haproxy, engine);
  Step("recover", 200, true, kInter, haproxy, engine);
  Step("health 503", 503, false, kInter, haproxy, engine);
  Step("recover again", 200, true, kInter, haproxy, engine);

  // A flap shorter than fall: one or two failed checks on each side, then passes; neither takes
  // the server out.
  const std::uint64_t haproxy_failed = haproxy_.failed_checks;
  const std::uint64_t healthgap_failed = healthgap_.failed_checks;
  const std::size_t flips = haproxy_.flips.size() + healthgap_.flips.size();
  health_ = 503;
  ASSERT_TRUE(Watch(
      haproxy, engine,
      [&] {
        return haproxy_.failed_checks > haproxy_failed &&
               healthgap_.failed_checks > healthgap_failed;
      },
      seconds(10)));
  health_ = 200;
  const std::uint64_t healthgap_passed = healthgap_.passed_checks;
  ASSERT_TRUE(Watch(
      haproxy, engine,
      [&] {
        return haproxy_check_status_ == "L7OK" && healthgap_.passed_checks > healthgap_passed;
      },
      seconds(10)));
  EXPECT_EQ(haproxy_.flips.size() + healthgap_.flips.size(), flips) << "a short flap took it out";
  EXPECT_EQ(haproxy_.in_rotation, true);
  EXPECT_EQ(healthgap_.in_rotation, true);

  // A redirect fails `http-check expect status 200` (the preset's own 200-399 would pass it).
  Step("health 302", 302, false, kInter, haproxy, engine);
  Step("recover from 302", 200, true, kInter, haproxy, engine);
  // Slower than the timeout: each check takes the timeout, and the next starts inter after it.
  Step("health too slow", kSlow, false, kInter * 2, haproxy, engine);
  Step("recover from slow", 200, true, kInter * 2, haproxy, engine);
  engine.Stop();
}

}  // namespace
}  // namespace healthgap
