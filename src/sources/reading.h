#pragma once

// What one poll of a source says, whatever the source: per server, the balancer's view of it
// and/or the traffic it served. Every reader (sources/readers.h) answers in these terms, so the
// engine matches servers to targets and diffs counters the same way for all of them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace healthgap::sources {

// Requests sent to a server and those that failed, counted since some start the source chose
// (HAProxy's own start, a Prometheus counter's, the moment healthgap began reading a log):
// only differences between two readings mean anything, and a decrease is a restart.
struct TrafficCounters {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  bool operator==(const TrafficCounters&) const = default;
};

struct ServerReading {
  std::string backend;              // HAProxy's proxy; empty when the source has no such notion
  std::string server;               // the source's name for it: svname, a label value, an address
  std::string address;              // host:port, when the source knows it
  std::optional<bool> in_rotation;  // unset: the source says nothing of the balancer's view
  std::string state;                // the source's word for it ("up", "going_down", "1")
  std::optional<TrafficCounters> traffic;  // unset: the source counts no traffic
  // The counters started from zero since the last poll (a server a log names for the first
  // time): the first reading is all new traffic, not a baseline to diff against.
  bool counted_from_zero = false;
};

struct SourceReading {
  std::vector<ServerReading> servers;
  std::string error;  // non-empty: the poll failed and `servers` means nothing
};

// "backend/server", or the server alone without a backend: how the status page and the check
// report name it.
std::string DisplayName(const ServerReading& server);

// The server of `reading` that a target is: by backend (if given) and server name (if given),
// else by its address host:port; nullptr when none matches.
const ServerReading* FindServer(const SourceReading& reading, const std::string& backend,
                                const std::string& server, const std::string& address);

}  // namespace healthgap::sources
