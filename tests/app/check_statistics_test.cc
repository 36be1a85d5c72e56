// `check` as a sequential test, over many seeded runs: against a backend failing a fixed share
// of requests at random, how often it reaches the right verdict and how many rounds it takes.
// The backend is in-process (seeded Bernoulli answers, fake time): this suite tests the
// statistics, not the network, and 200 runs of up to 300 rounds each must stay fast.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "app/check.h"
#include "common/clock.h"
#include "support/instant_http_client.h"

namespace healthgap::app {
namespace {

using std::chrono::milliseconds;

constexpr int kRuns = 200;

struct Scenario {
  double health_failure = 0;  // share of health checks that fail
  double api_failure = 0;     // share of API requests that fail
};

struct Tally {
  std::map<eval::Verdict, int> verdicts;
  std::vector<int> rounds;  // per run, sorted

  int count(eval::Verdict verdict) const {
    const auto found = verdicts.find(verdict);
    return found == verdicts.end() ? 0 : found->second;
  }
  int Percentile(double p) const {
    const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(rounds.size()));
    return rounds[std::min(index, rounds.size() - 1)];
  }
};

// kRuns checks of `scenario`, run r seeded with r: the same figures on every machine.
Tally RunMany(const Scenario& scenario, const std::string& label, CheckOptions options = {}) {
  options.base_url = "http://10.0.1.1:8080/";
  options.sample_paths = {"/api/data"};
  const PlannedCheck planned = PlanCheck(options);
  EXPECT_TRUE(planned.plan) << planned.error;
  Tally tally;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 random(static_cast<std::uint64_t>(run));
    std::bernoulli_distribution health_fails(scenario.health_failure);
    std::bernoulli_distribution api_fails(scenario.api_failure);
    FakeClock clock;
    testing::InstantHttpClient client(
        clock, milliseconds(10), [&](const probe::HttpRequest& request) {
          probe::HttpResult result = testing::InstantHttpClient::Ok();
          const bool fails =
              request.url.ends_with("/health") ? health_fails(random) : api_fails(random);
          if (fails) result.status_code = request.url.ends_with("/health") ? 503 : 500;
          return result;
        });
    const engine::PairedProbeResult result = RunCheckProbes(*planned.plan, client, clock);
    ++tally.verdicts[result.snapshot.decision.verdict];
    tally.rounds.push_back(static_cast<int>(result.rounds.size()));
  }
  std::sort(tally.rounds.begin(), tally.rounds.end());
  std::printf(
      "%-40s healthy %3d  mismatch %3d  down %3d  false-negative %3d  inconclusive %3d"
      "  rounds median %3d p99 %3d\n",
      label.c_str(), tally.count(eval::Verdict::kHealthy), tally.count(eval::Verdict::kMismatch),
      tally.count(eval::Verdict::kDown), tally.count(eval::Verdict::kFalseNegative),
      tally.count(eval::Verdict::kUnknown), tally.Percentile(50), tally.Percentile(99));
  return tally;
}

TEST(CheckStatisticsTest, FortyPercentApiFailuresAreAMismatch) {
  const Tally tally = RunMany({.api_failure = 0.4}, "API fails 40%, threshold 20%");
  EXPECT_GE(tally.count(eval::Verdict::kMismatch), 199);
}

TEST(CheckStatisticsTest, OnePercentApiFailuresAreHealthy) {
  const Tally tally = RunMany({.api_failure = 0.01}, "API fails 1%, threshold 20%");
  EXPECT_GE(tally.count(eval::Verdict::kHealthy), 199);
}

// Closer to the threshold the test needs more rounds than the default 300 allow in a few runs
// (a median of about 80, a p99 at 300, so a few end inconclusive), and decides with 1,000.
TEST(CheckStatisticsTest, ThirtyPercentApiFailuresAreAMismatchGivenTheRounds) {
  const Tally by_default = RunMany({.api_failure = 0.3}, "API fails 30%, threshold 20%");
  EXPECT_EQ(by_default.count(eval::Verdict::kHealthy), 0);
  EXPECT_GE(by_default.count(eval::Verdict::kMismatch), 190);
  CheckOptions longer;
  longer.rounds = 1000;
  longer.max_duration = std::chrono::minutes(10);
  const Tally tally =
      RunMany({.api_failure = 0.3}, "API fails 30%, threshold 20%, 1000 rounds", longer);
  EXPECT_GE(tally.count(eval::Verdict::kMismatch), 199);
  EXPECT_EQ(tally.count(eval::Verdict::kHealthy), 0);
}

// A fully broken API decides at once: an outage is not a close call.
TEST(CheckStatisticsTest, AnOutageDecidesInAFewRounds) {
  const Tally tally = RunMany({.api_failure = 1.0}, "API fails 100%, threshold 20%");
  EXPECT_EQ(tally.count(eval::Verdict::kMismatch), kRuns);
  EXPECT_LE(tally.Percentile(99), 30);  // health needs about 27 passes to be clearly passing
}

// The health side by the same reasoning: a check failing 40% of rounds flaps a load balancer
// in and out; one failing 1% does not.
TEST(CheckStatisticsTest, AHealthCheckFailingFortyPercentIsAFalseNegative) {
  const Tally tally = RunMany({.health_failure = 0.4}, "health fails 40%, API works");
  EXPECT_GE(tally.count(eval::Verdict::kFalseNegative), 199);
}

TEST(CheckStatisticsTest, AHealthCheckFailingOnePercentIsHealthy) {
  const Tally tally = RunMany({.health_failure = 0.01}, "health fails 1%, API works");
  EXPECT_GE(tally.count(eval::Verdict::kHealthy), 199);
}

// At the threshold itself no honest test decides quickly: most runs must end inconclusive
// rather than pick a side by luck, and a wrong-side verdict stays rare.
TEST(CheckStatisticsTest, ARatioAtTheThresholdIsMostlyInconclusive) {
  const Tally tally = RunMany({.api_failure = 0.2}, "API fails 20%, threshold 20%");
  EXPECT_GE(tally.count(eval::Verdict::kUnknown), kRuns / 2);
  EXPECT_LE(tally.count(eval::Verdict::kMismatch) + tally.count(eval::Verdict::kHealthy),
            kRuns / 2);
}

}  // namespace
}  // namespace healthgap::app
