#include "support/hostile_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "support/poll_until.h"

// The hostile server itself, checked with raw sockets so client tests can trust it.
namespace healthgap::testing {
namespace {

// A connected loopback socket, closed on scope exit; -1 on failure.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd_);
      fd_ = -1;
    }
    timeval receive_timeout{10, 0};  // bounds every read below
    if (fd_ >= 0)
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof(receive_timeout));
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Send(const std::string& data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads until EOF, error or `limit` bytes; `error` gets errno of a failed read, else 0.
  std::string ReadAll(std::size_t limit, int& error) {
    std::string received;
    char buffer[4096];
    error = 0;
    while (received.size() < limit) {
      const ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
      if (got < 0) error = errno;
      if (got <= 0) break;
      received.append(buffer, static_cast<std::size_t>(got));
    }
    return received;
  }

 private:
  int fd_;
};

constexpr char kRequest[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

TEST(HostileServerTest, ResetMidBodySendsPartOfTheBodyThenResets) {
  HostileServer server(HostileServer::Mode::kResetMidBody);
  ASSERT_TRUE(server.ok()) << server.error();
  RawClient client(server.port());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(client.Send(kRequest));

  int error = 0;
  const std::string received = client.ReadAll(1 << 20, error);

  // The RST may overtake the unread bytes, so only the end state is certain.
  EXPECT_EQ(error, ECONNRESET) << received;
  EXPECT_LT(received.size(), 200u);
}

TEST(HostileServerTest, EndlessBodyKeepsStreamingUntilTheClientLeaves) {
  HostileServer server(HostileServer::Mode::kEndlessChunked);
  ASSERT_TRUE(server.ok()) << server.error();
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(client.Send(kRequest));
    int error = 0;
    const std::string received = client.ReadAll(4 << 20, error);
    EXPECT_GE(received.size(), 4u << 20);
    EXPECT_TRUE(received.starts_with("HTTP/1.1 200 OK\r\n"));
  }
  EXPECT_TRUE(PollUntil([&] { return server.OpenConnections() == 0; }));
}

TEST(HostileServerTest, GarbageIsNotAStatusLine) {
  HostileServer server(HostileServer::Mode::kGarbage);
  ASSERT_TRUE(server.ok()) << server.error();
  RawClient client(server.port());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(client.Send(kRequest));

  int error = 0;
  const std::string received = client.ReadAll(1 << 20, error);

  EXPECT_EQ(error, 0);
  EXPECT_FALSE(received.empty());
  EXPECT_FALSE(received.starts_with("HTTP/"));
}

TEST(HostileServerTest, StopsPromptlyWithHungConnectionsOpen) {
  auto server = std::make_unique<HostileServer>(HostileServer::Mode::kHang);
  ASSERT_TRUE(server->ok()) << server->error();
  RawClient client(server->port());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(client.Send(kRequest));
  ASSERT_TRUE(PollUntil([&] { return server->RequestsSeen() == 1; }));
  EXPECT_EQ(server->AcceptedConnections(), 1u);
  EXPECT_EQ(server->OpenConnections(), 1u);

  server.reset();  // must not wait for the connection's lifetime

  int error = 0;
  EXPECT_EQ(client.ReadAll(1, error), "");  // closed by the server
}

TEST(HostileServerTest, UnusedLoopbackPortRefusesConnections) {
  const int port = UnusedLoopbackPort();
  ASSERT_NE(port, 0);
  RawClient client(port);
  EXPECT_FALSE(client.ok());
}

}  // namespace
}  // namespace healthgap::testing
