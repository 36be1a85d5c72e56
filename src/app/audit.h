#pragma once

// `healthgap audit FILE...`: each balancer config read (its format told by its content), every
// pool's worst-case times out of and back into rotation and what users send to a broken server
// meanwhile, the findings against the reference's rules; as a table or JSON; and optionally the
// healthgap config that probes the servers as the balancer does (docs/audit.md).

#include <ostream>
#include <string>
#include <vector>

namespace healthgap::app {

struct AuditOptions {
  std::vector<std::string> files;
  std::string format = "table";  // or "json"
  double rps = 100;              // requests per second each pool receives
  std::string emit_config;       // a file to write the healthgap config to ("-": stdout)
};

// Exit codes: no warning or critical finding, some, or input that cannot be read.
inline constexpr int kAuditClean = 0;
inline constexpr int kAuditFindings = 1;
inline constexpr int kAuditBadInput = 2;

int RunAudit(const AuditOptions& options, std::ostream& out, std::ostream& err);

}  // namespace healthgap::app
