// A loopback HTTP/1.1 server that answers every request 200 after a fixed delay, and records how
// long it held each one, so bench/bench.py can match every duration healthgap reports with what
// the server really did (docs/benchmarks.md, section c).
//
//   delay_server --port-file FILE [--delay-ms 100]
//
// Binds 127.0.0.1 on a free port and writes the port to FILE. A request is held from the moment
// the server has it (accept for a connection's first request, the read for later keep-alive
// ones) until its response is handed to the kernel, in one write with TCP_NODELAY: no Nagle
// stall inflates a duration. GET /__holds returns and clears the record as JSON,
// [["/path", seconds], ...]. One thread per connection, absolute-deadline sleeps with 1 us timer
// slack: the server adds microseconds, not milliseconds, to what it measures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

std::mutex holds_mu;
std::vector<std::pair<std::string, double>> holds;  // guarded by holds_mu

timespec Now() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now;
}

double Seconds(const timespec& from, const timespec& to) {
  return static_cast<double>(to.tv_sec - from.tv_sec) + (to.tv_nsec - from.tv_nsec) / 1e9;
}

bool WriteAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string HoldsJson() {
  std::lock_guard lock(holds_mu);
  std::string json = "[";
  char number[64];
  for (std::size_t i = 0; i < holds.size(); ++i) {
    std::snprintf(number, sizeof(number), "%.9f", holds[i].second);
    json += (i ? ",[\"" : "[\"") + holds[i].first + "\"," + number + "]";
  }
  holds.clear();
  return json + "]";
}

void Serve(int fd, timespec accepted, long delay_ns) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::string buffer;
  char chunk[4096];
  bool first = true;
  while (true) {
    std::size_t end;
    timespec start = accepted;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      if (!first && buffer.empty()) start = Now();  // a keep-alive request begins
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    first = false;
    const std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);  // GET/HEAD only: no request body
    const std::size_t sp1 = head.find(' ');
    const std::size_t sp2 = head.find(' ', sp1 + 1);
    const std::string method = head.substr(0, sp1);
    const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string body = "ok\n";
    if (path == "/__holds") {
      body = HoldsJson();
    } else {
      timespec deadline = start;
      deadline.tv_nsec += delay_ns;
      deadline.tv_sec += deadline.tv_nsec / 1'000'000'000;
      deadline.tv_nsec %= 1'000'000'000;
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
      }
    }
    std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
    if (method != "HEAD") response += body;
    const bool ok = WriteAll(fd, response);
    const timespec done = Now();
    if (path != "/__holds") {
      std::lock_guard lock(holds_mu);
      holds.emplace_back(path, Seconds(start, done));
    }
    if (!ok) break;
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  std::string port_file;
  double delay_ms = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port-file") == 0) port_file = argv[i + 1];
    if (std::strcmp(argv[i], "--delay-ms") == 0) delay_ms = std::atof(argv[i + 1]);
  }
  if (port_file.empty()) {
    std::fprintf(stderr, "usage: delay_server --port-file FILE [--delay-ms 100]\n");
    return 2;
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 1024) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("delay_server: listen");
    return 1;
  }
  {
    std::ofstream out(port_file + ".tmp");
    out << ntohs(address.sin_port);
  }
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  const long delay_ns = static_cast<long>(delay_ms * 1e6);
  while (true) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::perror("delay_server: accept");
      return 1;
    }
    std::thread(Serve, fd, Now(), delay_ns).detach();
  }
}
