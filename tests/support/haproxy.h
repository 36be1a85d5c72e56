#pragma once

// A real HAProxy (Debian's), started by the test in the foreground with its own config in a
// temporary directory and an admin stats socket there; stopped (SIGTERM) when the object goes.
// The test writes the proxy sections; the global and defaults sections are ours. No port is
// bound unless the sections bind one: a backend alone runs its health checks.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/poll_until.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace healthgap::testing {

class Haproxy {
 public:
  explicit Haproxy(const std::string& sections)
      : config_(dir_.Write("haproxy.cfg", Config(sections))),
        process_({"haproxy", "-f", config_, "-db"}, Subprocess::Stderr::kInherit) {
    started_ =
        PollUntil([this] { return Command("show info").has_value(); }, std::chrono::seconds(20));
  }

  bool started() const { return started_; }

  // One runtime API command's answer over the stats socket; nullopt when it cannot connect.
  std::optional<std::string> Command(const std::string& command) const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = dir_.Path("admin.sock");
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd);
      return std::nullopt;
    }
    const std::string line = command + "\n";
    std::string answer;
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size())) {
      char buffer[8192];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, n);
    }
    ::close(fd);
    return answer;
  }

  // `show stat`'s row for one server, by its CSV header's field names (status, check_status,
  // lastchg, ...); nullopt when HAProxy does not answer or has no such server.
  std::optional<std::map<std::string, std::string>> ServerStat(const std::string& proxy,
                                                               const std::string& server) const {
    const std::optional<std::string> csv = Command("show stat");
    if (!csv || !csv->starts_with("# ")) return std::nullopt;
    std::istringstream lines(csv->substr(2));
    std::string header_line;
    std::getline(lines, header_line);
    const std::vector<std::string> header = Split(header_line);
    for (std::string line; std::getline(lines, line);) {
      const std::vector<std::string> fields = Split(line);
      if (fields.size() < 2 || fields[0] != proxy || fields[1] != server) continue;
      std::map<std::string, std::string> row;
      for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) {
        row[header[i]] = fields[i];
      }
      return row;
    }
    return std::nullopt;
  }

 private:
  std::string Config(const std::string& sections) const {
    return "global\n  stats socket " + dir_.Path("admin.sock") +
           " mode 600 level admin\n"
           "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n"
           "  timeout server 5s\n" +
           sections + "\n";
  }

  static std::vector<std::string> Split(const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, ',')) fields.push_back(field);
    return fields;
  }

  TempDir dir_;  // declared first: removed after HAProxy stopped
  std::string config_;
  Subprocess process_;
  bool started_ = false;
};

}  // namespace healthgap::testing
