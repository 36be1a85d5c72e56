#include "eval/traffic_view.h"

#include <algorithm>
#include <limits>

namespace healthgap::eval {
namespace {

int Clamped(std::uint64_t count) {
  return static_cast<int>(std::min<std::uint64_t>(count, std::numeric_limits<int>::max()));
}

ApiState StateOf(ThresholdSide side) {
  return side == ThresholdSide::kAbove ? ApiState::kFailing : ApiState::kWorking;
}

}  // namespace

TrafficView::TrafficView(Duration window, const TrafficSettings& settings)
    : window_(window),
      settings_(settings),
      z_(ZForConfidence(settings.confidence)),
      recent_z_(ZForConfidence(settings.recent_confidence)) {}

ThresholdSide TrafficView::SideOf(std::uint64_t failures, std::uint64_t requests, double z) const {
  // Scaled down together past int's range: the share is what matters.
  while (requests > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    requests /= 2;
    failures /= 2;
  }
  return CompareToThreshold(WilsonInterval(Clamped(failures), Clamped(requests), z),
                            settings_.max_error_ratio);
}

void TrafficView::Add(TimePoint at, std::uint64_t requests, std::uint64_t failures) {
  // A source counts a request when it starts and its failure when it ends, so a poll can count
  // more failures than requests: the excess belongs to the next poll's share.
  failures += carried_failures_;
  carried_failures_ = failures > requests ? failures - requests : 0;
  polls_.push_back({at, requests, failures - carried_failures_});
  if (polls_.size() > settings_.max_polls) {
    polls_.pop_front();
    if (segment_start_ > 0) --segment_start_;
  }
  // The latest poll, then the latest two, ...: the first of them plain against the state
  // changes it, and starts a new segment where those polls begin.
  const std::size_t recent = std::min<std::size_t>(polls_.size(), settings_.recent_polls);
  std::uint64_t recent_requests = 0, recent_failures = 0;
  for (std::size_t k = 1; k <= recent; ++k) {
    const Poll& poll = polls_[polls_.size() - k];
    recent_requests += poll.requests;
    recent_failures += poll.failures;
    const ThresholdSide side = SideOf(recent_failures, recent_requests, recent_z_);
    if (side != ThresholdSide::kUndecided && StateOf(side) != state_) {
      state_ = StateOf(side);
      segment_start_ = std::max(segment_start_, polls_.size() - k);
      return;
    }
  }
  std::uint64_t segment_requests = 0, segment_failures = 0;
  for (std::size_t i = segment_start_; i < polls_.size(); ++i) {
    segment_requests += polls_[i].requests;
    segment_failures += polls_[i].failures;
  }
  const ThresholdSide segment_side = SideOf(segment_failures, segment_requests, z_);
  if (segment_side != ThresholdSide::kUndecided && StateOf(segment_side) != state_) {
    // A slow change: the segment as a whole says so; the next one starts now.
    state_ = StateOf(segment_side);
    segment_start_ = polls_.size() - 1;
  }
}

void TrafficView::Expire(TimePoint now) {
  while (!polls_.empty() && now - polls_.front().at > window_) {
    polls_.pop_front();
    if (segment_start_ > 0) --segment_start_;
  }
  if (polls_.empty()) {
    state_ = ApiState::kWaiting;
    segment_start_ = 0;
  }
}

TrafficSummary TrafficView::Summarize(TimePoint now) {
  Expire(now);
  TrafficSummary summary;
  summary.state = state_;
  std::uint64_t segment_requests = 0, segment_failures = 0;
  for (std::size_t i = 0; i < polls_.size(); ++i) {
    summary.requests += polls_[i].requests;
    summary.failures += polls_[i].failures;
    if (i >= segment_start_) {
      segment_requests += polls_[i].requests;
      segment_failures += polls_[i].failures;
    }
  }
  summary.evidence = WilsonInterval(Clamped(segment_failures), Clamped(segment_requests), z_);
  // Over the span the polls cover (the window once full, at least a second): a burst that
  // ended long ago is not a busy backend, and a view only seconds old is not an idle one.
  if (!polls_.empty()) {
    const double seconds =
        std::clamp(ToSeconds(now - polls_.front().at), 1.0, std::max(1.0, ToSeconds(window_)));
    summary.request_rate = static_cast<double>(summary.requests) / seconds;
  }
  summary.idle = polls_.empty() || summary.request_rate < settings_.min_request_rate;
  return summary;
}

}  // namespace healthgap::eval
