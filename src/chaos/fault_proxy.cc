#include "chaos/fault_proxy.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <vector>

#include "common/clock.h"

namespace healthgap::chaos {
namespace {

constexpr std::size_t kReadSize = 16 << 10;
constexpr int kMaxAcceptsPerPass = 64;
// The longest poll: a bound on how stale a missed wake-up could make the loop, not a tick.
constexpr auto kMaxPollWait = std::chrono::milliseconds(1000);

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

bool Resolve(const std::string& host, int port, bool passive, Address& out, std::string* error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || !found) {
    if (error) *error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
  out.length = found->ai_addrlen;
  freeaddrinfo(found);
  return true;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Closes with an RST instead of a FIN: what a peer that crashed or a reset fault looks like.
void CloseWithReset(int fd) {
  if (fd < 0) return;
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  close(fd);
}

int OpenListener(const Address& address, std::string* error) {
  const int fd = socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (error) *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0 ||
      listen(fd, 128) != 0) {
    if (error) *error = std::string("cannot listen: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  SetNonBlocking(fd);
  return fd;
}

struct Chunk {
  TimePoint due;
  std::string bytes;
  std::size_t sent = 0;
};

// One direction of a connection: what was read from `from` and is still to be written to `to`.
struct Direction {
  std::deque<Chunk> queue;
  std::size_t queued = 0;
  bool eof = false;       // `from` closed its side
  TimePoint eof_at{};     // when (slow_close counts from here)
  bool shut = false;      // the close passed on to `to`
  bool blocked = false;   // the last write to `to` would have blocked
  TimePoint next_send{};  // bandwidth: when the next bytes may go
};

struct Connection {
  int client = -1;
  int upstream = -1;
  bool connecting = true;
  bool dead = false;
  Direction to_upstream;
  Direction to_client;
  std::optional<TimePoint> blackhole_closes_at;  // timeout=DELAY
};

}  // namespace

struct FaultProxy::Loop {
  FaultProxyOptions options;
  Address listen_address;
  Address upstream_address;
  int listener = -1;
  int wake_read = -1;
  int wake_write = -1;
  RealClock clock;

  mutable std::mutex mu;
  std::condition_variable applied_changed;
  Fault requested;  // under mu
  std::uint64_t requested_generation = 0;
  std::uint64_t applied_generation = 0;
  bool stop = false;
  std::string error;
  FaultProxyStats shared_stats;

  Fault applied;  // the loop thread's
  std::uint64_t applied_generation_seen = 0;
  FaultProxyStats stats;
  std::vector<std::unique_ptr<Connection>> connections;

  ~Loop() {
    for (auto& connection : connections) {
      if (connection->client >= 0) close(connection->client);
      if (connection->upstream >= 0) close(connection->upstream);
    }
    for (int fd : {listener, wake_read, wake_write}) {
      if (fd >= 0) close(fd);
    }
  }

  void Wake() const {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = write(wake_write, &byte, 1);
  }

  // Closes both sides, with a FIN or, `with_reset`, an RST.
  static void Close(Connection& connection, bool with_reset) {
    for (int* fd : {&connection.client, &connection.upstream}) {
      if (with_reset) {
        CloseWithReset(*fd);
      } else if (*fd >= 0) {
        close(*fd);
      }
      *fd = -1;
    }
    connection.dead = true;
  }

  // A reset the fault caused, counted as such.
  void Reset(Connection& connection) {
    Close(connection, true);
    ++stats.reset;
  }

  // What changes for open connections when the fault changes.
  void Apply(const Fault& next, TimePoint now) {
    const Fault previous = applied;
    applied = next;
    if (previous.kind == FaultKind::kRefuse && next.kind != FaultKind::kRefuse && listener < 0) {
      std::string why;
      listener = OpenListener(listen_address, &why);
      std::lock_guard lock(mu);
      error = listener < 0 ? "re-opening the listener after refuse: " + why : "";
    }
    if (next.kind == FaultKind::kRefuse && listener >= 0) {
      close(listener);
      listener = -1;
    }
    for (auto& connection : connections) {
      if (connection->dead) continue;
      if (next.kind == FaultKind::kReset || next.kind == FaultKind::kRefuse) {
        Reset(*connection);
        continue;
      }
      for (Direction* direction : {&connection->to_upstream, &connection->to_client}) {
        if (next.kind == FaultKind::kTimeout) {
          stats.bytes_dropped += direction->queued;
          direction->queue.clear();
          direction->queued = 0;
        }
        // What a latency held goes now; a lifted bandwidth limit no longer paces.
        for (Chunk& chunk : direction->queue) chunk.due = std::min(chunk.due, now + Delay());
        direction->next_send = std::min(direction->next_send, now);
      }
      connection->blackhole_closes_at.reset();
      if (next.kind == FaultKind::kTimeout && next.delay.count() > 0) {
        connection->blackhole_closes_at = now + next.delay;
      }
    }
  }

  Duration Delay() const {
    return applied.kind == FaultKind::kLatency ? Duration(applied.delay) : Duration::zero();
  }

  void Accept(TimePoint now) {
    for (int i = 0; i < kMaxAcceptsPerPass && listener >= 0; ++i) {
      const int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) return;
      ++stats.accepted;
      if (applied.kind == FaultKind::kReset) {
        CloseWithReset(client);
        ++stats.reset;
        continue;
      }
      if (static_cast<int>(connections.size()) >= options.max_connections) {
        close(client);
        ++stats.rejected;
        continue;
      }
      const int upstream =
          socket(upstream_address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (upstream < 0 ||
          (connect(upstream, reinterpret_cast<const sockaddr*>(&upstream_address.storage),
                   upstream_address.length) != 0 &&
           errno != EINPROGRESS)) {
        // The dependency itself is down: the application sees what it would see without us.
        if (upstream >= 0) close(upstream);
        CloseWithReset(client);
        ++stats.rejected;
        continue;
      }
      const int one = 1;
      setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto connection = std::make_unique<Connection>();
      connection->client = client;
      connection->upstream = upstream;
      if (applied.kind == FaultKind::kTimeout && applied.delay.count() > 0) {
        connection->blackhole_closes_at = now + applied.delay;
      }
      connections.push_back(std::move(connection));
    }
  }

  // Reads what `from` has into `direction`; false when the connection broke.
  bool Read(int from, Direction& direction, TimePoint now) {
    char buffer[kReadSize];
    const std::size_t room =
        options.max_buffered_bytes - std::min(options.max_buffered_bytes, direction.queued);
    if (room == 0) return true;
    const ssize_t n = recv(from, buffer, std::min(room, sizeof buffer), 0);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0) {
      if (!direction.eof) direction.eof_at = now;  // a hang-up reported again is not a new close
      direction.eof = true;
      return true;
    }
    if (applied.kind == FaultKind::kTimeout) {
      stats.bytes_dropped += static_cast<std::uint64_t>(n);
      return true;
    }
    direction.queue.push_back(
        Chunk{now + Delay(), std::string(buffer, static_cast<std::size_t>(n))});
    direction.queued += static_cast<std::size_t>(n);
    return true;
  }

  // Writes what is due of `direction` to `to`, then passes its close on; false when broken.
  bool Flush(Direction& direction, int to, TimePoint now) {
    direction.blocked = false;
    while (!direction.queue.empty()) {
      Chunk& chunk = direction.queue.front();
      if (chunk.due > now || direction.next_send > now) return true;
      std::size_t length = chunk.bytes.size() - chunk.sent;
      if (applied.kind == FaultKind::kBandwidth) {
        // Small writes (a 20th of a second's worth) so the receiver sees a steady trickle.
        length = std::min<std::size_t>(length, static_cast<std::size_t>(std::max<std::int64_t>(
                                                   1, applied.bytes_per_second / 20)));
      }
      const ssize_t n = send(to, chunk.bytes.data() + chunk.sent, length, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
          direction.blocked = true;
          return true;
        }
        return false;
      }
      chunk.sent += static_cast<std::size_t>(n);
      direction.queued -= static_cast<std::size_t>(n);
      stats.bytes_forwarded += static_cast<std::uint64_t>(n);
      if (applied.kind == FaultKind::kBandwidth) {
        direction.next_send =
            std::max(direction.next_send, now) +
            std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
                static_cast<double>(n) / static_cast<double>(applied.bytes_per_second)));
      }
      if (chunk.sent == chunk.bytes.size()) direction.queue.pop_front();
    }
    if (direction.eof && !direction.shut && !CloseHeld(direction, now)) {
      shutdown(to, SHUT_WR);
      direction.shut = true;
    }
    return true;
  }

  bool CloseHeld(const Direction& direction, TimePoint now) const {
    return applied.kind == FaultKind::kSlowClose && now < direction.eof_at + applied.delay;
  }

  // The earliest moment something held becomes due.
  TimePoint NextDeadline(TimePoint now) const {
    TimePoint next = now + kMaxPollWait;
    for (const auto& connection : connections) {
      if (connection->blackhole_closes_at) next = std::min(next, *connection->blackhole_closes_at);
      for (const Direction* direction : {&connection->to_upstream, &connection->to_client}) {
        if (!direction->queue.empty()) {
          next = std::min(next, std::max(direction->queue.front().due, direction->next_send));
        }
        if (direction->eof && !direction->shut && applied.kind == FaultKind::kSlowClose) {
          next = std::min(next, direction->eof_at + applied.delay);
        }
      }
    }
    return std::max(next, now);
  }

  void Step() {
    const TimePoint now = clock.Now();
    for (auto& connection : connections) {
      Connection& c = *connection;
      if (c.dead) continue;
      if (c.blackhole_closes_at && now >= *c.blackhole_closes_at) {
        Close(c, false);
        continue;
      }
      if (c.connecting) continue;
      if (!Flush(c.to_upstream, c.upstream, now) || !Flush(c.to_client, c.client, now)) {
        Close(c, true);  // one side broke: the other learns it as it would without us
        continue;
      }
      if (c.to_upstream.shut && c.to_client.shut) Close(c, false);
    }
    std::erase_if(connections, [](const auto& c) { return c->dead; });
  }

  void PollOnce() {
    std::vector<pollfd> fds;
    fds.push_back({wake_read, POLLIN, 0});
    if (listener >= 0) fds.push_back({listener, POLLIN, 0});
    const std::size_t first_connection = fds.size();
    const auto interest = [&](const Direction& reading, const Direction& writing, bool connecting) {
      short events = 0;
      if (!reading.eof && reading.queued < options.max_buffered_bytes) events |= POLLIN;
      if (connecting || writing.blocked) events |= POLLOUT;
      return events;
    };
    // A socket with nothing to wait for is left out (fd -1): a hung-up one would otherwise
    // report POLLHUP on every pass while a latency or a slow_close holds its other side.
    const auto entry = [](int fd, short events) { return pollfd{events ? fd : -1, events, 0}; };
    for (const auto& c : connections) {
      fds.push_back(entry(c->client, interest(c->to_upstream, c->to_client, false)));
      fds.push_back(entry(c->upstream, interest(c->to_client, c->to_upstream, c->connecting)));
    }
    const TimePoint now = clock.Now();
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(NextDeadline(now) - now);
    if (poll(fds.data(), fds.size(), static_cast<int>(wait.count())) <= 0) return;
    const TimePoint after = clock.Now();
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (read(wake_read, drain, sizeof drain) > 0) {
      }
    }
    for (std::size_t i = 0; i < connections.size(); ++i) {
      Connection& c = *connections[i];
      const pollfd& client = fds[first_connection + 2 * i];
      const pollfd& upstream = fds[first_connection + 2 * i + 1];
      if (c.connecting && upstream.revents) {
        int failure = 0;
        socklen_t length = sizeof failure;
        getsockopt(c.upstream, SOL_SOCKET, SO_ERROR, &failure, &length);
        if (failure != 0) {  // refused by the dependency itself, not by a fault
          ++stats.rejected;
          Close(c, true);
          continue;
        }
        c.connecting = false;
      }
      const short readable = POLLIN | POLLHUP | POLLERR;
      if (c.dead) continue;
      if (((client.revents & readable) && !Read(c.client, c.to_upstream, after)) ||
          ((upstream.revents & readable) && !c.connecting &&
           !Read(c.upstream, c.to_client, after))) {
        Close(c, true);
      }
    }
    if (listener >= 0 && fds[1].fd == listener && (fds[1].revents & POLLIN)) Accept(after);
  }

  void Publish() {
    stats.bytes_held = 0;
    stats.closes_held = 0;
    stats.open_connections = static_cast<int>(connections.size());
    for (const auto& c : connections) {
      for (const Direction* direction : {&c->to_upstream, &c->to_client}) {
        stats.bytes_held += direction->queued;
        if (direction->eof && !direction->shut) ++stats.closes_held;
      }
    }
    stats.listening = listener >= 0;
    std::lock_guard lock(mu);
    shared_stats = stats;
  }

  void Run() {
    while (true) {
      Fault next;
      std::uint64_t generation = 0;
      {
        std::lock_guard lock(mu);
        if (stop) return;
        next = requested;
        generation = requested_generation;
      }
      if (!(next == applied)) Apply(next, clock.Now());
      if (generation != applied_generation_seen) {
        applied_generation_seen = generation;
        {
          std::lock_guard lock(mu);
          applied_generation = generation;
        }
        applied_changed.notify_all();
      }
      Step();
      Publish();
      PollOnce();
    }
  }
};

std::unique_ptr<FaultProxy> FaultProxy::Start(const FaultProxyOptions& options,
                                              std::string* error) {
  if (!options.allow_non_loopback && !IsLoopbackHost(options.listen.host)) {
    if (error) {
      *error = "refusing to listen on " + options.listen.host +
               ", not a loopback address (--allow-non-loopback to insist)";
    }
    return nullptr;
  }
  auto loop = std::make_unique<Loop>();
  loop->options = options;
  if (!Resolve(options.listen.host, options.listen.port, true, loop->listen_address, error) ||
      !Resolve(options.upstream_host, options.upstream_port, false, loop->upstream_address,
               error)) {
    return nullptr;
  }
  std::string why;
  loop->listener = OpenListener(loop->listen_address, &why);
  if (loop->listener < 0) {
    if (error) {
      *error = "proxy on " + options.listen.host + ":" + std::to_string(options.listen.port) +
               ": " + why;
    }
    return nullptr;
  }
  // The port actually bound (port 0 asked for any): re-opening after refuse takes the same one.
  socklen_t length = sizeof loop->listen_address.storage;
  getsockname(loop->listener, reinterpret_cast<sockaddr*>(&loop->listen_address.storage), &length);
  loop->listen_address.length = length;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    if (error) *error = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  loop->wake_read = pipe_fds[0];
  loop->wake_write = pipe_fds[1];
  std::unique_ptr<FaultProxy> proxy(new FaultProxy());
  const auto& stored = loop->listen_address.storage;
  proxy->port_ =
      ntohs(stored.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(stored).sin6_port
                                         : reinterpret_cast<const sockaddr_in&>(stored).sin_port);
  proxy->loop_ = std::move(loop);
  proxy->thread_ = std::thread([raw = proxy->loop_.get()] { raw->Run(); });
  return proxy;
}

FaultProxy::~FaultProxy() {
  {
    std::lock_guard lock(loop_->mu);
    loop_->stop = true;
  }
  loop_->Wake();
  if (thread_.joinable()) thread_.join();
}

void FaultProxy::SetFault(const Fault& fault) {
  std::unique_lock lock(loop_->mu);
  loop_->requested = fault;
  const std::uint64_t generation = ++loop_->requested_generation;
  loop_->Wake();
  // The loop takes it on its next pass, at once after the wake-up; the bound only guards
  // against a loop that is gone.
  loop_->applied_changed.wait_for(lock, std::chrono::seconds(5),
                                  [&] { return loop_->applied_generation >= generation; });
}

Fault FaultProxy::fault() const {
  std::lock_guard lock(loop_->mu);
  return loop_->requested;
}

std::string FaultProxy::last_error() const {
  std::lock_guard lock(loop_->mu);
  return loop_->error;
}

FaultProxyStats FaultProxy::stats() const {
  std::lock_guard lock(loop_->mu);
  return loop_->shared_stats;
}

}  // namespace healthgap::chaos
