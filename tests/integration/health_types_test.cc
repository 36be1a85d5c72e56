// TCP and gRPC health checks through the whole engine, from a config file, against real servers:
// a port that accepts while its API fails (mismatch), one that refuses (down), a gRPC server
// switched between SERVING and NOT_SERVING at run time, and a gRPC server that never answers
// while an HTTP target's probes go on undelayed. The exposition names each check's type.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "engine/engine.h"
#include "metrics/collector.h"
#include "probe/curl_multi_client.h"
#include "probe/grpc_health_client.h"
#include "support/grpc_health_server.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/pki.h"
#include "support/poll_until.h"

namespace healthgap {
namespace {

using testing::GrpcHealthServer;
using ::testing::HasSubstr;
using testing::LoopbackServer;
using testing::PollUntil;

void ServeApi(LoopbackServer& server, int status) {
  server.Get("/api/data", [status](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content("x", "text/plain");
  });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
}

// One target: its health map and an API sample on `api_port`, each probed every `period` (also
// their timeout). Windows hold ten periods.
std::string Target(const std::string& name, int api_port, const std::string& health,
                   const std::string& period = "100ms", const std::string& window = "2s") {
  return "  - name: " + name + "\n    url: http://127.0.0.1:" + std::to_string(api_port) +
         "\n    health: {interval: " + period + ", timeout: " + period +
         ", healthy_threshold: 1, unhealthy_threshold: 1, " + health +
         "}\n"
         "    samples: [{path: /api/data, interval: " +
         period + ", timeout: " + period +
         "}]\n"
         "    evaluation: {window: " +
         window + ", min_samples: 2}\n";
}

class HealthTypesTest : public ::testing::Test {
 protected:
  void Run(const std::string& targets) {
    const config::LoadResult loaded = config::LoadString("targets:\n" + targets, "types.yml");
    ASSERT_TRUE(loaded.config) << loaded.error->Format();
    engine_.Apply(*loaded.config);
    engine_.Start();
  }
  void TearDown() override { engine_.Stop(); }

  const engine::TargetSnapshot Find(std::string_view name) {
    for (auto& target : engine_.Snapshot().targets) {
      if (target.name == name) return target;
    }
    throw std::runtime_error("no target " + std::string(name));
  }
  bool VerdictBecomes(std::string_view name, eval::Verdict verdict) {
    return PollUntil([&] { return Find(name).decision.verdict == verdict; });
  }

  RealClock clock_;
  probe::CurlMultiClient http_{clock_};
  probe::GrpcHealthClient grpc_{clock_};
  probe::ProtocolRouter client_{http_, grpc_};
  engine::Engine engine_{clock_, client_};
};

TEST_F(HealthTypesTest, TcpChecksSeeThePortNotTheApplication) {
  LoopbackServer failing;
  ServeApi(failing, 500);
  ASSERT_TRUE(failing.Start());
  const int refused = testing::UnusedLoopbackPort();
  Run(Target("accepts", failing.port(), "type: tcp") +
      Target("refuses", failing.port(), "type: tcp, port: " + std::to_string(refused)));

  EXPECT_TRUE(VerdictBecomes("accepts", eval::Verdict::kMismatch));
  EXPECT_EQ(Find("accepts").decision.cause, eval::Cause::kShallowCheck);
  EXPECT_TRUE(VerdictBecomes("refuses", eval::Verdict::kDown));
  EXPECT_EQ(Find("refuses").primary().last.error, FailureReason::kConnectionRefused);

  const std::string text = metrics::ExpositionText(engine_.Snapshot(), {});
  EXPECT_THAT(
      text,
      HasSubstr("type=\"tcp\",url=\"tcp://127.0.0.1:" + std::to_string(failing.port()) + "\""));
}

TEST_F(HealthTypesTest, GrpcServingStatusSwitchesTheLbViewAtRunTime) {
  LoopbackServer api;
  ServeApi(api, 200);
  ASSERT_TRUE(api.Start());
  GrpcHealthServer grpc;
  ASSERT_TRUE(grpc.ok());
  grpc.SetServing("checkout", true);
  // gRPC calls open a channel each: a longer period than plain TCP's, for sanitizer builds.
  Run(Target("grpc", api.port(),
             "type: grpc, service: checkout, port: " + std::to_string(grpc.port()), "500ms", "5s"));

  EXPECT_TRUE(VerdictBecomes("grpc", eval::Verdict::kHealthy));
  grpc.SetServing("checkout", false);
  EXPECT_TRUE(VerdictBecomes("grpc", eval::Verdict::kFalseNegative));
  EXPECT_EQ(Find("grpc").primary().last.error, FailureReason::kGrpcNotServing);
  grpc.SetServing("checkout", true);
  EXPECT_TRUE(VerdictBecomes("grpc", eval::Verdict::kHealthy));
}

TEST_F(HealthTypesTest, GrpcOverTlsWithThePrivateCaOfTheTarget) {
  // An https base URL would put the API samples on TLS too: `tls: true` puts only the gRPC
  // check on it, verified through the target's tls_config.
  ASSERT_EQ(testing::Pki::Get().error(), "");
  const auto& pki = testing::Pki::Get();
  GrpcHealthServer grpc(
      {.cert_file = (pki / "server.crt").string(), .key_file = (pki / "server.key").string()});
  ASSERT_TRUE(grpc.ok());
  LoopbackServer api;
  ServeApi(api, 200);
  ASSERT_TRUE(api.Start());
  const std::string health = "type: grpc, tls: true, port: " + std::to_string(grpc.port());
  // Handshakes under a sanitizer take longer than plain connects: a 1 s period.
  Run(Target("trusted", api.port(), health, "1s", "10s") + "    tls_config: {ca_file: " +
      (pki / "ca.crt").string() + "}\n" + Target("untrusted", api.port(), health, "1s", "10s"));

  EXPECT_TRUE(VerdictBecomes("trusted", eval::Verdict::kHealthy))
      << Find("trusted").primary().last.error_detail;
  EXPECT_TRUE(VerdictBecomes("untrusted", eval::Verdict::kFalseNegative));
  EXPECT_EQ(Find("untrusted").primary().last.error, FailureReason::kTls);
}

TEST_F(HealthTypesTest, ASilentGrpcServerDelaysNoHttpTarget) {
  GrpcHealthServer silent({.never_answer = true});
  ASSERT_TRUE(silent.ok());
  LoopbackServer api;
  ServeApi(api, 200);
  ASSERT_TRUE(api.Start());
  // The silent target's call waits out its 5 s deadline; the HTTP target probes every 100 ms.
  // (The scheduler starts "silent/health" 0.3 s into its 6 s interval: its start phase is a
  // stable hash of the name.)
  Run("  - name: silent\n    url: http://127.0.0.1:" + std::to_string(api.port()) +
      "\n    health: {type: grpc, port: " + std::to_string(silent.port()) +
      ", interval: 6s, timeout: 5s}\n"
      "    samples: [{path: /api/data, interval: 6s}]\n" +
      Target("http", api.port(), "path: /health"));
  ASSERT_TRUE(PollUntil([&] { return silent.HeldCalls() == 1; }));
  const std::uint64_t before = Find("http").checks[0].probes_total;
  EXPECT_TRUE(PollUntil([&] { return Find("http").checks[0].probes_total >= before + 10; }));
  EXPECT_EQ(silent.HeldCalls(), 1);  // still held: the 10 probes did not wait for it
  EXPECT_FALSE(Find("silent").primary().last.has_result);
}

}  // namespace
}  // namespace healthgap
