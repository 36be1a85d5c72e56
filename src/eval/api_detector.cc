#include "eval/api_detector.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace healthgap::eval {

ApiDetector::ApiDetector(Duration window, const DetectorSettings& settings)
    : window_(window), settings_(settings), z_(ZForConfidence(settings.confidence)) {
  settings_.min_samples = std::max(1, settings_.min_samples);
  settings_.onset_run = std::max(1, settings_.onset_run);
  settings_.recovery_run = std::max(1, settings_.recovery_run);
  settings_.max_samples = std::max<std::size_t>(1, settings_.max_samples);
}

void ApiDetector::Record(TimePoint at, bool success) {
  // Samples complete out of order (a timeout after a later fast answer): keep time order.
  auto position = segment_.end();
  while (position != segment_.begin() && std::prev(position)->at > at) --position;
  segment_.insert(position, Sample{at, success});
  if (!success) ++segment_failures_;
  if (success) {
    ++success_run_;
    failure_run_ = 0;
  } else {
    ++failure_run_;
    success_run_ = 0;
  }
  while (segment_.size() > settings_.max_samples) {
    if (!segment_.front().success) --segment_failures_;
    segment_.pop_front();
  }
  Expire(at);

  if (state_ != ApiState::kFailing && failure_run_ >= settings_.onset_run) {
    return ChangeTo(ApiState::kFailing, failure_run_);
  }
  if (state_ == ApiState::kFailing && success_run_ >= RecoveryRun()) {
    return ChangeTo(ApiState::kWorking, success_run_);
  }
  const int total = static_cast<int>(segment_.size());
  if (total < settings_.min_samples) return;
  const ThresholdSide side =
      CompareToThreshold(WilsonInterval(segment_failures_, total, z_), settings_.max_error_ratio);
  if (state_ == ApiState::kWaiting) {
    // The first judgement: failing once the interval says so; working once the share is at or
    // below the threshold (proving it would take a few dozen samples, and a working API is the
    // default); a share above it that the interval does not confirm waits for more.
    if (side == ThresholdSide::kAbove) {
      state_ = ApiState::kFailing;
    } else if (segment_failures_ <= settings_.max_error_ratio * static_cast<double>(total)) {
      state_ = ApiState::kWorking;
    }
  } else if (state_ == ApiState::kWorking && side == ThresholdSide::kAbove) {
    // Decided by the window, which stays the evidence: a partial failure's share is what a
    // recovery run must be measured against.
    state_ = ApiState::kFailing;
  } else if (state_ == ApiState::kFailing && side == ThresholdSide::kBelow) {
    state_ = ApiState::kWorking;
  }
}

int ApiDetector::RecoveryRun() const {
  // The failure share the failing segment had before this run, at its lowest plausible (the
  // interval's lower bound): a run of successes is a recovery once that rate would produce it
  // less than kRecoveryChance of the time. After an outage (every request failed) that is the
  // minimum run; after a partial failure at 40% about twenty.
  constexpr double kRecoveryChance = 1e-3;
  const int before = static_cast<int>(segment_.size()) - success_run_;
  const ProportionEstimate failing = WilsonInterval(segment_failures_, before, z_);
  if (before <= 0 || failing.low <= 0) return settings_.recovery_run;
  if (failing.low >= 1) return settings_.recovery_run;
  const double needed = std::log(kRecoveryChance) / std::log(1 - failing.low);
  return std::max(settings_.recovery_run, static_cast<int>(std::ceil(needed)));
}

void ApiDetector::ChangeTo(ApiState state, int run) {
  state_ = state;
  // The new state's evidence starts with the run that decided it (all alike, the newest).
  const auto keep = static_cast<std::size_t>(std::max(0, run));
  while (segment_.size() > keep) {
    if (!segment_.front().success) --segment_failures_;
    segment_.pop_front();
  }
}

void ApiDetector::Expire(TimePoint now) {
  const TimePoint cutoff = now - window_;
  if (segment_.empty() || segment_.front().at >= cutoff) return;
  while (!segment_.empty() && segment_.front().at < cutoff) {
    if (!segment_.front().success) --segment_failures_;
    segment_.pop_front();
  }
  // Nothing left in the window: no evidence for any state.
  if (segment_.empty()) {
    state_ = ApiState::kWaiting;
    failure_run_ = 0;
    success_run_ = 0;
  }
}

ProportionEstimate ApiDetector::Evidence(TimePoint now) {
  Expire(now);
  return WilsonInterval(segment_failures_, static_cast<int>(segment_.size()), z_);
}

bool ApiDetector::unsettled() const {
  switch (state_) {
    case ApiState::kWorking:
      return failure_run_ > 0;
    case ApiState::kFailing:
      return success_run_ > 0;
    case ApiState::kWaiting:
      break;
  }
  return false;
}

}  // namespace healthgap::eval
