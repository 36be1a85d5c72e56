// The --fault and --dependency syntax: every fault kind read and written back, and the errors.

#include "chaos/fault.h"

#include <gtest/gtest.h>

namespace healthgap::chaos {
namespace {

using namespace std::chrono_literals;

TEST(ParseFaultTest, ReadsEveryKindAndWritesItBack) {
  for (const char* text : {"none", "latency=500ms", "timeout", "timeout=5s", "reset", "refuse",
                           "bandwidth=65536", "slow_close=2s"}) {
    std::string error;
    const std::optional<Fault> fault = ParseFault(text, &error);
    ASSERT_TRUE(fault) << text << ": " << error;
    EXPECT_EQ(ToString(*fault), text);
  }
  EXPECT_EQ(ParseFault("latency=1s500ms", nullptr)->delay, 1500ms);
  EXPECT_EQ(ParseFault("bandwidth=64KiB", nullptr)->bytes_per_second, 65536);
  EXPECT_EQ(ParseFault("timeout", nullptr)->delay, 0ms);
}

TEST(ParseFaultTest, ErrorsSayWhatIsWrong) {
  const auto error_of = [](const char* text) {
    std::string error;
    EXPECT_FALSE(ParseFault(text, &error)) << text;
    return error;
  };
  EXPECT_EQ(error_of("drop"),
            "unknown fault \"drop\"; want one of latency, timeout, reset, refuse, "
            "bandwidth, slow_close");
  EXPECT_EQ(error_of("latency"), "fault latency needs a duration: latency=500ms");
  EXPECT_EQ(error_of("reset=1s"), "fault reset takes no value: reset=1s");
  EXPECT_EQ(error_of("bandwidth"), "fault bandwidth needs bytes per second: bandwidth=64KiB");
  EXPECT_NE(error_of("latency=fast").find("fault latency=fast: "), std::string::npos);
  EXPECT_NE(error_of("bandwidth=0").find("the rate must be positive"), std::string::npos);
}

TEST(ParseDependencyTest, ReadsNameListenAndUpstream) {
  std::string error;
  const auto route = ParseDependency("postgres=127.0.0.1:6432->127.0.0.1:5432", &error);
  ASSERT_TRUE(route) << error;
  EXPECT_EQ(route->name, "postgres");
  EXPECT_EQ(route->listen.host, "127.0.0.1");
  EXPECT_EQ(route->listen.port, 6432);
  EXPECT_EQ(route->upstream_host, "127.0.0.1");
  EXPECT_EQ(route->upstream_port, 5432);
  const auto v6 = ParseDependency("redis=[::1]:6380->[::1]:6379", &error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->listen.host, "::1");
  EXPECT_EQ(v6->upstream_host, "::1");
}

TEST(ParseDependencyTest, RejectsWhatCannotBeRouted) {
  for (const char* text : {"127.0.0.1:6432->127.0.0.1:5432", "pg=127.0.0.1:6432",
                           "pg=:6432->127.0.0.1:5432", "pg=127.0.0.1:6432->db.internal:5432",
                           "p g=127.0.0.1:6432->127.0.0.1:5432", "pg=127.0.0.1:6432->127.0.0.1"}) {
    std::string error;
    EXPECT_FALSE(ParseDependency(text, &error)) << text;
    EXPECT_TRUE(error.starts_with(std::string("--dependency ") + text + ": ")) << error;
    EXPECT_TRUE(error.ends_with("(want NAME=LISTEN_HOST:PORT->UPSTREAM_HOST:PORT)")) << error;
  }
}

TEST(IsLoopbackHostTest, OnlyLoopback) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost(""));
}

}  // namespace
}  // namespace healthgap::chaos
