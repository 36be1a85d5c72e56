#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace healthgap::config {

using Millis = std::chrono::milliseconds;

// Inclusive range of HTTP status codes, e.g. 200-399.
struct StatusRange {
  int low = 200;
  int high = 299;
  bool operator==(const StatusRange&) const = default;
};

// Which status codes count as success. Parsed from "200", "2xx", "200-399".
struct StatusMatcher {
  std::vector<StatusRange> ranges{{200, 299}};
  bool Matches(int status) const {
    for (const auto& r : ranges) {
      if (status >= r.low && status <= r.high) return true;
    }
    return false;
  }
  bool operator==(const StatusMatcher&) const = default;
};

// The health endpoint as a load balancer probes it.
struct HealthCheck {
  std::string path = "/health";
  std::string method = "GET";
  StatusMatcher expected_status{{{200, 399}}};
  Millis interval{10'000};
  Millis timeout{5'000};
  int healthy_threshold = 2;    // consecutive successes before the LB puts it back in rotation
  int unhealthy_threshold = 3;  // consecutive failures before the LB takes it out
  bool operator==(const HealthCheck&) const = default;
};

// A real API request, made the way users make it.
struct ApiSample {
  std::string name;  // unique within the target; exported as the `sample` label
  std::string path;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  StatusMatcher expected_status;         // default 2xx
  std::optional<Millis> latency_budget;  // slower than this counts as a failure (reason "slow")
  Millis interval{5'000};
  Millis timeout{5'000};
  bool operator==(const ApiSample&) const = default;
};

// When the user view counts as failing.
struct Evaluation {
  Millis window{120'000};        // sliding window of API samples
  double max_error_ratio = 0.2;  // window error ratio above this means the API is failing
  int min_samples = 5;           // fewer samples in the window: verdict unknown
  bool operator==(const Evaluation&) const = default;
};

struct Target {
  std::string name;                           // unique; the `target` label
  std::string base_url;                       // scheme://host[:port][/prefix], no trailing slash
  std::map<std::string, std::string> labels;  // extra labels on every series of this target
  HealthCheck health;
  std::vector<ApiSample> samples;  // at least one
  Evaluation evaluation;
  std::size_t max_body_bytes = 1 << 20;  // bodies beyond this fail with reason "too_large"

  // The URL a request for `path` (a health or sample path, starting with '/') goes to.
  std::string UrlFor(std::string_view path) const { return base_url + std::string(path); }
  bool operator==(const Target&) const = default;
};

// The whole configuration. A plain value: immutable once loaded, so any number of threads may
// read one copy concurrently.
struct Config {
  std::string source;  // file name the config came from, or "<embedded>"
  std::vector<Target> targets;
  // Equal configs mean a reload changes nothing.
  bool operator==(const Config&) const = default;
};

}  // namespace healthgap::config
