#include "common/socket_address.h"

#include <gtest/gtest.h>

#include <string>

namespace healthgap {
namespace {

TEST(SocketAddressTest, TakesHaproxysStatsSocketSpellings) {
  std::string error;
  EXPECT_EQ(ParseSocketAddress("unix:/run/haproxy/admin.sock", &error)->unix_path,
            "/run/haproxy/admin.sock");
  EXPECT_EQ(ParseSocketAddress("/run/haproxy/admin.sock", &error)->unix_path,
            "/run/haproxy/admin.sock");
  const auto v4 = ParseSocketAddress("ipv4@127.0.0.1:9999", &error);
  ASSERT_TRUE(v4) << error;
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9999);
  const auto v6 = ParseSocketAddress("[::1]:9999", &error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad :
       {"haproxy.internal:9999", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:x", "[::1]9999", ""}) {
    error.clear();
    EXPECT_FALSE(ParseSocketAddress(bad, &error)) << bad;
    EXPECT_NE(error, "") << bad;
  }
  EXPECT_FALSE(ParseSocketAddress("unix:/" + std::string(200, 'x'), &error));
}

}  // namespace
}  // namespace healthgap
