// The paired probe (/probe, `check`) on a fake clock and a client that answers at once: its
// pacing and its budget are logic, tested without network or sleeps.

#include "engine/paired_probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "engine/target_state.h"
#include "support/instant_http_client.h"

namespace healthgap::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

config::Target OneSampleTarget() {
  config::Target target;
  target.name = "api";
  target.base_url = "http://127.0.0.1:1";
  target.health.timeout = seconds(1);
  config::ApiSample sample;
  sample.name = "data";
  sample.path = "/api/data";
  sample.timeout = seconds(1);
  target.samples.push_back(sample);
  return target;
}

TEST(PairedProbeTest, RoundsArePacedOnTheInjectedClock) {
  FakeClock clock;
  testing::InstantHttpClient client(clock, milliseconds(0));
  TargetState state(OneSampleTarget());
  PairedProbeOptions options;
  options.rounds = 3;
  options.spacing = seconds(2);
  const TimePoint start = clock.Now();
  const std::vector<PairedRound> rounds = RunPairedRounds(state, options, client, clock);
  ASSERT_EQ(rounds.size(), 3u);
  EXPECT_EQ(clock.Now() - start, seconds(4));  // two pauses between three rounds
  EXPECT_EQ(client.batches.size(), 3u);
}

// X-Prometheus-Scrape-Timeout-Seconds' effect: every request's timeout is cut to what is left
// of the budget, and a round that cannot start in time is not sent.
TEST(PairedProbeTest, TheBudgetCutsTimeoutsAndSkipsRoundsThatCannotStart) {
  FakeClock clock;
  testing::InstantHttpClient client(clock, milliseconds(700));  // each round takes 0.7 s
  TargetState state(OneSampleTarget());
  PairedProbeOptions options;
  options.rounds = 5;
  options.budget = milliseconds(1500);
  const std::vector<PairedRound> rounds = RunPairedRounds(state, options, client, clock);
  ASSERT_EQ(client.batches.size(), 3u);  // 0 s, 0.7 s, 1.4 s; at 2.1 s nothing is left
  EXPECT_EQ(rounds.size(), 3u);
  const std::vector<milliseconds> expected = {seconds(1), milliseconds(800), milliseconds(100)};
  for (std::size_t round = 0; round < client.batches.size(); ++round) {
    for (const probe::HttpRequest& request : client.batches[round]) {
      EXPECT_EQ(request.timeout, expected[round]) << "round " << round << " " << request.url;
    }
  }
}

}  // namespace
}  // namespace healthgap::engine
