// `healthgap serve` with file_sd and --shard, as the real binary: targets added to a file_sd
// file appear on /metrics, removed ones disappear, a broken file keeps the previous set.

#include <gtest/gtest.h>
#include <httplib.h>

#include "support/loopback_server.h"
#include "support/poll_until.h"
#include "support/serving_port.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace healthgap::config {
namespace {

using std::chrono::seconds;
using testing::LoopbackServer;
using testing::PollUntil;
using testing::Subprocess;
using testing::TempDir;

class FileSdServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* path : {"/health", "/api/data"}) {
      backend_.Get(path, [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ok", "text/plain");
      });
    }
    ASSERT_TRUE(backend_.Start());
  }

  // A group per name, all on the loopback backend; the `name` label names the target.
  std::string TargetsFile(const std::vector<std::string>& names) const {
    std::string yaml;
    for (const auto& name : names) {
      yaml += "- targets: ['127.0.0.1:" + std::to_string(backend_.port()) +
              "']\n  labels: {name: " + name + "}\n";
    }
    return yaml;
  }

  void StartServe(const std::vector<std::string>& extra_args = {}) {
    const std::string config =
        dir_.Write("healthgap.yml",
                   "modules:\n"
                   "  api:\n"
                   "    health: {interval: 1s, timeout: 500ms}\n"
                   "    samples: [{path: /api/data, interval: 1s, timeout: 500ms}]\n"
                   "    evaluation: {window: 30s, min_samples: 3}\n"
                   "file_sd_configs:\n"
                   "  - files: ['targets/*.yml', 'targets/*.json']\n"
                   "    refresh_interval: 1s\n"
                   "    module: api\n");
    std::vector<std::string> args{HEALTHGAP_BINARY,       "serve",      "--config", config,
                                  "--web.listen-address", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<Subprocess>(args, Subprocess::Stderr::kMergeIntoStdout);
    const std::optional<int> port = testing::ReadServingPort(*process_, seconds(30));
    ASSERT_TRUE(port) << "no startup line with the bound address";
    port_ = *port;
  }

  std::string Metrics() const {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get("/metrics");
    return res && res->status == 200 ? res->body : "";
  }
  bool MetricsEventually(const std::string& text, bool present) const {
    return PollUntil([&] { return (Metrics().find(text) != std::string::npos) == present; },
                     seconds(30));
  }

  LoopbackServer backend_;
  TempDir dir_;
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

TEST_F(FileSdServeTest, PicksUpAddedTargetsAndDropsRemovedOnes) {
  std::filesystem::create_directory(dir_.Path("targets"));
  dir_.Write("targets/a.yml", TargetsFile({"first"}));
  StartServe();
  ASSERT_TRUE(MetricsEventually(R"(target="first")", true)) << Metrics();

  dir_.Write("targets/b.yml", TargetsFile({"second"}));
  ASSERT_TRUE(MetricsEventually(R"(target="second")", true)) << Metrics();

  // A broken file keeps its previous targets.
  dir_.Write("targets/a.yml", "- targets: [oops\n");
  dir_.Write("targets/b.yml", TargetsFile({"second", "third"}));
  ASSERT_TRUE(MetricsEventually(R"(target="third")", true)) << Metrics();
  EXPECT_NE(Metrics().find(R"(target="first")"), std::string::npos);

  std::filesystem::remove(dir_.Path("targets/a.yml"));
  ASSERT_TRUE(MetricsEventually(R"(target="first")", false)) << Metrics();
  EXPECT_NE(Metrics().find(R"(target="second")"), std::string::npos);

  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->WaitForExitCode(seconds(20)), 0);
}

// The outside review's finding: a file_sd file holding only "," made yaml-cpp 0.7 grow the
// exporter to GBs and then crash it. Any tool that writes discovery files can write that.
TEST_F(FileSdServeTest, AFileHoldingOnlyACommaIsRejectedAndCostsNothing) {
  std::filesystem::create_directory(dir_.Path("targets"));
  dir_.Write("targets/a.yml", TargetsFile({"first"}));
  dir_.Write("targets/b.json", R"([{"targets": ["127.0.0.1:)" + std::to_string(backend_.port()) +
                                   R"("], "labels": {"name": "second"}}])");
  StartServe();
  ASSERT_TRUE(MetricsEventually(R"(target="first")", true)) << Metrics();
  ASSERT_TRUE(MetricsEventually(R"(target="second")", true)) << Metrics();

  dir_.Write("targets/a.yml", ",\n");
  ASSERT_TRUE(process_->ReadUntil("targets/a.yml:1: invalid YAML", seconds(30)));
  dir_.Write("targets/b.json", ",\n");
  ASSERT_TRUE(process_->ReadUntil("targets/b.json:1: invalid JSON", seconds(30)));
  // Both files keep their previous targets, and the process stays small.
  EXPECT_NE(Metrics().find(R"(target="first")"), std::string::npos);
  EXPECT_NE(Metrics().find(R"(target="second")"), std::string::npos);
  const std::optional<long long> resident = process_->ResidentBytes();
  ASSERT_TRUE(resident);
  EXPECT_LT(*resident, 256LL << 20);

  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->WaitForExitCode(seconds(20)), 0);
}

TEST_F(FileSdServeTest, ShardsSplitTheDiscoveredTargets) {
  std::filesystem::create_directory(dir_.Path("targets"));
  // Each name must show up in exactly one of the two replicas.
  dir_.Write("targets/a.yml", TargetsFile({"first", "second", "third", "fourth"}));
  std::vector<std::string> seen;
  for (const std::string shard : {"0/2", "1/2"}) {
    StartServe({"--shard", shard});
    ASSERT_TRUE(PollUntil([&] { return Metrics().find("healthgap_verdict{") != std::string::npos; },
                          seconds(30)))
        << Metrics();
    for (const std::string name : {"first", "second", "third", "fourth"}) {
      if (Metrics().find("target=\"" + name + "\"") != std::string::npos) seen.push_back(name);
    }
    process_.reset();
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"first", "fourth", "second", "third"}));
}

TEST(ShardFlagTest, InvalidShardExitsTwo) {
  Subprocess process({HEALTHGAP_BINARY, "serve", "--config",
                      std::string(HEALTHGAP_SOURCE_DIR) + "/examples/healthgap.yml",
                      "--web.listen-address", "127.0.0.1:0", "--shard", "2/2"},
                     Subprocess::Stderr::kMergeIntoStdout);
  const std::string output = process.ReadAll(seconds(30));
  EXPECT_EQ(process.WaitForExitCode(seconds(10)), 2);
  EXPECT_NE(output.find("invalid --shard: invalid shard \"2/2\": I must be between 0 and N-1"),
            std::string::npos)
      << output;
}

}  // namespace
}  // namespace healthgap::config
