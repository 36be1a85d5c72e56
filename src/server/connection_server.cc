#include "server/connection_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace healthgap::server {
namespace {

using Clock = Connection::Clock;

constexpr int kMaxEvents = 256;
constexpr std::size_t kReadChunk = 16 * 1024;
// After accept fails for want of file descriptors with nothing to evict, the listener rests
// this long instead of spinning on the connection it cannot take.
constexpr std::chrono::milliseconds kListenerRest{100};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

int Milliseconds(time_t seconds, time_t microseconds) {
  return static_cast<int>(seconds * 1000 + microseconds / 1000);
}

void Notify(int event_fd) {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(event_fd, &one, sizeof(one));
}

void Drain(int event_fd) {
  std::uint64_t value = 0;
  while (::read(event_fd, &value, sizeof(value)) > 0) {
  }
}

// Connections at most: the configured cap, and no more than half the file descriptors the
// process may open (the rest are the probes' sockets and files).
std::size_t ConnectionCap(std::size_t configured) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return configured;
  }
  return std::max<std::size_t>(16, std::min<std::size_t>(configured, limit.rlim_cur / 2));
}

// One best-effort write of a short answer from the reactor, which never waits on a client.
void WriteOnce(Transport& transport, std::string_view bytes) {
  std::size_t written = 0;
  transport.Write(bytes.data(), bytes.size(), &written);
}

}  // namespace

ConnectionServer::ConnectionServer() : ConnectionServer(Options{}) {}

ConnectionServer::ConnectionServer(Options options) : options_(options) {
  // TLS writes go through OpenSSL's own send(), without MSG_NOSIGNAL: a client that leaves
  // mid-response must not end the process.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  demand_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
  if (epoll_fd_ >= 0 && wake_fd_ >= 0) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &wake_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  }
}

ConnectionServer::~ConnectionServer() {
  Shutdown();
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_, stop_fd_, demand_fd_}) {
    if (fd >= 0) ::close(fd);
  }
  if (tls_context_) SSL_CTX_free(tls_context_);
}

void ConnectionServer::UseTls(SSL_CTX* context) {
  if (tls_context_) SSL_CTX_free(tls_context_);
  tls_context_ = context;
}

int ConnectionServer::Listen(const std::string& host, int port, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int code =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      code != 0) {
    if (error) *error = ::gai_strerror(code);
    return -1;
  }
  int fd = -1;
  std::string last_error = "no address";
  for (addrinfo* address = found; address && fd < 0; address = address->ai_next) {
    fd = ::socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  address->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR for a quick restart; never SO_REUSEPORT, which would let a second exporter
    // bind the same port and silently take half the scrapes.
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, address->ai_addr, address->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    if (error) *error = last_error;
    return -1;
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const int bound_port = bound.ss_family == AF_INET6
                             ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                             : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &listen_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    if (error) *error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  listen_fd_ = fd;
  // httplib's chunked writer stops once svr_sock_ is invalid (its "shutting down" test).
  svr_sock_ = fd;
  connection_cap_ = ConnectionCap(options_.max_connections);
  return bound_port;
}

void ConnectionServer::Serve() {
  if (listen_fd_ < 0 || stopping_.load()) return;
  serving_ = true;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.worker_threads); ++i) {
    workers_.emplace_back([this] { RunWorker(); });
  }
  RunReactor();
  {
    std::lock_guard lock(mu_);  // so no worker misses the notification between check and wait
  }
  ready_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  std::lock_guard lock(mu_);
  open_ -= ready_.size() + returned_.size();
  ready_.clear();
  returned_.clear();
  serving_ = false;
}

void ConnectionServer::Shutdown() {
  stopping_ = true;
  Notify(wake_fd_);
  Notify(stop_fd_);
  { std::lock_guard lock(mu_); }
  ready_cv_.notify_all();
}

ConnectionServer::Counters ConnectionServer::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

// ---------------------------------------------------------------------------------------------
// Reactor

void ConnectionServer::RunReactor() {
  std::array<epoll_event, kMaxEvents> events{};
  while (!stopping_.load()) {
    const Clock::time_point now = Clock::now();
    Clock::time_point wake_at = now + std::chrono::seconds(1);
    if (!deadlines_.empty()) wake_at = std::min(wake_at, deadlines_.begin()->first);
    if (listener_paused_) wake_at = std::min(wake_at, listener_resume_);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake_at - now);
    const int ready = ::epoll_wait(epoll_fd_, events.data(), kMaxEvents,
                                   static_cast<int>(std::max<long long>(0, wait.count())));
    for (int i = 0; i < ready; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listen_fd_) {
        AcceptAll();
      } else if (tag == &wake_fd_) {
        Drain(wake_fd_);
        TakeReturned();
      } else if (auto* connection = static_cast<Connection*>(tag); watched_.contains(connection)) {
        Advance(connection);
      }
    }
    if (listener_paused_ && Clock::now() >= listener_resume_) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.ptr = &listen_fd_;
      listener_paused_ = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &event) != 0;
    }
    ExpireDeadlines();
  }
  while (!oldest_.empty()) Drop(oldest_.front(), nullptr);
  svr_sock_ = INVALID_SOCKET;  // responses being streamed stop
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void ConnectionServer::AcceptAll() {
  while (true) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if ((errno == EMFILE || errno == ENFILE) && !oldest_.empty()) {
        Drop(oldest_.front(), &counters_.evicted);
        continue;
      }
      if (errno == EMFILE || errno == ENFILE) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        listener_paused_ = true;
        listener_resume_ = Clock::now() + kListenerRest;
      }
      return;  // EAGAIN: all taken
    }
    if (open_.load() >= connection_cap_) {
      if (oldest_.empty()) {
        // Every connection is being served: refuse the new one cheaply.
        ::close(fd);
        std::lock_guard lock(mu_);
        ++counters_.evicted;
        continue;
      }
      Drop(oldest_.front(), &counters_.evicted);
    }
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    auto connection = std::make_unique<Connection>(fd, tls_context_);
    if (!connection->transport.valid()) continue;  // closed by its destructor
    ++open_;
    {
      std::lock_guard lock(mu_);
      ++counters_.accepted;
    }
    Watch(std::move(connection));
  }
}

void ConnectionServer::Watch(std::unique_ptr<Connection> owned) {
  Connection* connection = owned.get();
  // Waiting for a next request on a kept-alive connection is idle time (keep-alive timeout);
  // a request that has begun, or a new connection, has the head timeout.
  const bool idle = connection->in.empty() && connection->requests > 0;
  connection->deadline =
      Clock::now() +
      (idle ? std::chrono::milliseconds(keep_alive_timeout_sec_ * 1000) : options_.head_timeout);
  connection->deadline_entry = deadlines_.emplace(connection->deadline, connection);
  connection->oldest_entry = oldest_.insert(oldest_.end(), connection);
  connection->watched_for_write = false;
  watched_.emplace(connection, std::move(owned));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = connection;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection->transport.fd(), &event) != 0) {
    Drop(connection, nullptr);
    return;
  }
  Advance(connection);  // what is buffered already (pipelined, TLS) and new connections' bytes
}

void ConnectionServer::Advance(Connection* connection) {
  Transport& transport = connection->transport;
  if (!transport.handshake_done()) {
    const Transport::Io io = transport.Handshake();
    if (io == Transport::Io::kWantRead || io == Transport::Io::kWantWrite) {
      SetInterest(connection, io == Transport::Io::kWantWrite);
      return;
    }
    if (io != Transport::Io::kOk) {
      Drop(connection, nullptr);
      return;
    }
    SetInterest(connection, false);
  }
  const bool was_idle = connection->in.empty();
  bool closed = false;
  const std::size_t enough =
      options_.framing.max_head_bytes + options_.framing.max_body_bytes + kReadChunk;
  while (connection->in.size() < enough) {
    std::string& in = connection->in;
    const std::size_t before = in.size();
    in.resize(before + kReadChunk);
    std::size_t count = 0;
    const Transport::Io io = transport.Read(in.data() + before, kReadChunk, &count);
    in.resize(before + (io == Transport::Io::kOk ? count : 0));
    if (io == Transport::Io::kOk) continue;
    // TLS may need to write before it can read on (a key update): wait for what it needs.
    SetInterest(connection, io == Transport::Io::kWantWrite);
    closed = io == Transport::Io::kClosed || io == Transport::Io::kError;
    break;
  }
  if (connection->in.empty()) {
    if (closed) Drop(connection, nullptr);
    return;
  }
  if (was_idle && connection->requests > 0) {
    // The next request has begun on a kept-alive connection: its head clock starts now.
    deadlines_.erase(connection->deadline_entry);
    connection->deadline = Clock::now() + options_.head_timeout;
    connection->deadline_entry = deadlines_.emplace(connection->deadline, connection);
  }
  const Framing framing = FrameRequest(connection->in, options_.framing);
  switch (framing.state) {
    case Framing::State::kComplete:
      Dispatch(connection);
      return;
    case Framing::State::kReject:
      WriteOnce(transport, RejectionResponse(framing.status, framing.reason));
      Drop(connection, &counters_.rejected);
      return;
    case Framing::State::kIncomplete:
      if (closed) {
        Drop(connection, nullptr);
      } else if (framing.expects_continue && !connection->sent_continue) {
        WriteOnce(transport, kContinue);
        connection->sent_continue = true;
      }
      return;
  }
}

void ConnectionServer::Dispatch(Connection* connection) {
  Unwatch(connection);
  std::unique_ptr<Connection> owned = std::move(watched_.extract(connection).mapped());
  bool wake_a_lingering_worker = false;
  {
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(owned));
    wake_a_lingering_worker = idle_workers_ == 0 && lingering_ > 0;
  }
  ready_cv_.notify_one();
  if (wake_a_lingering_worker) Notify(demand_fd_);
}

void ConnectionServer::Unwatch(Connection* connection) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection->transport.fd(), nullptr);
  deadlines_.erase(connection->deadline_entry);
  oldest_.erase(connection->oldest_entry);
}

void ConnectionServer::Drop(Connection* connection, std::uint64_t* counter) {
  if (counter) {  // counted before the client can see the close
    std::lock_guard lock(mu_);
    ++*counter;
  }
  Unwatch(connection);
  watched_.erase(connection);  // closes it
  --open_;
}

void ConnectionServer::SetInterest(Connection* connection, bool write) {
  if (connection->watched_for_write == write) return;
  epoll_event event{};
  event.events = write ? EPOLLOUT : EPOLLIN;
  event.data.ptr = connection;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection->transport.fd(), &event);
  connection->watched_for_write = write;
}

void ConnectionServer::ExpireDeadlines() {
  const Clock::time_point now = Clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Drop(deadlines_.begin()->second, &counters_.timed_out);
  }
}

void ConnectionServer::TakeReturned() {
  std::vector<std::unique_ptr<Connection>> returned;
  {
    std::lock_guard lock(mu_);
    returned.swap(returned_);
  }
  for (auto& connection : returned) Watch(std::move(connection));
}

// ---------------------------------------------------------------------------------------------
// Workers

void ConnectionServer::RunWorker() {
  while (true) {
    std::unique_ptr<Connection> connection;
    {
      std::unique_lock lock(mu_);
      ++idle_workers_;
      ready_cv_.wait(lock, [&] { return stopping_.load() || !ready_.empty(); });
      --idle_workers_;
      if (stopping_.load()) return;  // Serve closes what is still queued
      connection = std::move(ready_.front());
      ready_.pop_front();
    }
    ServeConnection(std::move(connection));
  }
}

void ConnectionServer::ServeConnection(std::unique_ptr<Connection> connection) {
  const int read_timeout_ms = Milliseconds(read_timeout_sec_, read_timeout_usec_);
  const int write_timeout_ms = Milliseconds(write_timeout_sec_, write_timeout_usec_);
  while (connection) {
    ConnectionStream stream(*connection, read_timeout_ms, write_timeout_ms);
    ++connection->requests;
    const bool last = connection->requests >= keep_alive_max_count_ || stopping_.load();
    bool closed = false;
    IgnoreAcceptEncoding(connection->in);
    const bool processed = process_request(stream, last, closed, nullptr);
    const bool ok = stream.Flush() && processed;
    stream.Compact();
    connection->sent_continue = false;
    if (!ok || closed || last) {
      connection.reset();
      --open_;
      return;
    }
    if (!AwaitNextRequest(connection)) return;
  }
}

bool ConnectionServer::AwaitNextRequest(std::unique_ptr<Connection>& connection) {
  const Framing pipelined = FrameRequest(connection->in, options_.framing);
  if (pipelined.state == Framing::State::kComplete) return true;
  bool linger = false;
  if (connection->in.empty() && !stopping_.load()) {
    std::lock_guard lock(mu_);
    // Waiting here saves the reactor a round trip per request on kept-alive connections, but
    // only while half the workers or more are free: an idle client must not hold threads.
    linger = lingering_ < options_.worker_threads / 2 && ready_.empty();
    if (linger) ++lingering_;
  }
  if (!linger) {
    ReturnToReactor(std::move(connection));
    return false;
  }
  const auto stop_lingering = [&] {
    std::lock_guard lock(mu_);
    --lingering_;
  };
  const int fd = connection->transport.fd();
  const auto deadline = Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
  while (true) {
    std::array<pollfd, 3> waits{{{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}, {demand_fd_, POLLIN, 0}}};
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    const int ready = connection->transport.HasPending()
                          ? 1
                          : ::poll(waits.data(), waits.size(),
                                   static_cast<int>(std::max<long long>(0, left.count())));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || waits[1].revents != 0) {  // kept alive long enough, or shutting down
      stop_lingering();
      connection.reset();
      --open_;
      return false;
    }
    if (waits[2].revents != 0) {
      std::uint64_t token = 0;
      if (::read(demand_fd_, &token, sizeof(token)) != sizeof(token)) continue;  // taken
      stop_lingering();
      ReturnToReactor(std::move(connection));
      return false;
    }
    break;  // the connection is readable
  }
  stop_lingering();
  bool closed = false;
  while (true) {
    std::string& in = connection->in;
    const std::size_t before = in.size();
    in.resize(before + kReadChunk);
    std::size_t count = 0;
    const Transport::Io io = connection->transport.Read(in.data() + before, kReadChunk, &count);
    in.resize(before + (io == Transport::Io::kOk ? count : 0));
    if (io != Transport::Io::kOk) {
      closed = io == Transport::Io::kClosed || io == Transport::Io::kError;
      break;
    }
    if (in.size() > options_.framing.max_head_bytes + options_.framing.max_body_bytes) break;
  }
  if (closed && connection->in.empty()) {
    connection.reset();
    --open_;
    return false;
  }
  if (FrameRequest(connection->in, options_.framing).state == Framing::State::kComplete) {
    return true;
  }
  // A request that arrives in pieces is read by the reactor, not by a waiting thread.
  ReturnToReactor(std::move(connection));
  return false;
}

void ConnectionServer::ReturnToReactor(std::unique_ptr<Connection> connection) {
  if (stopping_.load()) {
    connection.reset();
    --open_;
    return;
  }
  {
    std::lock_guard lock(mu_);
    returned_.push_back(std::move(connection));
  }
  Notify(wake_fd_);
}

}  // namespace healthgap::server
