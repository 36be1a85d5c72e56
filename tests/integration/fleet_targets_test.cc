// Targets as a fleet has them, on a real nginx, probed by the real engine and curl client from a
// config file: behind TLS with a private CA (trusted only through tls_config.ca_file), with
// insecure_skip_verify, untrusted (curl's reason reaches the status API), and a virtual host
// that answers only a health check sending its Host header.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/loader.h"
#include "engine/engine.h"
#include "metrics/collector.h"
#include "probe/curl_multi_client.h"
#include "server/status_page.h"
#include "support/nginx.h"
#include "support/pki.h"
#include "support/poll_until.h"
#include "support/promtool.h"

namespace healthgap {
namespace {

using ::testing::HasSubstr;
using testing::Nginx;
using ::testing::Not;
using testing::Pki;
using testing::PollUntil;

std::string Cert(const std::string& name) { return (Pki::Get() / name).string(); }

std::string Config(int port) {
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  const std::string probing =
      "    health: {interval: 5s, timeout: 5s, healthy_threshold: 1, unhealthy_threshold: 1}\n"
      "    samples: [{path: /api/data, interval: 5s, timeout: 5s}]\n"
      "    evaluation: {window: 1m, min_samples: 1}\n";
  return "targets:\n"
         "  - name: trusted\n    url: " +
         url + "\n    tls_config: {ca_file: " + Cert("ca.crt") + "}\n" + probing +
         "  - name: untrusted\n    url: " + url + "\n" + probing +
         "  - name: insecure\n    url: " + url +
         "\n    tls_config: {insecure_skip_verify: true}\n" + probing;
}

// Polls until every target has a health result and an API sample.
engine::EngineSnapshot ProbeAll(const config::Config& config) {
  RealClock clock;
  probe::CurlMultiClient client(clock);
  engine::Engine engine(clock, client);
  engine.Apply(config);
  engine.Start();
  const bool done = PollUntil([&] {
    const engine::EngineSnapshot snapshot = engine.Snapshot();
    for (const auto& target : snapshot.targets) {
      if (!target.primary().last.has_result || target.samples[0].requests_total == 0) return false;
    }
    return true;
  });
  engine::EngineSnapshot snapshot = engine.Snapshot();
  engine.Stop();
  EXPECT_TRUE(done);
  return snapshot;
}

const engine::TargetSnapshot& Find(const engine::EngineSnapshot& snapshot, std::string_view name) {
  for (const auto& target : snapshot.targets) {
    if (target.name == name) return target;
  }
  throw std::runtime_error("no target " + std::string(name));
}

TEST(FleetTargetsTest, APrivateCaNeedsItsCaFileAndTheReasonReachesTheStatusApi) {
  ASSERT_EQ(Pki::Get().error(), "");
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_certificate " + Cert("server.crt") +
              "; ssl_certificate_key " + Cert("server.key") + "; location / { return 200 ok; } }");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const config::LoadResult loaded = config::LoadString(Config(nginx.port()), "tls.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();

  const engine::EngineSnapshot snapshot = ProbeAll(*loaded.config);

  EXPECT_TRUE(Find(snapshot, "trusted").primary().last.success)
      << Find(snapshot, "trusted").primary().last.error_detail;
  EXPECT_TRUE(Find(snapshot, "insecure").primary().last.success)
      << Find(snapshot, "insecure").primary().last.error_detail;

  const engine::HealthProbeSnapshot& untrusted = Find(snapshot, "untrusted").primary().last;
  EXPECT_FALSE(untrusted.success);
  EXPECT_EQ(untrusted.error, FailureReason::kTls);
  EXPECT_THAT(untrusted.error_detail, HasSubstr("SSL certificate problem"));

  // The bounded reason is the label; curl's words are in the status API for a human.
  const nlohmann::json status = nlohmann::json::parse(server::RenderStatusJson(snapshot));
  bool found = false;
  for (const auto& target : status["targets"]) {
    if (target["target"] != "untrusted") continue;
    found = true;
    EXPECT_THAT(target["last_health"].get<std::string>(), HasSubstr("tls in "));
    EXPECT_THAT(target["last_health"].get<std::string>(), HasSubstr("SSL certificate problem"));
  }
  EXPECT_TRUE(found);
}

TEST(FleetTargetsTest, CertificateSeriesDescribeTheHandshakesOfHealthChecksAndSamples) {
  ASSERT_EQ(Pki::Get().error(), "");
  Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_protocols TLSv1.3; ssl_certificate " +
              Cert("server.crt") + "; ssl_certificate_key " + Cert("server.key") +
              "; location / { return 200 ok; } }");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const config::LoadResult loaded = config::LoadString(Config(nginx.port()), "tls.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();

  const std::string text = metrics::TargetExpositionText(ProbeAll(*loaded.config).targets);
  const auto [code, lint] = testing::PromtoolCheckMetrics(text);
  EXPECT_EQ(code, 0) << lint;

  // A verified chain has both expiries; insecure_skip_verify against a certificate the system
  // does not trust verifies nothing, so only the earliest presented certificate's is there.
  EXPECT_THAT(text, HasSubstr("probe_ssl_earliest_cert_expiry{target=\"trusted\"} "));
  EXPECT_THAT(text,
              HasSubstr("probe_ssl_last_chain_expiry_timestamp_seconds{target=\"trusted\"} "));
  EXPECT_THAT(text, HasSubstr("probe_tls_version_info{target=\"trusted\",version=\"TLS 1.3\"} 1"));
  EXPECT_THAT(text, HasSubstr("probe_ssl_earliest_cert_expiry{target=\"insecure\"} "));
  EXPECT_THAT(text,
              Not(HasSubstr("probe_ssl_last_chain_expiry_timestamp_seconds{target=\"insecure\"}")));
  EXPECT_THAT(text, HasSubstr("healthgap_api_ssl_last_chain_expiry_timestamp_seconds{sample="
                              "\"api_data\",target=\"trusted\"} "));
  EXPECT_THAT(text, HasSubstr("healthgap_api_tls_version_info{sample=\"api_data\",target="
                              "\"trusted\",version=\"TLS 1.3\"} 1"));
  // A handshake that failed describes no certificate.
  EXPECT_THAT(text, Not(HasSubstr("probe_ssl_earliest_cert_expiry{target=\"untrusted\"}")));
  EXPECT_THAT(text, Not(HasSubstr("probe_tls_version_info{target=\"untrusted\"")));
}

TEST(FleetTargetsTest, AVirtualHostAnswersTheHealthCheckThatSendsItsHost) {
  // nginx's default server answers 421 to any other Host, as a shared ingress does.
  Nginx nginx(
      "server { listen 127.0.0.1:{PORT} default_server; location / { return 421; } }\n"
      "server { listen 127.0.0.1:{PORT}; server_name api.internal; location / { return 200 ok; } "
      "}");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "http://127.0.0.1:" + std::to_string(nginx.port());
  const std::string probing =
      "    samples: [{path: /api/data, interval: 5s, timeout: 5s, headers: {Host: api.internal}}]\n"
      "    evaluation: {window: 1m, min_samples: 1}\n";
  const config::LoadResult loaded = config::LoadString(
      "defaults:\n  health: {interval: 5s, timeout: 5s, healthy_threshold: 1, unhealthy_threshold: "
      "1}\n"
      "targets:\n"
      "  - name: with-host\n    url: " +
          url + "\n    health: {headers: {Host: api.internal}}\n" + probing +
          "  - name: without-host\n    url: " + url + "\n" + probing,
      "vhost.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  const engine::EngineSnapshot snapshot = ProbeAll(*loaded.config);
  EXPECT_EQ(Find(snapshot, "with-host").primary().last.status_code, 200);
  EXPECT_TRUE(Find(snapshot, "with-host").primary().last.success);
  EXPECT_EQ(Find(snapshot, "without-host").primary().last.status_code, 421);
  EXPECT_FALSE(Find(snapshot, "without-host").primary().last.success);
}

// The case the reference describes, in its API form: /health says 200, the API says 200 too, but
// with an error envelope. With a body condition configured, serve's verdict is mismatch.
TEST(FleetTargetsTest, AnErrorEnvelopeBehindA200IsAMismatchWithABodyCondition) {
  Nginx nginx(
      "server { listen 127.0.0.1:{PORT}; location /health { return 200 ok; }"
      " location /api/ { default_type application/json; return 200 '{\"error\":\"db down\"}'; } }");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  const std::string url = "http://127.0.0.1:" + std::to_string(nginx.port());
  const config::LoadResult loaded = config::LoadString(
      "defaults:\n"
      "  health: {interval: 1s, timeout: 1s, healthy_threshold: 1, unhealthy_threshold: 1}\n"
      "  sample: {interval: 1s, timeout: 1s}\n"
      "  evaluation: {window: 1m, min_samples: 2}\n"
      "targets:\n"
      "  - name: by-status\n    url: " +
          url +
          "\n    samples: [{path: /api/data}]\n"
          "  - name: by-body\n    url: " +
          url +
          "\n"
          "    samples: [{path: /api/data, fail_if_body_matches_regexp: ['\"error\"']}]\n"
          "  - name: by-json\n    url: " +
          url + "\n    samples: [{path: /api/data, json_conditions: ['absent($.error)']}]\n",
      "envelope.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  RealClock clock;
  probe::CurlMultiClient client(clock);
  engine::Engine engine(clock, client);
  engine.Apply(*loaded.config);
  engine.Start();
  ASSERT_TRUE(PollUntil([&] {
    const engine::EngineSnapshot snapshot = engine.Snapshot();
    return Find(snapshot, "by-status").api_window.total >= 2 &&
           Find(snapshot, "by-body").api_window.total >= 2 &&
           Find(snapshot, "by-json").api_window.total >= 2;
  }));
  const engine::EngineSnapshot snapshot = engine.Snapshot();
  engine.Stop();
  EXPECT_EQ(Find(snapshot, "by-status").decision.verdict, eval::Verdict::kHealthy);
  const engine::TargetSnapshot& by_body = Find(snapshot, "by-body");
  EXPECT_EQ(by_body.decision.verdict, eval::Verdict::kMismatch) << by_body.decision.reason;
  EXPECT_GT(
      by_body.samples[0].failures_total[static_cast<std::size_t>(FailureReason::kBodyMismatch)],
      0u);
  const engine::TargetSnapshot& by_json = Find(snapshot, "by-json");
  EXPECT_EQ(by_json.decision.verdict, eval::Verdict::kMismatch) << by_json.decision.reason;
  EXPECT_GT(
      by_json.samples[0].failures_total[static_cast<std::size_t>(FailureReason::kBodyMismatch)],
      0u);
}

}  // namespace
}  // namespace healthgap
