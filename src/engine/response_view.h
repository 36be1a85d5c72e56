#pragma once

// Where engine hands its inputs to eval: the one adapter from each probe and config type to
// what eval judges.

#include "config/config.h"
#include "eval/response.h"
#include "eval/verdict.h"
#include "probe/http_client.h"

namespace healthgap::engine {

// The one adapter from the transport's result to what eval judges. The view borrows `result`'s
// headers and body.
inline eval::Response ResponseOf(const probe::HttpResult& result) {
  return eval::Response{result.error, result.status_code, result.total, result.headers,
                        result.body};
}

// The verdict's thresholds from the config's evaluation settings.
inline eval::ApiThresholds ThresholdsOf(const config::Evaluation& evaluation) {
  return eval::ApiThresholds{evaluation.max_error_ratio, evaluation.min_samples};
}

}  // namespace healthgap::engine
