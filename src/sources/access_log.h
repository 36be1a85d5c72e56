#pragma once

// Access log lines in the formats docs/sources.md documents, parsed into the upstream attempts
// they record: what real users' requests got from each server. Lines come from a file other
// programs write: anything that is not a line of the format is skipped and counted, never an
// error.
//
// nginx, with one entry per attempt ($upstream_addr and $upstream_status list every server a
// request tried, ", " between attempts and " : " between internal redirects), so a request that
// `proxy_next_upstream` retried elsewhere still counts its failed attempt:
//   log_format healthgap 'healthgap status=$status upstream_addr="$upstream_addr" '
//                        'upstream_status="$upstream_status" '
//                        'upstream_response_time="$upstream_response_time"';
// HAProxy (%b backend, %s server, %si:%sp its address, %ST the status, -1 for none):
//   log-format "healthgap backend=%b server=%s addr=%si:%sp status=%ST"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace healthgap::sources {

enum class LogFormat { kNginx, kHaproxy };

struct UpstreamAttempt {
  std::string backend;  // HAProxy's %b; empty for nginx
  std::string server;   // HAProxy's %s; for nginx the address
  std::string address;  // host:port, or unix:/path
  bool failed = false;  // a 5xx, no status at all, or no response
};

// The attempts a line records: none for a line that is not of the format, or a request no
// upstream saw (nginx "-", HAProxy "<NOSRV>").
std::vector<UpstreamAttempt> ParseAccessLogLine(std::string_view line, LogFormat format);

}  // namespace healthgap::sources
