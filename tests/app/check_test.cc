#include "app/check.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probe/blocking.h"
#include "probe/curl_multi_client.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/nginx.h"
#include "support/pki.h"
#include "support/subprocess.h"

namespace healthgap::app {
namespace {

using testing::Subprocess;

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBackendScript[] = HEALTHGAP_SOURCE_DIR "/tests/support/third_party_backend.py";

// tests/support/third_party_backend.py, written independently of our C++ demo backends.
class ThirdPartyBackend {
 public:
  explicit ThirdPartyBackend(const std::string& mode)
      : process_({"python3", kBackendScript, "--mode", mode}) {
    const auto line = process_.ReadLine(std::chrono::seconds(20));
    if (!line) throw std::runtime_error("backend in mode " + mode + " printed no port");
    port_ = std::stoi(*line);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  Subprocess process_;
  int port_ = 0;
};

CheckOptions FastOptions(const std::string& url) {
  CheckOptions options;
  options.base_url = url;
  options.sample_paths = {"/api/data"};
  options.timeout = std::chrono::seconds(2);  // loaded CI machines; answers take milliseconds
  options.spacing = std::chrono::milliseconds(5);
  return options;
}

struct CheckRun {
  int exit_code = -1;
  std::string output;
};

CheckRun RunWithCurl(const CheckOptions& options) {
  RealClock clock;
  probe::CurlMultiClient client(clock);
  std::ostringstream out;
  CheckRun run;
  run.exit_code = RunCheck(options, client, clock, out);
  run.output = out.str();
  return run;
}

struct ModeCase {
  std::string mode;
  std::string verdict_line;
  int exit_code;
  std::string sample_row;  // a regex for /api/data's row in the user view
  std::string why;         // the start of the explanation
};

// Readable test names in ctest instead of a byte dump.
void PrintTo(const ModeCase& mode_case, std::ostream* out) { *out << mode_case.mode; }

class CheckAgainstThirdPartyBackend : public ::testing::TestWithParam<ModeCase> {};

TEST_P(CheckAgainstThirdPartyBackend, PrintsVerdictAndExitsWithItsCode) {
  const ModeCase& expected = GetParam();
  ThirdPartyBackend backend(expected.mode);
  CheckOptions options = FastOptions(backend.url());
  if (expected.mode == "deadlock") {
    options.timeout = std::chrono::milliseconds(1500);  // the API hangs for 600 s
  }

  const CheckRun run = RunWithCurl(options);

  EXPECT_EQ(run.exit_code, expected.exit_code) << run.output;
  EXPECT_THAT(run.output, HasSubstr("\n" + expected.verdict_line + "\n")) << run.output;
  EXPECT_THAT(run.output, ContainsRegex(expected.sample_row)) << run.output;
  EXPECT_THAT(run.output, HasSubstr("LB view")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("User view")) << run.output;
  EXPECT_THAT(run.output, ContainsRegex("\nwhy: " + expected.why)) << run.output;
  // The verdict is the last line, so scripts can `tail -1`.
  EXPECT_TRUE(run.output.ends_with(expected.verdict_line + "\n")) << run.output;
}

INSTANTIATE_TEST_SUITE_P(
    Modes, CheckAgainstThirdPartyBackend,
    ::testing::Values(
        // A working API takes about 27 samples to be clearly below 20% at 99%; a failing one
        // is clearly above after 2 and goes on while the health side needs rounds, unless it
        // times out (deadlock): then only the health side keeps sampling.
        ModeCase{"honest", "verdict: healthy", kCheckHealthy, "/api/data +2[0-9] +0 +- ",
                 "health check 200 in"},
        ModeCase{"shallow", "verdict: mismatch", kCheckMismatch,
                 "/api/data +0 +2[0-9] +status: 2[0-9] ", "health check 200 in"},
        ModeCase{"pool", "verdict: mismatch", kCheckMismatch,
                 "/api/data +0 +2[0-9] +status: 2[0-9] ", "health check 200 in"},
        ModeCase{"cached", "verdict: mismatch", kCheckMismatch,
                 "/api/data +0 +2[0-9] +status: 2[0-9] ", "health check 200 in"},
        ModeCase{"deadlock", "verdict: mismatch", kCheckMismatch, "/api/data +0 +2 +timeout: 2 ",
                 "health check 200 in"},
        ModeCase{"false-negative", "verdict: false-negative", kCheckFalseNegative,
                 "/api/data +2[0-9] +0 +- ", "health check failing \\(503 in"},
        ModeCase{"both-5xx", "verdict: down", kCheckDown, "/api/data +0 +2 +status: 2 ",
                 "health check failing \\(503 in"},
        ModeCase{"degraded", "verdict: degraded", kCheckDegraded, "/api/data +2[0-9] +0 +- ",
                 "health check 200 in"},
        ModeCase{"flapping", "verdict: false-negative", kCheckFalseNegative,
                 "/api/data +2[0-9] +0 +- ",
                 "health check failed [0-9]+ of [0-9]+ rounds \\(a flapping check"}),
    [](const auto& info) {
      std::string name = info.param.mode;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(CheckTest, ShallowHealthCheckShowsBothViewsInDetail) {
  ThirdPartyBackend backend("shallow");
  const CheckRun run = RunWithCurl(FastOptions(backend.url()));

  // The health checks all passed, and the emulated LB put the target in rotation.
  EXPECT_THAT(run.output, ContainsRegex("/health +2[0-9] +0 +- .* 200\n")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("LB state by round: unknown 1, healthy 2-")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("failed health rounds: 0 of ")) << run.output;
  // The user view: every sample failed with 500, clearly above the threshold.
  EXPECT_THAT(run.output, ContainsRegex("failed API samples: 2[0-9] of 2[0-9] \\(100%, 99% "
                                        "interval [0-9.]+%-100%\\): clearly above 20%"))
      << run.output;
  EXPECT_THAT(run.output, HasSubstr("500\n")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("why: health check 200 in")) << run.output;
}

TEST(CheckTest, PoolExhaustionReportsTheLast503) {
  ThirdPartyBackend backend("pool");
  const CheckRun run = RunWithCurl(FastOptions(backend.url()));
  EXPECT_THAT(run.output, ContainsRegex("status: 2[0-9]  ")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("503\n")) << run.output;
}

TEST(CheckTest, NothingListeningIsDown) {
  const int port = testing::UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  const CheckRun run = RunWithCurl(FastOptions("http://127.0.0.1:" + std::to_string(port)));

  EXPECT_EQ(run.exit_code, kCheckDown) << run.output;
  EXPECT_THAT(run.output, HasSubstr("connection_refused")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("failed health rounds: 2 of 2")) << run.output;
  EXPECT_TRUE(run.output.ends_with("verdict: down\n")) << run.output;
}

// --config/--target: the configured target's own settings decide, here an error envelope behind
// a 200 that only its body condition catches, and the haproxy preset's thresholds.
TEST(CheckTest, AConfiguredTargetIsCheckedWithItsOwnSettings) {
  ThirdPartyBackend backend("honest");
  const std::string config = ::testing::TempDir() + "/healthgap-check-target.yml";
  std::ofstream(config) << "targets:\n  - name: shop\n    url: " << backend.url()
                        << "\n    lb: haproxy\n    health: {timeout: 2s}\n"
                           "    samples: [{path: /api/data, timeout: 2s, "
                           "fail_if_body_not_matches_regexp: [never-in-the-body]}]\n";
  CheckOptions options;
  options.config_file = config;
  options.target_name = "shop";
  options.rounds = 100;
  options.spacing = std::chrono::milliseconds(5);
  const CheckRun run = RunWithCurl(options);
  EXPECT_EQ(run.exit_code, kCheckMismatch) << run.output;
  EXPECT_THAT(run.output, HasSubstr("(target shop of " + config + "): up to 100 rounds"))
      << run.output;
  EXPECT_THAT(run.output, HasSubstr("confidence, lb haproxy")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("body_mismatch: 2")) << run.output;

  options.target_name = "cart";
  const CheckRun missing = RunWithCurl(options);
  EXPECT_EQ(missing.exit_code, kCheckUsageError);
  EXPECT_THAT(missing.output, HasSubstr("has no target \"cart\" (its targets: shop)"));
}

TEST(CheckTest, HeaderStatesTheWorstCaseDuration) {
  const int port = testing::UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  CheckOptions options = FastOptions("http://127.0.0.1:" + std::to_string(port));
  options.rounds = 2;
  options.timeout = std::chrono::milliseconds(1500);
  options.spacing = std::chrono::milliseconds(100);
  EXPECT_EQ(WorstCaseDuration(*PlanCheck(options).plan), std::chrono::milliseconds(3200));
  options.max_duration = std::chrono::seconds(2);  // the whole run's bound, when it is shorter
  EXPECT_EQ(WorstCaseDuration(*PlanCheck(options).plan), std::chrono::seconds(2));

  const CheckRun run = RunWithCurl(options);
  EXPECT_THAT(run.output, HasSubstr("up to 2 rounds until both sides are clear at 99% "
                                    "confidence, lb custom, timeout 1s500ms, spacing 100ms, "
                                    "worst case 2s"))
      << run.output;
}

TEST(CheckTest, OneRoundIsNotEnoughEvidence) {
  const int port = testing::UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  CheckOptions options = FastOptions("http://127.0.0.1:" + std::to_string(port));
  options.rounds = 1;  // the LB's thresholds shrink to 1; one failure is not evidence
  const CheckRun run = RunWithCurl(options);

  EXPECT_EQ(run.exit_code, kCheckUnknown) << run.output;
  EXPECT_THAT(run.output, HasSubstr("LB state by round: unhealthy 1\n")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("failed health rounds: 1 of 1 (100%, 99% interval 13.1%-100%)"))
      << run.output;
  EXPECT_THAT(run.output, HasSubstr(": up to 1 round until")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("in rotation after 1 pass, out after 1 failure\n"))
      << run.output;
}

TEST(CheckTest, EveryHealthPathMustPassForTheLoadBalancer) {
  ThirdPartyBackend backend("honest");
  CheckOptions options = FastOptions(backend.url());
  options.health_paths = {"/health", "/status"};  // the backend has no /status: 404
  const CheckRun run = RunWithCurl(options);

  EXPECT_THAT(run.output, ContainsRegex("/health +2 +0 +- .* 200\n")) << run.output;
  EXPECT_THAT(run.output, ContainsRegex("/status +0 +2 +status: 2 .* 404\n")) << run.output;
  EXPECT_THAT(run.output, HasSubstr("failed health rounds: 2 of 2")) << run.output;
  EXPECT_EQ(run.exit_code, kCheckFalseNegative) << run.output;
}

TEST(CheckTest, SeveralSamplePathsGetTheirOwnRowsAndATotal) {
  ThirdPartyBackend backend("honest");
  CheckOptions options = FastOptions(backend.url());
  options.sample_paths = {"/api/data", "/missing"};  // the backend answers 404 off /api/
  const CheckRun run = RunWithCurl(options);

  EXPECT_THAT(run.output, ContainsRegex("/api/data +([0-9]+) +0 +-")) << run.output;
  EXPECT_THAT(run.output, ContainsRegex("/missing +0 +[0-9]+ +status: [0-9]+")) << run.output;
  EXPECT_THAT(run.output, ContainsRegex("all +[0-9]+ +[0-9]+ +status: [0-9]+")) << run.output;
  // Half the API fails while the health check passes.
  EXPECT_EQ(run.exit_code, kCheckMismatch) << run.output;
}

TEST(CheckTest, ToleratedErrorRatioKeepsTheVerdictHealthy) {
  ThirdPartyBackend backend("honest");
  CheckOptions options = FastOptions(backend.url());
  options.sample_paths = {"/api/data", "/missing"};
  options.max_error_ratio = 0.8;  // half the samples fail: clearly below 80%
  const CheckRun run = RunWithCurl(options);
  EXPECT_EQ(run.exit_code, kCheckHealthy) << run.output;
}

// A target behind TLS with a private CA: `check` sees what `serve` would with the same
// tls_config, and without it says why in curl's words.
TEST(CheckTest, APrivateCaTargetIsHealthyWithItsCaAndDownWithTheReasonWithout) {
  ASSERT_EQ(testing::Pki::Get().error(), "");
  const std::string dir = testing::Pki::Get().dir().string();
  testing::Nginx nginx("server { listen 127.0.0.1:{PORT} ssl; ssl_certificate " + dir +
                       "/server.crt; ssl_certificate_key " + dir +
                       "/server.key; location / { return 200 ok; } }");
  ASSERT_GT(nginx.port(), 0) << nginx.error();
  CheckOptions options = FastOptions("https://127.0.0.1:" + std::to_string(nginx.port()));
  const CheckRun untrusted = RunWithCurl(options);
  EXPECT_EQ(untrusted.exit_code, kCheckDown) << untrusted.output;
  EXPECT_THAT(untrusted.output, HasSubstr("Errors:\n  /health: tls: SSL certificate problem"))
      << untrusted.output;

  options.tls.ca_file = dir + "/ca.crt";
  const CheckRun trusted = RunWithCurl(options);
  EXPECT_EQ(trusted.exit_code, kCheckHealthy) << trusted.output;
  EXPECT_THAT(trusted.output, Not(HasSubstr("Errors:"))) << trusted.output;
}

// An API that answers 200 with an error envelope passes on status alone; a body condition, as
// in serve's config, makes `check` call the health check what it is.
TEST(CheckTest, AnErrorEnvelopeBehindA200IsAMismatchWithABodyCondition) {
  testing::LoopbackServer backend;
  backend.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  backend.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"error":"db down"})", "application/json");
  });
  ASSERT_TRUE(backend.Start());
  CheckOptions options = FastOptions(backend.Url("/").substr(0, backend.Url("/").size() - 1));

  const CheckRun by_status = RunWithCurl(options);
  EXPECT_EQ(by_status.exit_code, kCheckHealthy) << by_status.output;

  std::string error;
  options.sample_conditions.fail_if_body_matches.push_back(*Regex::Compile(R"("error")", &error));
  const CheckRun by_body = RunWithCurl(options);
  EXPECT_EQ(by_body.exit_code, kCheckMismatch) << by_body.output;
  EXPECT_THAT(by_body.output, HasSubstr("body_mismatch: 2")) << by_body.output;
}

// The backend's own contract: it never outlives the test that started it.
TEST(ThirdPartyBackendTest, ExitsWhenStdinCloses) {
  Subprocess backend({"python3", kBackendScript, "--mode", "honest"});
  ASSERT_TRUE(backend.ReadLine(std::chrono::seconds(20)).has_value());
  backend.CloseStdin();
  const auto status = backend.WaitForExit(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST(ThirdPartyBackendTest, ExitsOnSigtermWhileApiRequestsHang) {
  Subprocess backend({"python3", kBackendScript, "--mode", "deadlock"});
  const auto port = backend.ReadLine(std::chrono::seconds(20));
  ASSERT_TRUE(port.has_value());
  const std::string url = "http://127.0.0.1:" + *port;

  std::promise<probe::HttpResult> hung;  // before the client: it outlives every callback
  RealClock clock;
  probe::CurlMultiClient client(clock);
  probe::HttpRequest api;
  api.url = url + "/api/data";
  api.timeout = std::chrono::seconds(60);
  client.Send(api, [&hung](probe::HttpResult result) { hung.set_value(std::move(result)); });
  probe::HttpRequest health;
  health.url = url + "/health";
  const probe::HttpResult health_result = probe::SendAndWait(client, health);
  EXPECT_EQ(health_result.status_code, 200);  // health answers while the API hangs

  backend.Terminate();
  const auto status = backend.WaitForExit(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  // The hung request ends with the server instead of running into its 60 s timeout.
  auto result = hung.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(result.get().status_code, 0);
}

// Fails the test if anything is sent: invalid options must stop before the network.
class NoNetworkClient final : public probe::HttpClient {
 public:
  // HttpClient
  void Send(probe::HttpRequest, Callback) override { ++sent_; }
  std::size_t InFlight() const override { return 0; }
  int sent() const { return sent_; }

 private:
  std::atomic<int> sent_{0};
};

TEST(CheckTest, InvalidOptionsInCodeAreAUsageErrorWithoutTraffic) {
  CheckOptions no_samples;
  no_samples.base_url = "http://127.0.0.1:1";
  CheckOptions bad_url = FastOptions("ftp://example.com");
  CheckOptions no_rounds = FastOptions("http://127.0.0.1:1");
  no_rounds.rounds = 0;

  for (const CheckOptions* options : {&no_samples, &bad_url, &no_rounds}) {
    NoNetworkClient client;
    FakeClock clock;
    std::ostringstream out;
    EXPECT_EQ(RunCheck(*options, client, clock, out), kCheckUsageError) << out.str();
    EXPECT_THAT(out.str(), HasSubstr("healthgap check: ")) << out.str();
    EXPECT_THAT(out.str(), Not(HasSubstr("verdict:"))) << out.str();
    EXPECT_EQ(client.sent(), 0);
  }
}

}  // namespace
}  // namespace healthgap::app
