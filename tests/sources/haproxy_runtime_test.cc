// The runtime API client against a real HAProxy 2.6 (Unix and TCP stats sockets), and against
// listeners that accept and never answer, or answer without end: each costs at most its
// timeout or its size cap.

#include "sources/haproxy_runtime.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "sources/haproxy_stat.h"
#include "support/haproxy.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"
#include "support/temp_dir.h"

namespace healthgap::sources {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RealHaproxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    ASSERT_TRUE(backend_.Start());
  }
  std::string Backend() const {
    return "backend app\n  option httpchk GET /health\n  server s1 127.0.0.1:" +
           std::to_string(backend_.port()) + " check inter 200ms rise 1 fall 1\n";
  }
  testing::LoopbackServer backend_;
};

TEST_F(RealHaproxyTest, ShowStatOverTheUnixSocketSaysTheServerIsUp) {
  const testing::Haproxy haproxy(Backend());
  ASSERT_TRUE(haproxy.started());
  std::optional<HaproxyServerStat> s1;
  ASSERT_TRUE(testing::PollUntil([&] {
    const RuntimeAnswer answer = RunRuntimeCommand(haproxy.socket(), "show stat", seconds(5));
    if (!answer.error.empty()) return false;
    for (const HaproxyServerStat& stat : ParseShowStat(answer.text).servers) {
      if (stat.server == "s1" && stat.check_status == "L7OK") s1 = stat;
    }
    return s1.has_value();
  }));
  EXPECT_EQ(s1->proxy, "app");
  EXPECT_EQ(s1->state, HaproxyServerState::kUp);
  EXPECT_EQ(s1->check_code, 200);
  EXPECT_EQ(s1->address, "127.0.0.1:" + std::to_string(backend_.port()));
}

TEST_F(RealHaproxyTest, TheTcpStatsSocketAnswersToo) {
  const int port = testing::UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  const testing::Haproxy haproxy(
      Backend(), "  stats socket ipv4@127.0.0.1:" + std::to_string(port) + " level admin\n");
  ASSERT_TRUE(haproxy.started());
  std::string error;
  const auto address = ParseSocketAddress("ipv4@127.0.0.1:" + std::to_string(port), &error);
  ASSERT_TRUE(address) << error;
  const RuntimeAnswer answer = RunRuntimeCommand(*address, "show stat", seconds(5));
  ASSERT_EQ(answer.error, "");
  const ShowStat stat = ParseShowStat(answer.text);
  EXPECT_EQ(stat.error, "");
  ASSERT_EQ(stat.servers.size(), 1u);
  EXPECT_EQ(stat.servers[0].server, "s1");
}

TEST(RuntimeCommandTest, NothingListeningIsAConnectError) {
  const testing::TempDir dir;
  const RuntimeAnswer answer =
      RunRuntimeCommand(SocketAddress::Unix(dir.Path("absent.sock")), "show stat", seconds(2));
  EXPECT_EQ(answer.text, "");
  EXPECT_EQ(answer.error.rfind("connect: ", 0), 0u) << answer.error;
}

// A Unix listener that accepts and then, per `mode`, says nothing or writes without end.
class HostileSocket {
 public:
  enum class Mode { kSilent, kEndless };
  HostileSocket(const std::string& path, Mode mode) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ::listen(fd_, 4);
    thread_ = std::thread([this, mode] {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      const std::string chunk(4096, 'x');
      // Bounded: at most 64 MiB or until the client goes.
      for (int i = 0; mode == Mode::kEndless && i < 16384 && !stop_; ++i) {
        if (::send(client, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;
      }
      testing::PollUntil([this] { return stop_.load(); }, seconds(30));
      ::close(client);
    });
  }
  ~HostileSocket() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(RuntimeCommandTest, ASocketThatNeverAnswersCostsItsTimeout) {
  const testing::TempDir dir;
  const HostileSocket silent(dir.Path("silent.sock"), HostileSocket::Mode::kSilent);
  const RuntimeAnswer answer = RunRuntimeCommand(SocketAddress::Unix(dir.Path("silent.sock")),
                                                 "show stat", milliseconds(300));
  EXPECT_EQ(answer.error, "timeout");
  EXPECT_EQ(answer.text, "");
}

TEST(RuntimeCommandTest, AnEndlessAnswerStopsAtTheCap) {
  const testing::TempDir dir;
  const HostileSocket endless(dir.Path("endless.sock"), HostileSocket::Mode::kEndless);
  const RuntimeAnswer answer = RunRuntimeCommand(SocketAddress::Unix(dir.Path("endless.sock")),
                                                 "show stat", seconds(20), 1 << 20);
  EXPECT_EQ(answer.error, "answer larger than 1048576 bytes");
  EXPECT_EQ(answer.text, "");
}

}  // namespace
}  // namespace healthgap::sources
