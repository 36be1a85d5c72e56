#include "sources/readers.h"

#include <cmath>

#include "sources/haproxy_runtime.h"
#include "sources/haproxy_stat.h"
#include "sources/prometheus_api.h"

namespace healthgap::sources {

std::string DisplayName(const ServerReading& server) {
  return server.backend.empty() ? server.server : server.backend + "/" + server.server;
}

const ServerReading* FindServer(const SourceReading& reading, const std::string& backend,
                                const std::string& server, const std::string& address) {
  for (const ServerReading& candidate : reading.servers) {
    if (!backend.empty() && candidate.backend != backend) continue;
    if (server.empty() ? candidate.address == address : candidate.server == server) {
      return &candidate;
    }
  }
  return nullptr;
}

SourceReading HaproxyStatReader::Read() {
  SourceReading reading;
  const RuntimeAnswer answer = RunRuntimeCommand(address_, "show stat", timeout_);
  if (!answer.error.empty()) {
    reading.error = answer.error;
    return reading;
  }
  const ShowStat stat = ParseShowStat(answer.text);
  if (!stat.error.empty()) {
    reading.error = stat.error;
    return reading;
  }
  reading.servers.reserve(stat.servers.size());
  for (const HaproxyServerStat& server : stat.servers) {
    ServerReading out;
    out.backend = server.proxy;
    out.server = server.server;
    out.address = server.address;
    out.in_rotation = InRotation(server.state);
    out.state = std::string(ToString(server.state));
    out.traffic = TrafficCounters{
        .requests = server.sessions_total,
        .failures = server.responses_5xx + server.response_errors + server.connection_errors,
    };
    reading.servers.push_back(std::move(out));
  }
  return reading;
}

SourceReading AccessLogReader::Read() {
  SourceReading reading;
  for (auto& [key, server] : servers_) server.counted_from_zero = false;
  reading.error = tailer_.Poll([this](std::string_view line) {
    ++lines_read_;
    for (UpstreamAttempt& attempt : ParseAccessLogLine(line, format_)) {
      ServerReading& server = servers_[{attempt.backend, attempt.server}];
      if (!server.traffic) {
        server.backend = std::move(attempt.backend);
        server.server = std::move(attempt.server);
        server.address = std::move(attempt.address);
        server.traffic = TrafficCounters{};
        server.counted_from_zero = true;
      }
      ++server.traffic->requests;
      if (attempt.failed) ++server.traffic->failures;
    }
  });
  if (!reading.error.empty()) return reading;
  reading.servers.reserve(servers_.size());
  for (const auto& [key, server] : servers_) reading.servers.push_back(server);
  return reading;
}

namespace {

// The ServerReading for `name` in `reading`, added if new: a Prometheus series names its
// target by one label, which is both its server name and, for `instance`, its address.
ServerReading& ServerNamed(SourceReading& reading, const std::string& name) {
  for (ServerReading& server : reading.servers) {
    if (server.server == name) return server;
  }
  ServerReading& server = reading.servers.emplace_back();
  server.server = name;
  server.address = name;
  return server;
}

std::uint64_t Counter(double value) {
  return value <= 0 ? 0 : static_cast<std::uint64_t>(std::llround(std::min(value, 1e18)));
}

}  // namespace

SourceReading PrometheusReader::Read() {
  SourceReading reading;
  const PrometheusQueries& q = queries_;
  if (!q.lb_query.empty()) {
    QueryResult lb = RunInstantQuery(q.base_url, q.lb_query, q.label, q.timeout);
    if (!lb.error.empty()) {
      reading.error = "lb_query: " + lb.error;
      return reading;
    }
    for (const LabelledValue& value : lb.values) {
      ServerReading& server = ServerNamed(reading, value.label);
      server.in_rotation = value.value > 0;
      server.state = value.value > 0 ? "in_rotation" : "out_of_rotation";
    }
  }
  if (!q.requests_query.empty()) {
    QueryResult requests = RunInstantQuery(q.base_url, q.requests_query, q.label, q.timeout);
    QueryResult failures = requests.error.empty()
                               ? RunInstantQuery(q.base_url, q.failures_query, q.label, q.timeout)
                               : QueryResult{};
    if (!requests.error.empty() || !failures.error.empty()) {
      reading.error = !requests.error.empty() ? "requests_query: " + requests.error
                                              : "failures_query: " + failures.error;
      reading.servers.clear();
      return reading;
    }
    for (const LabelledValue& value : requests.values) {
      ServerNamed(reading, value.label).traffic = TrafficCounters{.requests = Counter(value.value)};
    }
    // A target with requests and no failing series has failed none: a 5xx counter that was
    // never incremented has no series at all.
    for (const LabelledValue& value : failures.values) {
      ServerReading& server = ServerNamed(reading, value.label);
      if (server.traffic) server.traffic->failures = Counter(value.value);
    }
  }
  return reading;
}

}  // namespace healthgap::sources
