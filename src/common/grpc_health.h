#pragma once

// The gRPC Health Checking Protocol's wire facts that config/ (the default method), probe/ (the
// call) and eval/ (the judgement) share: one definition of each.

#include <string_view>

namespace healthgap::grpc_health {

// grpc.health.v1's Check: what Kubernetes, Envoy and grpc_health_probe call.
inline constexpr std::string_view kCheckMethod = "/grpc.health.v1.Health/Check";

// gRPC status codes (a stable wire protocol) that the judgement names.
inline constexpr int kOk = 0;
inline constexpr int kNotFound = 5;
inline constexpr int kUnimplemented = 12;
inline constexpr int kUnavailable = 14;

// HealthCheckResponse.ServingStatus (src/probe/proto/health.proto).
inline constexpr int kServing = 1;

}  // namespace healthgap::grpc_health
