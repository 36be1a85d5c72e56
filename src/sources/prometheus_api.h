#pragma once

// Prometheus's HTTP API, for the `prometheus` source: an instant query
// (GET /api/v1/query?query=...) and its vector result read as one number per value of a label.
// The answer comes from a server another team runs: parsed defensively and bounded.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace healthgap::sources {

struct LabelledValue {
  std::string label;  // the series' value of the label asked for
  double value = 0;
};

struct QueryResult {
  std::vector<LabelledValue> values;  // series without the label are left out
  std::string error;                  // non-empty: no usable answer
};

struct QueryLimits {
  std::size_t max_bytes = 16 << 20;
  std::size_t max_series = 100'000;
};

// The series of a `vector` answer by their `label`; an error for anything else (another
// result type, "status": "error" with Prometheus's own words, not JSON).
QueryResult ParseQueryAnswer(std::string_view body, std::string_view label,
                             const QueryLimits& limits = {});

// Runs `query` against the Prometheus at `base_url` (http://host:port[/prefix]) within
// `timeout`.
QueryResult RunInstantQuery(const std::string& base_url, const std::string& query,
                            std::string_view label, std::chrono::milliseconds timeout,
                            const QueryLimits& limits = {});

}  // namespace healthgap::sources
