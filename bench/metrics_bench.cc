// /metrics at scale, in process: how long the engine snapshot and the text take for N targets,
// against the prometheus-cpp way (MetricFamily objects, then its TextSerializer), and whether
// metrics::ExpositionText writes exactly what that writes. Prints figures; exits 1 only if the
// two texts differ.
//
//   metrics_bench [--targets N] [--rounds R]
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "engine/snapshot.h"
#include "engine/target_state.h"
#include "metrics/collector.h"
#include "support/family_builder.h"

namespace {

using namespace healthgap;

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

probe::HttpResult Result(int status, double seconds) {
  probe::HttpResult result;
  result.status_code = status;
  result.total = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  result.phases.connect = seconds / 3;
  result.phases.processing = seconds / 2;
  result.body = "ok\n";
  result.body_bytes = result.body.size();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int targets = 10'000;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--targets") == 0) targets = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }

  std::vector<engine::TargetState> states;
  states.reserve(static_cast<std::size_t>(targets));
  const auto now = SteadyClock::now();
  const auto wall = std::chrono::system_clock::now();
  for (int i = 0; i < targets; ++i) {
    config::Target target;
    target.name = "t" + std::to_string(i);
    target.base_url = "http://127.0.0.1:8080/t" + std::to_string(i);
    target.labels = {{"team", "payments"}};
    config::ApiSample sample;
    sample.name = "api_data";
    sample.path = "/api/data";
    target.samples.push_back(sample);
    engine::TargetState& state = states.emplace_back(target);
    for (int k = 0; k < 24; ++k) {
      const auto at = now - std::chrono::seconds(5 * (24 - k));
      state.Record(engine::Judge(state.config(), engine::Job::Health(0),
                                 Result(200, 0.0003 + 1e-6 * k), at, wall));
      state.Record(engine::Judge(state.config(), engine::Job::Sample(0),
                                 Result(k % 7 == 0 ? 500 : 200, 0.0011 + 1e-6 * (i % 97)), at,
                                 wall));
    }
  }

  double snapshot_s = 1e9, text_s = 1e9, streamed_s = 1e9, families_s = 1e9, reference_s = 1e9;
  std::size_t bytes = 0;
  bool same = true;
  for (int round = 0; round < rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    engine::EngineSnapshot snapshot;
    snapshot.targets.reserve(states.size());
    for (auto& state : states) snapshot.targets.push_back(state.Snapshot(now));
    snapshot_s = std::min(snapshot_s, Since(start));

    start = std::chrono::steady_clock::now();
    const std::string text = metrics::ExpositionText(snapshot, metrics::ExporterStatus{});
    text_s = std::min(text_s, Since(start));
    bytes = text.size();

    // As /metrics sends it: in chunks to a sink (here one that only counts them).
    start = std::chrono::steady_clock::now();
    std::size_t streamed_bytes = 0;
    metrics::WriteExposition(snapshot, metrics::ExporterStatus{},
                             [&](std::string_view chunk) { streamed_bytes += chunk.size(); });
    streamed_s = std::min(streamed_s, Since(start));
    same = same && streamed_bytes == text.size();

    // The way prometheus-cpp would: its objects, then its TextSerializer.
    start = std::chrono::steady_clock::now();
    const auto families = testing::BuildFamilies(snapshot, metrics::ExporterStatus{});
    families_s = std::min(families_s, Since(start));
    start = std::chrono::steady_clock::now();
    std::ostringstream reference;
    prometheus::TextSerializer().Serialize(reference, families);
    const std::string reference_text = reference.str();
    reference_s = std::min(reference_s, Since(start));
    same = same && reference_text == text;
  }
  std::printf(
      "targets %d: snapshot %.3f s, text %.3f s (streamed in chunks %.3f s; prometheus-cpp: "
      "MetricFamily objects %.3f s + "
      "TextSerializer %.3f s), %.1f MiB, text identical: %s\n",
      targets, snapshot_s, text_s, streamed_s, families_s, reference_s, bytes / 1048576.0,
      same ? "yes" : "NO");
  return same ? 0 : 1;
}
