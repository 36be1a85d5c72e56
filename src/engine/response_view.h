#pragma once

// Where engine hands its inputs to eval: the one adapter from each probe and config type to
// what eval judges.

#include "config/config.h"
#include "eval/outcome.h"
#include "eval/response.h"
#include "eval/verdict.h"
#include "probe/http_client.h"

namespace healthgap::engine {

// The one adapter from the transport's result to what eval judges. The view borrows `result`'s
// headers and body.
inline eval::Response ResponseOf(const probe::HttpResult& result) {
  eval::Response response{result.error, result.status_code, result.total, result.headers,
                          result.body};
  if (result.grpc) {
    response.grpc_code = result.grpc->code;
    response.grpc_serving_status = result.grpc->serving_status;
  }
  return response;
}

// A health check's outcome by its type: an HTTP response by its status and conditions, a TCP
// check by its connection and exchange alone (the transport judged `expect`), a gRPC call by
// its code and serving status.
inline eval::Outcome ClassifyHealth(const probe::HttpResult& result,
                                    const config::HealthCheck& check) {
  switch (check.type) {
    case config::HealthCheckType::kTcp:
      if (result.error) return {false, result.error};
      return {true, std::nullopt};
    case config::HealthCheckType::kGrpc:
      return eval::ClassifyGrpc(ResponseOf(result), check.grpc.expected_codes);
    case config::HealthCheckType::kHttp:
      break;
  }
  return eval::Classify(ResponseOf(result), check.expected_status, std::nullopt, check.conditions);
}

// The verdict's thresholds from the config's evaluation settings.
inline eval::ApiThresholds ThresholdsOf(const config::Evaluation& evaluation) {
  return eval::ApiThresholds{evaluation.max_error_ratio, evaluation.min_samples};
}

}  // namespace healthgap::engine
