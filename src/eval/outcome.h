#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "common/clock.h"
#include "config/config.h"
#include "probe/http_client.h"

namespace healthgap::eval {

// Why one probe or API sample counts as failed. Bounded: exported as the `reason` label.
enum class FailureReason {
  kStatus,  // response arrived with an unexpected status code
  kSlow,    // response arrived but later than the latency budget
  kTimeout,
  kConnectionRefused,
  kConnectionReset,
  kDns,
  kTls,
  kTooLarge,
  kBadResponse,
  kRedirectLoop,
  kOther,
};
inline constexpr std::size_t kFailureReasonCount = 11;
inline constexpr std::array<FailureReason, kFailureReasonCount> kAllFailureReasons = {
    FailureReason::kStatus,
    FailureReason::kSlow,
    FailureReason::kTimeout,
    FailureReason::kConnectionRefused,
    FailureReason::kConnectionReset,
    FailureReason::kDns,
    FailureReason::kTls,
    FailureReason::kTooLarge,
    FailureReason::kBadResponse,
    FailureReason::kRedirectLoop,
    FailureReason::kOther,
};

// Stable snake_case name ("status", "slow", "timeout", "connection_refused", ...).
std::string_view ToString(FailureReason reason);

// The failure reason for a transport error; nullopt for ErrorKind::kNone (a response arrived).
std::optional<FailureReason> ReasonForError(probe::ErrorKind kind);

// What one request means for the side that made it.
struct Outcome {
  bool success = false;
  std::optional<FailureReason> reason;  // set iff !success
};

// Judges a transport result against what the config expects. `latency_budget` applies only to
// API samples (health checks have their timeout instead). Precedence: transport error, then
// status, then latency; a slow 500 counts as "status".
Outcome Classify(const probe::HttpResult& result, const config::StatusMatcher& expected,
                 std::optional<config::Millis> latency_budget = std::nullopt);

}  // namespace healthgap::eval
