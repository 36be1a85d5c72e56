// The real engine with the real curl client against real loopback servers: one hung target must
// not delay any other, and every hostile behaviour ends as a classified failure.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "engine/engine.h"
#include "probe/curl_multi_client.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"

namespace healthgap {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HostileServer;
using testing::LoopbackServer;
using testing::PollUntil;

// The healthy target is probed every 50 ms; its timeout is generous so that a machine busy
// with other tests cannot turn a slow loopback answer into a failure (the LB view here flips on
// one failure). What these tests check is that nothing waits for the misbehaving target.
constexpr milliseconds kGenerousTimeout{5'000};

config::Target MakeTarget(std::string name, std::string base_url, milliseconds interval,
                          milliseconds timeout) {
  config::Target target;
  target.name = std::move(name);
  target.base_url = std::move(base_url);
  target.health.interval = interval;
  target.health.timeout = timeout;
  target.health.healthy_threshold = 1;
  target.health.unhealthy_threshold = 1;
  config::ApiSample sample;
  sample.name = "data";
  sample.path = "/api/data";
  sample.interval = interval;
  sample.timeout = timeout;
  target.samples.push_back(sample);
  target.evaluation.window = seconds(60);
  target.evaluation.min_samples = 3;
  return target;
}

const engine::TargetSnapshot* Find(const engine::EngineSnapshot& snapshot, std::string_view name) {
  for (const auto& target : snapshot.targets) {
    if (target.name == name) return &target;
  }
  return nullptr;
}

std::string BaseUrl(const std::string& url_with_slash) {
  return url_with_slash.substr(0, url_with_slash.size() - 1);
}

class EngineProbingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    healthy_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    healthy_.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"rows":3})", "application/json");
    });
    ASSERT_TRUE(healthy_.Start());
  }

  RealClock clock_;
  LoopbackServer healthy_;
  probe::CurlMultiClient client_{clock_};
};

TEST_F(EngineProbingTest, HungTargetDoesNotDelayOthers) {
  HostileServer hung(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung.ok()) << hung.error();
  engine::Engine engine(clock_, client_);
  config::Config config;
  // The hung target's probes take 10 s to time out; the healthy one is probed every 50 ms.
  config.targets.push_back(MakeTarget("hung", BaseUrl(hung.Url()), seconds(10), seconds(10)));
  config.targets.push_back(
      MakeTarget("fast", BaseUrl(healthy_.Url("/")), milliseconds(50), kGenerousTimeout));
  engine.Apply(config);
  engine.Start();

  ASSERT_TRUE(PollUntil([&] { return hung.RequestsSeen() >= 1; }));
  ASSERT_TRUE(PollUntil([&] {
    const auto snapshot = engine.Snapshot();
    return Find(snapshot, "fast")->primary().probes_total >= 10 &&
           Find(snapshot, "fast")->samples[0].requests_total >= 10;
  }));
  const auto snapshot = engine.Snapshot();
  // Twenty answers from the healthy target arrived while the hung target's probes were still
  // in flight: nothing waited for them.
  EXPECT_EQ(Find(snapshot, "hung")->primary().probes_total, 0u);
  EXPECT_EQ(Find(snapshot, "hung")->samples[0].requests_total, 0u);
  EXPECT_GE(snapshot.stats.in_flight, 1u);
  EXPECT_EQ(Find(snapshot, "fast")->lb.state, eval::LbState::kHealthy);
  engine.Stop();
}

// keep_alive: true reuses a connection across a sample's requests, false opens one for each;
// client_port tells connections apart.
TEST_F(EngineProbingTest, SamplesReuseAConnectionOnlyWithKeepAlive) {
  LoopbackServer fresh;
  fresh.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  fresh.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"rows":3})", "application/json");
  });
  ASSERT_TRUE(fresh.Start());
  engine::Engine engine(clock_, client_);
  config::Config config;
  config.targets.push_back(
      MakeTarget("pooled", BaseUrl(healthy_.Url("/")), milliseconds(50), kGenerousTimeout));
  config.targets.push_back(
      MakeTarget("fresh", BaseUrl(fresh.Url("/")), milliseconds(50), kGenerousTimeout));
  config.targets.back().samples[0].keep_alive = false;
  engine.Apply(config);
  engine.Start();

  constexpr std::size_t kSamples = 6;
  const auto sample_ports = [](const LoopbackServer& server) {
    std::vector<int> ports;
    for (const auto& request : server.Requests()) {
      if (request.path == "/api/data") ports.push_back(request.client_port);
    }
    return ports;
  };
  ASSERT_TRUE(PollUntil([&] {
    return sample_ports(healthy_).size() >= kSamples && sample_ports(fresh).size() >= kSamples;
  }));
  engine.Stop();
  const auto distinct = [](std::vector<int> ports) {
    std::sort(ports.begin(), ports.end());
    return static_cast<std::size_t>(std::unique(ports.begin(), ports.end()) - ports.begin());
  };
  const std::vector<int> pooled_ports = sample_ports(healthy_);
  const std::vector<int> fresh_ports = sample_ports(fresh);
  EXPECT_LT(distinct(pooled_ports), pooled_ports.size());
  EXPECT_EQ(distinct(fresh_ports), fresh_ports.size());
}

struct HostileCase {
  HostileServer::Mode mode;
  FailureReason expected;
};

void PrintTo(const HostileCase& hostile, std::ostream* out) {
  *out << testing::ToString(hostile.mode);
}

class HostileTargetTest : public EngineProbingTest,
                          public ::testing::WithParamInterface<HostileCase> {};

TEST_P(HostileTargetTest, FailureIsClassifiedAndOthersKeepBeingProbed) {
  HostileServer hostile(GetParam().mode);
  ASSERT_TRUE(hostile.ok()) << hostile.error();
  engine::Engine engine(clock_, client_);
  config::Config config;
  config::Target bad =
      MakeTarget("hostile", BaseUrl(hostile.Url()), milliseconds(300), milliseconds(300));
  bad.max_body_bytes = 1 << 20;
  config.targets.push_back(bad);
  config.targets.push_back(
      MakeTarget("fast", BaseUrl(healthy_.Url("/")), milliseconds(50), kGenerousTimeout));
  engine.Apply(config);
  engine.Start();

  const auto reason = static_cast<std::size_t>(GetParam().expected);
  ASSERT_TRUE(PollUntil([&] {
    const auto snapshot = engine.Snapshot();
    const auto* target = Find(snapshot, "hostile");
    return target->samples[0].failures_total[reason] >= 2 &&
           target->primary().failures_total[reason] >= 2;
  })) << "expected reason "
      << ToString(GetParam().expected);
  const auto before = Find(engine.Snapshot(), "fast")->primary().probes_total;
  ASSERT_TRUE(PollUntil(
      [&] { return Find(engine.Snapshot(), "fast")->primary().probes_total >= before + 5; }));
  const auto snapshot = engine.Snapshot();
  EXPECT_EQ(Find(snapshot, "hostile")->lb.state, eval::LbState::kUnhealthy);
  EXPECT_EQ(Find(snapshot, "fast")->lb.state, eval::LbState::kHealthy);
  engine.Stop();
}

INSTANTIATE_TEST_SUITE_P(
    Modes, HostileTargetTest,
    ::testing::Values(HostileCase{HostileServer::Mode::kHang, FailureReason::kTimeout},
                      HostileCase{HostileServer::Mode::kResetMidBody,
                                  FailureReason::kConnectionReset},
                      HostileCase{HostileServer::Mode::kEndlessBody, FailureReason::kTooLarge},
                      HostileCase{HostileServer::Mode::kEndlessChunked, FailureReason::kTooLarge},
                      HostileCase{HostileServer::Mode::kGarbage, FailureReason::kBadResponse}),
    [](const auto& info) {
      std::string name(testing::ToString(info.param.mode));
      std::erase_if(name, [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); });
      return name;
    });

TEST_F(EngineProbingTest, RedirectLoopOnApiIsClassified) {
  LoopbackServer looping;
  looping.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  looping.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/api/data");
  });
  ASSERT_TRUE(looping.Start());
  engine::Engine engine(clock_, client_);
  config::Config config;
  config.targets.push_back(
      MakeTarget("loop", BaseUrl(looping.Url("/")), milliseconds(100), milliseconds(100)));
  engine.Apply(config);
  engine.Start();
  const auto reason = static_cast<std::size_t>(FailureReason::kRedirectLoop);
  ASSERT_TRUE(PollUntil([&] {
    const auto snapshot = engine.Snapshot();
    return Find(snapshot, "loop")->samples[0].failures_total[reason] >= 3;
  }));
  const auto snapshot = engine.Snapshot();
  EXPECT_EQ(Find(snapshot, "loop")->lb.state, eval::LbState::kHealthy);
  EXPECT_EQ(Find(snapshot, "loop")->decision.verdict, eval::Verdict::kMismatch);
  engine.Stop();
}

// A static target's redirects are followed, but what crosses to another origin carries no
// credentials or application headers, and its health check is never redirected at all.
TEST_F(EngineProbingTest, RedirectToAnotherOriginCarriesNoSecretsAndHealthIsNotRedirected) {
  LoopbackServer elsewhere;
  elsewhere.Handle("/.*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  ASSERT_TRUE(elsewhere.Start());
  LoopbackServer target;
  for (const char* path : {"/health", "/api/data"}) {
    target.Get(path, [to = elsewhere.Url(path)](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(to, 307);
    });
  }
  ASSERT_TRUE(target.Start());
  config::Target configured =
      MakeTarget("moved", BaseUrl(target.Url("/")), milliseconds(100), kGenerousTimeout);
  configured.samples[0].headers = {{"X-Api-Key", "secret"}};
  configured.auth.bearer_token = config::Secret("token");
  engine::Engine engine(clock_, client_);
  config::Config config;
  config.targets.push_back(configured);
  engine.Apply(config);
  engine.Start();
  ASSERT_TRUE(PollUntil([&] { return elsewhere.RequestCount() >= 3; }));
  engine.Stop();
  for (const auto& seen : elsewhere.Requests()) {
    EXPECT_EQ(seen.path, "/api/data");  // never /health: the LB does not follow redirects
    EXPECT_EQ(seen.headers.count("X-Api-Key"), 0u);
    EXPECT_EQ(seen.headers.count("Authorization"), 0u);
  }
}

}  // namespace
}  // namespace healthgap
