#pragma once

// Why a health probe or an API sample failed: the one vocabulary of the transport (probe/),
// the judgement (eval/), the metrics' `reason` label, the status page and `check`. Bounded.
// Every name, the count and the list come from kFailureReasons.

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace healthgap {

enum class FailureReason : std::uint8_t {
  kStatus,  // a response arrived with an unexpected status code
  kSlow,    // a response arrived, later than the latency budget
  kTimeout,
  kConnectionRefused,
  kConnectionReset,
  kDns,
  kTls,
  kTooLarge,
  kBadResponse,
  kRedirectLoop,
  kBodyMismatch,        // a response whose body failed a fail_if_body_* condition
  kHeaderMismatch,      // a response whose headers failed a fail_if_header_* condition
  kGrpcNotServing,      // a gRPC health check answered, not SERVING
  kGrpcServiceUnknown,  // NOT_FOUND: the server has no such service
  kGrpcUnimplemented,   // UNIMPLEMENTED: the server has no such method (no health service)
  kGrpcUnavailable,     // UNAVAILABLE from a server that was reached
  kGrpcStatus,          // any other gRPC status code, or one not in expected_grpc_codes
  kOther,
};

struct FailureReasonName {
  FailureReason reason;
  std::string_view name;  // the `reason` label value
  std::string_view meaning;
};

// In enum order (checked below): the label values, in the order metrics list them.
inline constexpr auto kFailureReasons = std::to_array<FailureReasonName>({
    {FailureReason::kStatus, "status", "unexpected status code"},
    {FailureReason::kSlow, "slow", "over the latency budget"},
    {FailureReason::kTimeout, "timeout", "no complete response within the timeout"},
    {FailureReason::kConnectionRefused, "connection_refused", "nothing listens"},
    {FailureReason::kConnectionReset, "connection_reset", "the peer reset or closed mid-exchange"},
    {FailureReason::kDns, "dns", "the host name did not resolve"},
    {FailureReason::kTls, "tls", "TLS handshake or certificate failure"},
    {FailureReason::kTooLarge, "too_large", "the body exceeded max_body_bytes"},
    {FailureReason::kBadResponse, "bad_response", "not valid HTTP"},
    {FailureReason::kRedirectLoop, "redirect_loop", "a redirect chain beyond the limit"},
    {FailureReason::kBodyMismatch, "body_mismatch",
     "the body failed a fail_if_body condition (tcp: the reply failed expect)"},
    {FailureReason::kHeaderMismatch, "header_mismatch",
     "a header failed a fail_if_header condition"},
    {FailureReason::kGrpcNotServing, "grpc_not_serving",
     "the gRPC health check answered NOT_SERVING or UNKNOWN"},
    {FailureReason::kGrpcServiceUnknown, "grpc_service_unknown",
     "the gRPC server has no such service (NOT_FOUND)"},
    {FailureReason::kGrpcUnimplemented, "grpc_unimplemented",
     "the gRPC server has no such method (UNIMPLEMENTED)"},
    {FailureReason::kGrpcUnavailable, "grpc_unavailable", "the gRPC server answered UNAVAILABLE"},
    {FailureReason::kGrpcStatus, "grpc_status",
     "another gRPC status code, or one not in expected_grpc_codes"},
    {FailureReason::kOther, "other", "any other failure"},
});
inline constexpr std::size_t kFailureReasonCount = kFailureReasons.size();

namespace detail {
constexpr bool FailureReasonsInEnumOrder() {
  for (std::size_t i = 0; i < kFailureReasonCount; ++i) {
    if (static_cast<std::size_t>(kFailureReasons[i].reason) != i) return false;
  }
  return true;
}
static_assert(FailureReasonsInEnumOrder(), "kFailureReasons must list the enum in order");
}  // namespace detail

inline constexpr std::array<FailureReason, kFailureReasonCount> kAllFailureReasons = [] {
  std::array<FailureReason, kFailureReasonCount> all{};
  for (std::size_t i = 0; i < kFailureReasonCount; ++i) all[i] = kFailureReasons[i].reason;
  return all;
}();

// A set of reasons, indexed like kAllFailureReasons.
using FailureReasonSet = std::bitset<kFailureReasonCount>;
inline void Add(FailureReasonSet& set, FailureReason reason) {
  set.set(static_cast<std::size_t>(reason));
}
inline bool Contains(const FailureReasonSet& set, FailureReason reason) {
  return set.test(static_cast<std::size_t>(reason));
}

constexpr std::string_view ToString(FailureReason reason) {
  return kFailureReasons[static_cast<std::size_t>(reason)].name;
}

// "none" when nothing failed (a transport result with a complete response).
constexpr std::string_view ToString(const std::optional<FailureReason>& reason) {
  return reason ? ToString(*reason) : std::string_view("none");
}

}  // namespace healthgap
