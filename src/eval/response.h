#pragma once

// What eval needs to know of one HTTP exchange. eval judges responses without knowing how they
// were fetched: engine/ builds this view from probe's result (engine/response_view.h), tests
// build it directly.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "common/failure_reason.h"

namespace healthgap::eval {

// A view: headers and body belong to whoever built it and must outlive it.
struct Response {
  // Why no complete response arrived; nullopt when one did (whatever its status code).
  std::optional<FailureReason> transport_failure;
  int status_code = 0;  // 0 when no response arrived
  Duration total{0};
  std::span<const std::pair<std::string, std::string>> headers;  // names lowercased
  std::string_view body;
  // A gRPC call that reached a server: its status code and, for grpc.health.v1's Check, the
  // serving status (1 SERVING); nullopt for HTTP and TCP.
  std::optional<int> grpc_code{};
  std::optional<int> grpc_serving_status{};
};

}  // namespace healthgap::eval
