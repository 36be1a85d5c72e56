// `healthgap chaos`'s flags as RunChaos reads them: each mistake is a usage error (exit 2) that
// says what is wrong, before any proxy listens or any request goes out. The experiments
// themselves run in tests/chaos (fake clock) and tests/e2e/chaos_e2e.py (real PostgreSQL and
// Redis).

#include <gtest/gtest.h>

#include <sstream>

#include "app/chaos.h"
#include "support/instant_http_client.h"

namespace healthgap::app {
namespace {

struct Outcome {
  int code;
  std::string err;
};

Outcome RunChaosWith(ChaosOptions options) {
  FakeClock clock;
  testing::InstantHttpClient client(clock, std::chrono::milliseconds(1));
  std::ostringstream out, err;
  const int code = RunChaos(options, client, clock, out, err, nullptr);
  EXPECT_TRUE(client.sent.empty()) << "a usage error sent requests";
  return {code, err.str()};
}

ChaosOptions Valid() {
  ChaosOptions options;
  options.target.base_url = "http://127.0.0.1:8080";
  options.target.sample_paths = {"/api/items"};
  options.dependencies = {"postgres=127.0.0.1:6432->127.0.0.1:5432"};
  return options;
}

TEST(ChaosCommandTest, EachMistakeIsAUsageErrorThatSaysWhatIsWrong) {
  const auto error_of = [](auto change) {
    ChaosOptions options = Valid();
    change(options);
    const Outcome outcome = RunChaosWith(options);
    EXPECT_EQ(outcome.code, kChaosUsageError) << outcome.err;
    return outcome.err;
  };
  EXPECT_EQ(error_of([](ChaosOptions& o) { o.dependencies.clear(); }),
            "healthgap chaos: name at least one --dependency\n");
  EXPECT_EQ(error_of([](ChaosOptions& o) { o.dependencies.push_back(o.dependencies[0]); }),
            "healthgap chaos: --dependency postgres is named twice\n");
  EXPECT_EQ(error_of([](ChaosOptions& o) { o.faults = {"drop"}; }),
            "healthgap chaos: --fault: unknown fault \"drop\"; want one of latency, "
            "timeout, reset, refuse, bandwidth, slow_close\n");
  EXPECT_EQ(error_of([](ChaosOptions& o) { o.faults = {"none"}; }),
            "healthgap chaos: --fault none breaks nothing\n");
  EXPECT_EQ(error_of([](ChaosOptions& o) { o.target.sample_paths.clear(); }),
            "healthgap chaos: at least one --sample path is required: without the API there is "
            "nothing to compare\n");
  EXPECT_EQ(
      error_of([](ChaosOptions& o) { o.dependencies = {"postgres=0.0.0.0:6432->127.0.0.1:5432"}; }),
      "healthgap chaos: --dependency postgres: refusing to listen on 0.0.0.0, not a "
      "loopback address (--allow-non-loopback to insist)\n");
  EXPECT_EQ(error_of([](ChaosOptions& o) { o.steady = std::chrono::milliseconds(0); }),
            "healthgap chaos: durations must be positive\n");
  EXPECT_NE(error_of([](ChaosOptions& o) {
              o.dependencies = {"postgres=127.0.0.1:6432"};
            }).find("--dependency postgres=127.0.0.1:6432: no ->"),
            std::string::npos);
}

}  // namespace
}  // namespace healthgap::app
