// The fault proxy against loopback sockets the test holds at both ends: the client side the
// application would have and the server side the dependency would have. Every wait polls with
// a deadline; a fault's effect is asserted by what arrives (or does not) and by the proxy's own
// counters, never by how long something took.

#include "chaos/fault_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>

#include "support/poll_until.h"

namespace healthgap::chaos {
namespace {

using namespace std::chrono_literals;
using testing::PollUntil;

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A listening socket standing in for the dependency.
struct Dependency {
  Socket listener{socket(AF_INET, SOCK_STREAM, 0)};
  int port = 0;

  Dependency() {
    sockaddr_in address = Loopback(0);
    EXPECT_EQ(bind(listener.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listener.fd(), 16), 0);
    socklen_t length = sizeof address;
    getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }

  // The proxy's connection to the dependency, once it arrives.
  Socket Accept() {
    pollfd ready{listener.fd(), POLLIN, 0};
    if (poll(&ready, 1, 20'000) != 1) return Socket();
    return Socket(accept(listener.fd(), nullptr, nullptr));
  }
};

Socket Connect(int port, int* error = nullptr) {
  Socket client(socket(AF_INET, SOCK_STREAM, 0));
  const sockaddr_in address = Loopback(port);
  if (connect(client.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (error) *error = errno;
    return Socket();
  }
  return client;
}

void Send(const Socket& socket, const std::string& bytes) {
  ASSERT_EQ(send(socket.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

struct Received {
  std::string bytes;
  bool eof = false;
  int error = 0;  // errno of a failed recv (ECONNRESET)
};

// What arrives within `wait`: until `want` bytes, the peer's close or an error.
Received Receive(const Socket& socket, std::size_t want, std::chrono::milliseconds wait) {
  Received received;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (received.bytes.size() < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd ready{socket.fd(), POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(left.count())) != 1) break;
    char buffer[4096];
    const ssize_t n = recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n < 0) {
      received.error = errno;
      break;
    }
    if (n == 0) {
      received.eof = true;
      break;
    }
    received.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  return received;
}

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    proxy_ = FaultProxy::Start({.listen = {"127.0.0.1", 0},
                                .upstream_host = "127.0.0.1",
                                .upstream_port = dependency_.port},
                               &error);
    ASSERT_NE(proxy_, nullptr) << error;
  }

  // A client connected through the proxy and the dependency's end of it.
  std::pair<Socket, Socket> Pair() {
    Socket client = Connect(proxy_->port());
    Socket server = dependency_.Accept();
    EXPECT_GE(server.fd(), 0);
    return {std::move(client), std::move(server)};
  }

  Dependency dependency_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultProxyTest, WithoutAFaultBytesPassBothWaysAndClosesPassOn) {
  auto [client, server] = Pair();
  Send(client, "SELECT 1;");
  EXPECT_EQ(Receive(server, 9, 20s).bytes, "SELECT 1;");
  Send(server, "1 row");
  EXPECT_EQ(Receive(client, 5, 20s).bytes, "1 row");
  shutdown(server.fd(), SHUT_WR);
  EXPECT_TRUE(Receive(client, 1, 20s).eof);
  EXPECT_TRUE(PollUntil([&] { return proxy_->stats().bytes_forwarded == 14; }));
}

TEST_F(FaultProxyTest, LatencyHoldsTheBytesUntilTheFaultIsLifted) {
  auto [client, server] = Pair();
  proxy_->SetFault({.kind = FaultKind::kLatency, .delay = std::chrono::hours(1)});
  Send(client, "PING\r\n");
  ASSERT_TRUE(PollUntil([&] { return proxy_->stats().bytes_held == 6; }));
  EXPECT_EQ(Receive(server, 6, 200ms).bytes, "") << "an hour's latency let bytes through";
  proxy_->SetFault({});
  EXPECT_EQ(Receive(server, 6, 20s).bytes, "PING\r\n");
  EXPECT_TRUE(PollUntil([&] { return proxy_->stats().bytes_held == 0; }));
}

TEST_F(FaultProxyTest, TimeoutSwallowsEverythingAndClosesAfterItsDelay) {
  auto [client, server] = Pair();
  proxy_->SetFault({.kind = FaultKind::kTimeout});
  Send(client, "GET key\r\n");
  ASSERT_TRUE(PollUntil([&] { return proxy_->stats().bytes_dropped == 9; }));
  EXPECT_EQ(Receive(server, 1, 200ms).bytes, "");

  proxy_->SetFault({.kind = FaultKind::kTimeout, .delay = 50ms});
  const Received closed = Receive(client, 1, 20s);
  EXPECT_TRUE(closed.eof || closed.error != 0);
  EXPECT_TRUE(closed.bytes.empty());
}

TEST_F(FaultProxyTest, ResetResetsOpenConnectionsAndEveryNewOne) {
  auto [client, server] = Pair();
  proxy_->SetFault({.kind = FaultKind::kReset});
  EXPECT_EQ(Receive(client, 1, 20s).error, ECONNRESET);
  ASSERT_TRUE(PollUntil([&] { return proxy_->stats().reset == 1; }));

  Socket late = Connect(proxy_->port());
  ASSERT_GE(late.fd(), 0) << "reset accepts, then resets";
  EXPECT_EQ(Receive(late, 1, 20s).error, ECONNRESET);
  EXPECT_TRUE(PollUntil([&] { return proxy_->stats().reset == 2; }));

  proxy_->SetFault({});
  auto [again, again_server] = Pair();
  Send(again, "ok");
  EXPECT_EQ(Receive(again_server, 2, 20s).bytes, "ok");
}

TEST_F(FaultProxyTest, RefuseClosesTheListenerAndReopensItOnTheSamePort) {
  const int port = proxy_->port();
  auto [client, server] = Pair();
  proxy_->SetFault({.kind = FaultKind::kRefuse});
  EXPECT_EQ(Receive(client, 1, 20s).error, ECONNRESET);
  ASSERT_TRUE(PollUntil([&] { return !proxy_->stats().listening; }));
  int error = 0;
  EXPECT_LT(Connect(port, &error).fd(), 0);
  EXPECT_EQ(error, ECONNREFUSED);

  proxy_->SetFault({});
  ASSERT_TRUE(PollUntil([&] { return proxy_->stats().listening; })) << proxy_->last_error();
  EXPECT_EQ(proxy_->port(), port);
  auto [again, again_server] = Pair();
  Send(again_server, "back");
  EXPECT_EQ(Receive(again, 4, 20s).bytes, "back");
}

TEST_F(FaultProxyTest, BandwidthTricklesAndTheRestArrivesIntactOnceLifted) {
  auto [client, server] = Pair();
  proxy_->SetFault({.kind = FaultKind::kBandwidth, .bytes_per_second = 100});
  std::string payload;
  for (int i = 0; i < 5000; ++i) payload += static_cast<char>('a' + i % 26);
  Send(client, payload);
  // At 100 bytes/s the 5,000 bytes take 50 s: what arrives first is a trickle.
  const Received first = Receive(server, 1, 20s);
  ASSERT_FALSE(first.bytes.empty());
  EXPECT_LT(first.bytes.size(), payload.size());
  EXPECT_TRUE(PollUntil([&] { return proxy_->stats().bytes_held > 0; }));
  proxy_->SetFault({});
  const Received rest = Receive(server, payload.size() - first.bytes.size(), 20s);
  EXPECT_EQ(first.bytes + rest.bytes, payload);
}

TEST_F(FaultProxyTest, SlowCloseHoldsTheCloseButNotTheBytes) {
  auto [client, server] = Pair();
  proxy_->SetFault({.kind = FaultKind::kSlowClose, .delay = std::chrono::hours(1)});
  Send(server, "bye");
  shutdown(server.fd(), SHUT_WR);
  ASSERT_TRUE(PollUntil([&] { return proxy_->stats().closes_held == 1; }));
  const Received before = Receive(client, 4, 200ms);
  EXPECT_EQ(before.bytes, "bye");
  EXPECT_FALSE(before.eof) << "an hour's slow_close passed the close on";
  proxy_->SetFault({});
  EXPECT_TRUE(Receive(client, 1, 20s).eof);
}

TEST_F(FaultProxyTest, ConnectionsBeyondTheBoundAreClosedAndCounted) {
  std::string error;
  auto small = FaultProxy::Start({.listen = {"127.0.0.1", 0},
                                  .upstream_host = "127.0.0.1",
                                  .upstream_port = dependency_.port,
                                  .max_connections = 1},
                                 &error);
  ASSERT_NE(small, nullptr) << error;
  Socket first = Connect(small->port());
  Socket first_server = dependency_.Accept();
  ASSERT_TRUE(PollUntil([&] { return small->stats().open_connections == 1; }));
  Socket second = Connect(small->port());
  const Received refused = Receive(second, 1, 20s);
  EXPECT_TRUE(refused.eof || refused.error != 0);
  EXPECT_TRUE(PollUntil([&] { return small->stats().rejected == 1; }));
  Send(first, "still");
  EXPECT_EQ(Receive(first_server, 5, 20s).bytes, "still");
}

TEST(FaultProxyStartTest, RefusesANonLoopbackListenAddressUnlessAllowed) {
  std::string error;
  EXPECT_EQ(
      FaultProxy::Start(
          {.listen = {"0.0.0.0", 0}, .upstream_host = "127.0.0.1", .upstream_port = 5432}, &error),
      nullptr);
  EXPECT_EQ(error,
            "refusing to listen on 0.0.0.0, not a loopback address (--allow-non-loopback to "
            "insist)");
}

TEST(FaultProxyStartTest, AnUnreachableUpstreamResetsTheClientAndIsCounted) {
  Dependency gone;
  const int port = gone.port;
  gone.listener = Socket();  // closed: nothing listens there now
  std::string error;
  auto proxy = FaultProxy::Start(
      {.listen = {"127.0.0.1", 0}, .upstream_host = "127.0.0.1", .upstream_port = port}, &error);
  ASSERT_NE(proxy, nullptr) << error;
  Socket client = Connect(proxy->port());
  const Received received = Receive(client, 1, 20s);
  EXPECT_TRUE(received.eof || received.error == ECONNRESET);
  EXPECT_TRUE(PollUntil([&] { return proxy->stats().rejected == 1; }));
}

}  // namespace
}  // namespace healthgap::chaos
