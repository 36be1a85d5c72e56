#pragma once

// HAProxy's own view of its servers, from the runtime API's `show stat` (CSV): whether each
// server is in rotation, its last check, and the traffic it served. What healthgap's emulated
// LB view is compared with, and what real users got from each server. The answer comes from a
// socket another program serves: parsed defensively, fields found by the header's names (the
// column order changes between versions), rows and sizes bounded.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthgap::sources {

// A server's `status` column, by kind.
enum class HaproxyServerState {
  kUp,           // "UP"
  kGoingDown,    // "UP 1/3": up, with failed checks on the way down
  kDown,         // "DOWN"
  kGoingUp,      // "DOWN 1/2": down, with passed checks on the way up
  kNoCheck,      // "no check": not checked, always in rotation
  kDraining,     // "NOLB", "DRAIN": up but taking no new traffic
  kMaintenance,  // "MAINT", "MAINT (via ...)", "MAINT (resolution)"
  kUnknown,      // anything else
};

// "up", "going_down", "down", "going_up", "no_check", "draining", "maintenance", "unknown".
std::string_view ToString(HaproxyServerState state);

// What `status` says, by its leading word.
HaproxyServerState ParseServerState(std::string_view status);

// Whether HAProxy sends new traffic to a server in `state`.
bool InRotation(HaproxyServerState state);

struct HaproxyServerStat {
  std::string proxy;    // pxname: the backend
  std::string server;   // svname
  std::string address;  // addr, "10.0.1.7:8080" (empty on versions without the column)
  std::string status;   // as HAProxy wrote it
  HaproxyServerState state = HaproxyServerState::kUnknown;
  std::string check_status;       // "L7OK", "L7STS", "L4CON", "INI", "* L7OK" while one runs
  std::optional<int> check_code;  // the last check's HTTP status
  std::optional<std::uint64_t> seconds_since_change;  // lastchg
  std::uint64_t failed_checks = 0;                    // chkfail
  std::uint64_t sessions_total = 0;     // stot: requests sent to the server (HTTP mode)
  std::uint64_t responses_5xx = 0;      // hrsp_5xx
  std::uint64_t response_errors = 0;    // eresp: aborted or broken responses
  std::uint64_t connection_errors = 0;  // econ: failed connections
};

struct ShowStatLimits {
  std::size_t max_bytes = 16 << 20;
  std::size_t max_servers = 100'000;
  std::size_t max_field_bytes = 1024;
};

struct ShowStat {
  std::vector<HaproxyServerStat> servers;  // server rows only, in HAProxy's order
  std::string error;                       // non-empty: the answer was not a stat table
};

// The server rows of a `show stat` answer. A row that is not a server (frontend, backend,
// listener) is skipped; a malformed number reads as absent or 0; a table without the columns
// that identify a server is an error.
ShowStat ParseShowStat(std::string_view answer, const ShowStatLimits& limits = {});

}  // namespace healthgap::sources
