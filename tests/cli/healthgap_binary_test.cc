// The real `healthgap` binary, as users and init systems run it: exit codes, messages, signals.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>

#include "support/loopback_server.h"
#include "support/poll_until.h"
#include "support/serving_port.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace healthgap {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::LoopbackServer;
using testing::PollUntil;
using testing::Subprocess;
using testing::TempDir;

constexpr char kBinary[] = HEALTHGAP_BINARY;
constexpr char kSourceDir[] = HEALTHGAP_SOURCE_DIR;

struct Finished {
  std::optional<int> exit_code;
  std::string output;  // stdout and stderr
};

Finished RunToCompletion(std::vector<std::string> args, seconds timeout = seconds(60)) {
  args.insert(args.begin(), kBinary);
  Subprocess process(args, Subprocess::Stderr::kMergeIntoStdout);
  Finished finished;
  finished.output = process.ReadAll(timeout);
  finished.exit_code = process.WaitForExitCode(seconds(10));
  return finished;
}

TEST(VersionFlag, PrintsTheVersionAndExitsZeroLikeOtherPrometheusTools) {
  const Finished flag = RunToCompletion({"--version"});
  EXPECT_EQ(flag.exit_code, 0) << flag.output;
  EXPECT_THAT(flag.output, HasSubstr(std::string("healthgap ") + HEALTHGAP_VERSION));
  const Finished subcommand = RunToCompletion({"version"});
  EXPECT_EQ(subcommand.output, flag.output);
}

// The error envelope of issue 14, from the command line: --fail-if-body-matches makes a 200
// whose body says "error" a failed sample, and the lying health check exits 1.
TEST(CheckCommand, FailIfBodyMatchesTurnsAnErrorEnvelopeIntoAMismatch) {
  LoopbackServer backend;
  backend.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  backend.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"error":"db down"})", "application/json");
  });
  ASSERT_TRUE(backend.Start());
  const std::string url = backend.Url("/").substr(0, backend.Url("/").size() - 1);
  const Finished plain =
      RunToCompletion({"check", url, "--sample", "/api/data", "--spacing", "5ms"});
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  const Finished judged = RunToCompletion({"check", url, "--sample", "/api/data", "--spacing",
                                           "5ms", "--fail-if-body-matches", "\"error\""});
  EXPECT_EQ(judged.exit_code, 1) << judged.output;
  EXPECT_THAT(judged.output, HasSubstr("verdict: mismatch"));
}

TEST(CheckConfigCommand, ValidExampleExitsZero) {
  const Finished run =
      RunToCompletion({"check-config", std::string(kSourceDir) + "/examples/healthgap.yml"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("examples/healthgap.yml: OK ("));
}

TEST(CheckConfigCommand, InvalidFileNamesFileLineAndFieldAndExitsTwo) {
  TempDir dir;
  const std::string file = dir.Write("bad.yml",
                                     "targets:\n"
                                     "  - name: api\n"
                                     "    url: http://127.0.0.1:8080\n"
                                     "    samples:\n"
                                     "      - path: /api/data\n"
                                     "        interval: 10 seconds\n");
  const Finished run = RunToCompletion({"check-config", file});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr(file + ":6: targets[0].samples[0].interval: "));
}

// Hostile files: each is rejected at once with a message naming the file (and the line where
// there is one), never loops or grows (yaml-cpp 0.7 grew to 16.9 GB on ",").
TEST(CheckConfigCommand, HostileFilesAreRejectedQuicklyWithTheirReason) {
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 9; ++level) {
    laughs += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) laughs += (i ? ", *a" : "*a") + std::to_string(level - 1);
    laughs += "]\n";
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {",\n", ":1: invalid YAML: did not find expected node content"},
      {"{,,,}\n", ":1: invalid YAML: did not find expected node content"},
      {std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16),
       ":1: not UTF-8 text: byte 0x89 at column 1 is not valid UTF-8"},
      {laughs, ":7: more than 4000000 YAML nodes (aliases count as the nodes they repeat)"},
      {std::string(200, '[') + std::string(200, ']'),
       ":1: nesting deeper than 64 levels of lists and maps"},
      {"targets:\n  - name: " + std::string((16 << 20) + 1, 'a') + "\n",
       ": cannot read file: larger than 16 MiB"},
  };
  TempDir dir;
  for (const auto& [content, message] : cases) {
    const std::string file = dir.Write("hostile.yml", content);
    const Finished run = RunToCompletion({"check-config", file});
    EXPECT_EQ(run.exit_code, 2) << message;
    EXPECT_THAT(run.output, HasSubstr(file + message));
  }
}

TEST(CheckConfigCommand, MissingFileExitsTwo) {
  const Finished run = RunToCompletion({"check-config", "/nonexistent/healthgap.yml"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("/nonexistent/healthgap.yml"));
}

TEST(ServeCommand, BadConfigExitsTwoBeforeListening) {
  const Finished run =
      RunToCompletion({"serve", "--config",
                       std::string(kSourceDir) + "/tests/config/testdata/invalid-url-scheme.yml",
                       "--web.listen-address", "127.0.0.1:0"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("invalid-url-scheme.yml:"));
}

TEST(ServeCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(RunToCompletion({"serve"}).exit_code, 2);
  EXPECT_EQ(RunToCompletion({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(
      RunToCompletion({"serve", "--config", std::string(kSourceDir) + "/examples/healthgap.yml",
                       "--web.listen-address", "nonsense"})
          .exit_code,
      2);
}

class ServeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    backend_.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{}", "application/json");
    });
    ASSERT_TRUE(backend_.Start());
  }

  std::string ConfigFor(const std::vector<std::string>& names) {
    std::string yaml = "targets:\n";
    for (const auto& name : names) {
      yaml += "  - name: " + name +
              "\n    url: http://127.0.0.1:" + std::to_string(backend_.port()) +
              "\n    health: {interval: 1s, timeout: 500ms}\n"
              "    samples: [{path: /api/data, interval: 1s, timeout: 500ms}]\n"
              "    evaluation: {window: 30s, min_samples: 3}\n";
    }
    return yaml;
  }

  // Starts `healthgap serve` on an ephemeral port and reads the port from its startup log line.
  void StartServe() {
    dir_.Write("healthgap.yml", ConfigFor({"first"}));
    process_ = std::make_unique<Subprocess>(
        std::vector<std::string>{kBinary, "serve", "--config", config_, "--web.listen-address",
                                 "127.0.0.1:0"},
        Subprocess::Stderr::kMergeIntoStdout);
    const std::optional<int> port = testing::ReadServingPort(*process_, seconds(30));
    ASSERT_TRUE(port) << "no startup line with the bound address";
    port_ = *port;
  }

  std::string Metrics() {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get("/metrics");
    return res && res->status == 200 ? res->body : "";
  }

  bool MetricsContain(const std::string& text) {
    return PollUntil([&] { return Metrics().find(text) != std::string::npos; });
  }

  // StartServe, then until the first target's verdict is in.
  void StartServeUntilHealthy() {
    StartServe();
    ASSERT_TRUE(MetricsContain(R"(healthgap_verdict{target="first",verdict="healthy"} 1)"))
        << Metrics();
  }

  // Replaces the config with `yaml` and sends SIGHUP.
  void ReloadWith(const std::string& yaml) {
    dir_.Write("healthgap.yml", yaml);
    process_->Signal(SIGHUP);
  }

  LoopbackServer backend_;
  TempDir dir_;
  std::string config_ = dir_.Path("healthgap.yml");
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

TEST_F(ServeProcessTest, SighupWithBrokenConfigKeepsTheOldOneThenAFixedOneSwitches) {
  StartServeUntilHealthy();

  ReloadWith("targets: [oops\n");
  ASSERT_TRUE(MetricsContain("healthgap_config_last_reload_successful 0")) << Metrics();
  EXPECT_THAT(Metrics(), HasSubstr(R"(target="first")"));  // still probing the old config

  ReloadWith(ConfigFor({"second"}));
  ASSERT_TRUE(MetricsContain("healthgap_config_last_reload_successful 1")) << Metrics();
  EXPECT_THAT(Metrics(), HasSubstr(R"(target="second")"));
  EXPECT_THAT(Metrics(), ::testing::Not(HasSubstr(R"(target="first")")));

  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->WaitForExitCode(seconds(20)), 0);
}

// The outside review's finding: a config holding only "," made yaml-cpp 0.7 grow without limit
// on SIGHUP, then segfault. The reload must fail, keep the running config and cost nothing.
TEST_F(ServeProcessTest, SighupWithACommaOnlyConfigKeepsTheOldOneAndStaysSmall) {
  StartServeUntilHealthy();
  const std::optional<long long> before = process_->ResidentBytes();
  ASSERT_TRUE(before);

  ReloadWith(",\n");
  ASSERT_TRUE(MetricsContain("healthgap_config_last_reload_successful 0")) << Metrics();
  EXPECT_THAT(Metrics(), HasSubstr(R"(target="first")"));
  // What the reload cost, not the process's size (which a sanitizer build's shadow memory
  // makes another thing): the runaway parser grew by gigabytes.
  const std::optional<long long> after = process_->ResidentBytes();
  ASSERT_TRUE(after);
  EXPECT_LT(*after - *before, 64LL << 20) << *before << " -> " << *after;

  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->WaitForExitCode(seconds(20)), 0);
}

TEST_F(ServeProcessTest, SecondInstanceOnTheSamePortFailsClearly) {
  StartServe();
  const Finished second = RunToCompletion(
      {"serve", "--config", config_, "--web.listen-address", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.output, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port_)));
}

TEST(DemoCommand, EveryBackendReachesItsExpectedVerdict) {
  const Finished run =
      RunToCompletion({"demo", "--web.listen-address", "127.0.0.1:0", "--exit-when-settled",
                       "--duration", "120s", "--print-every", "1s"},
                      seconds(150));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("All verdicts as expected."));
  // The last table: the honest backend healthy, each lying one a mismatch.
  const std::string last_table = run.output.substr(run.output.rfind("TARGET"));
  EXPECT_THAT(last_table, ::testing::ContainsRegex("honest +healthy +healthy "));
  for (const char* lying : {"shallow-health", "pool-exhaustion", "cached-health", "deadlock"}) {
    EXPECT_THAT(last_table, ::testing::ContainsRegex(std::string(lying) + " +mismatch +mismatch "))
        << lying;
  }
  EXPECT_THAT(last_table,
              ::testing::ContainsRegex("false-negative +false-negative +false-negative "));
}

TEST(DemoCommand, WithHaproxyTheBalancersOwnViewAndRealTrafficDecide) {
  const Finished run =
      RunToCompletion({"demo", "--web.listen-address", "127.0.0.1:0", "--with-haproxy",
                       "--exit-when-settled", "--duration", "120s", "--print-every", "1s"},
                      seconds(150));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string last_table = run.output.substr(run.output.rfind("TARGET"));
  // Behind HAProxy: its stats socket decides the LB view, users' requests the user view.
  EXPECT_THAT(last_table,
              ::testing::ContainsRegex("honest +healthy +healthy +none +healthy \\(haproxy\\) "
                                       "+[0-9]+/[0-9]+ ok real"));
  EXPECT_THAT(last_table, ::testing::ContainsRegex(
                              "shallow-health +mismatch +mismatch +shallow_check +healthy "
                              "\\(haproxy\\) +[0-9]+/[0-9]+ ok real .*real requests failed"));
  EXPECT_THAT(last_table, ::testing::ContainsRegex("false-negative +false-negative +false-negative "
                                                   "+health_failing +unhealthy \\(haproxy\\)"));
  // The others are as always: emulated and sampled.
  EXPECT_THAT(last_table, ::testing::ContainsRegex("deadlock +mismatch +mismatch +[a-z_]+ +healthy "
                                                   "+[0-9]+/[0-9]+ ok "));
}

TEST(DemoCommand, PrintConfigShowsTheEmbeddedConfig) {
  const Finished run = RunToCompletion({"demo", "--print-config"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("- name: shallow-health"));
  EXPECT_THAT(run.output, HasSubstr("unhealthy_threshold: 2"));
}

}  // namespace
}  // namespace healthgap
