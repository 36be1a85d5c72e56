#pragma once

// A real HAProxy (Debian's), started by the test in the foreground with its own config in a
// temporary directory and an admin stats socket there, read with sources/haproxy_runtime.h;
// stopped (SIGTERM) when the object goes. The test writes the proxy sections and any extra
// global lines; the rest is ours. No port is bound unless the test's lines bind one: a backend
// alone runs its health checks.

#include <chrono>
#include <optional>
#include <string>

#include "sources/haproxy_runtime.h"
#include "sources/haproxy_stat.h"
#include "support/poll_until.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace healthgap::testing {

class Haproxy {
 public:
  explicit Haproxy(const std::string& sections, const std::string& global_lines = "")
      : config_(dir_.Write("haproxy.cfg", Config(sections, global_lines))),
        process_({"haproxy", "-f", config_, "-db"}, Subprocess::Stderr::kInherit) {
    started_ =
        PollUntil([this] { return Command("show info").has_value(); }, std::chrono::seconds(20));
  }

  bool started() const { return started_; }

  // One runtime API command's answer over the stats socket; nullopt when it cannot connect.
  std::optional<std::string> Command(const std::string& command) const {
    const sources::RuntimeAnswer answer =
        sources::RunRuntimeCommand(socket(), command, std::chrono::seconds(5));
    if (!answer.error.empty()) return std::nullopt;
    return answer.text;
  }

  // `show stat`'s row for one server; nullopt when HAProxy does not answer or has no such
  // server.
  std::optional<sources::HaproxyServerStat> ServerStat(const std::string& proxy,
                                                       const std::string& server) const {
    const std::optional<std::string> csv = Command("show stat");
    if (!csv) return std::nullopt;
    for (sources::HaproxyServerStat& stat : sources::ParseShowStat(*csv).servers) {
      if (stat.proxy == proxy && stat.server == server) return stat;
    }
    return std::nullopt;
  }

  SocketAddress socket() const { return SocketAddress::Unix(dir_.Path("admin.sock")); }

 private:
  std::string Config(const std::string& sections, const std::string& global_lines) const {
    return "global\n  stats socket " + dir_.Path("admin.sock") + " mode 600 level admin\n" +
           global_lines +
           "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n"
           "  timeout server 5s\n" +
           sections + "\n";
  }

  TempDir dir_;  // declared first: removed after HAProxy stopped
  std::string config_;
  Subprocess process_;
  bool started_ = false;
};

}  // namespace healthgap::testing
