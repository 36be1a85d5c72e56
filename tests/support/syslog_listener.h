#pragma once

// What rsyslog does for a balancer's logs, in the test: a Unix datagram socket that HAProxy's
// `log` line sends to, each datagram appended as a line to a file. Reopen() starts a new file
// at the same path, as rsyslog does on HUP after logrotate renamed the old one.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

namespace healthgap::testing {

class SyslogListener {
 public:
  SyslogListener(std::string socket_path, std::string file_path)
      : socket_path_(std::move(socket_path)), file_path_(std::move(file_path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path_.c_str(), sizeof address.sun_path - 1);
    ::unlink(socket_path_.c_str());
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ok_ = false;
      return;
    }
    file_ = std::fopen(file_path_.c_str(), "a");
    ok_ = file_ != nullptr;
    thread_ = std::thread([this] { Run(); });
  }
  ~SyslogListener() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (file_) std::fclose(file_);
    if (fd_ >= 0) ::close(fd_);
    ::unlink(socket_path_.c_str());
  }
  SyslogListener(const SyslogListener&) = delete;
  SyslogListener& operator=(const SyslogListener&) = delete;

  bool ok() const { return ok_; }
  std::size_t lines() const { return lines_.load(); }
  void Reopen() {
    std::lock_guard lock(mu_);
    std::fclose(file_);
    file_ = std::fopen(file_path_.c_str(), "a");
  }
  // Runs `rotate` with no line written meanwhile: logrotate's copytruncate without its own
  // race (a line written between its copy and its truncation is lost to every reader).
  template <typename Rotate>
  void Paused(Rotate rotate) {
    std::lock_guard lock(mu_);
    rotate();
  }

 private:
  void Run() {
    char buffer[8192];
    while (!stopping_) {
      pollfd waiting{fd_, POLLIN, 0};
      if (::poll(&waiting, 1, 50) <= 0) continue;
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) continue;
      std::size_t length = static_cast<std::size_t>(got);
      while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\0')) --length;
      std::lock_guard lock(mu_);
      std::fwrite(buffer, 1, length, file_);
      std::fputc('\n', file_);
      std::fflush(file_);
      ++lines_;
    }
  }

  std::string socket_path_;
  std::string file_path_;
  int fd_ = -1;
  std::FILE* file_ = nullptr;
  bool ok_ = false;
  std::mutex mu_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> lines_{0};
  std::thread thread_;
};

// One HTTP/1.0 GET over a Unix stream socket (a balancer's `bind unix@...` frontend): the
// response's status, or 0 when there is none within a second.
inline int GetOverUnixSocket(const std::string& socket_path, const std::string& target) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET " + target + " HTTP/1.0\r\nHost: shop\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::string reply;
      char chunk[4096];
      ssize_t got = 0;
      while (reply.size() < (64 << 10) && (got = ::recv(fd, chunk, sizeof chunk, 0)) > 0) {
        reply.append(chunk, static_cast<std::size_t>(got));
      }
      if (reply.size() > 12) std::sscanf(reply.c_str(), "HTTP/%*s %d", &status);
    }
  }
  ::close(fd);
  return status;
}

}  // namespace healthgap::testing
