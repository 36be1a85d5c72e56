#include "eval/outcome.h"

namespace healthgap::eval {

std::string_view ToString(FailureReason reason) {
  switch (reason) {
    case FailureReason::kStatus:
      return "status";
    case FailureReason::kSlow:
      return "slow";
    case FailureReason::kTimeout:
      return "timeout";
    case FailureReason::kConnectionRefused:
      return "connection_refused";
    case FailureReason::kConnectionReset:
      return "connection_reset";
    case FailureReason::kDns:
      return "dns";
    case FailureReason::kTls:
      return "tls";
    case FailureReason::kTooLarge:
      return "too_large";
    case FailureReason::kBadResponse:
      return "bad_response";
    case FailureReason::kRedirectLoop:
      return "redirect_loop";
    case FailureReason::kOther:
      return "other";
  }
  return "other";
}

std::optional<FailureReason> ReasonForError(probe::ErrorKind kind) {
  switch (kind) {
    case probe::ErrorKind::kNone:
      return std::nullopt;
    case probe::ErrorKind::kTimeout:
      return FailureReason::kTimeout;
    case probe::ErrorKind::kConnectionRefused:
      return FailureReason::kConnectionRefused;
    case probe::ErrorKind::kConnectionReset:
      return FailureReason::kConnectionReset;
    case probe::ErrorKind::kDnsFailure:
      return FailureReason::kDns;
    case probe::ErrorKind::kTls:
      return FailureReason::kTls;
    case probe::ErrorKind::kTooLarge:
      return FailureReason::kTooLarge;
    case probe::ErrorKind::kBadResponse:
      return FailureReason::kBadResponse;
    case probe::ErrorKind::kTooManyRedirects:
      return FailureReason::kRedirectLoop;
    case probe::ErrorKind::kOther:
      return FailureReason::kOther;
  }
  return FailureReason::kOther;
}

Outcome Classify(const probe::HttpResult& result, const config::StatusMatcher& expected,
                 std::optional<config::Millis> latency_budget) {
  if (auto reason = ReasonForError(result.error)) return {false, reason};
  if (!expected.Matches(result.status_code)) return {false, FailureReason::kStatus};
  if (latency_budget && result.total > *latency_budget) return {false, FailureReason::kSlow};
  return {true, std::nullopt};
}

}  // namespace healthgap::eval
