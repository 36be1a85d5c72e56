#include "common/listen_address.h"

#include <gtest/gtest.h>

namespace healthgap {
namespace {

TEST(ListenAddressTest, ParsesTheFlagForms) {
  auto parsed = ParseListenAddress(":9310");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "0.0.0.0");
  EXPECT_EQ(parsed->port, 9310);
  parsed = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "127.0.0.1");
  EXPECT_EQ(parsed->port, 0);
  parsed = ParseListenAddress("[::1]:9310");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "::1");
}

TEST(ListenAddressTest, RejectsMalformed) {
  for (const char* bad : {"", "9310", "host:", "host:port", "host:70000", "host:-1", "::1:9310",
                          "[::1:9310", "[]:1", "1.2.3.4:93x"}) {
    EXPECT_FALSE(ParseListenAddress(bad)) << bad;
  }
}

TEST(ParseListenAddressTest, AcceptsHostPortForms) {
  std::string error;
  auto v4 = ParseListenAddress("127.0.0.1:8080", &error);
  ASSERT_TRUE(v4) << error;
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);

  auto any = ParseListenAddress(":9000", &error);
  ASSERT_TRUE(any) << error;
  EXPECT_EQ(any->host, "0.0.0.0");
  EXPECT_EQ(any->port, 9000);

  auto v6 = ParseListenAddress("[::1]:0", &error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
}

TEST(ParseListenAddressTest, RejectsMalformedAddresses) {
  std::string error;
  EXPECT_FALSE(ParseListenAddress("localhost", &error));
  EXPECT_EQ(error, "listen address \"localhost\" must be host:port");
  EXPECT_FALSE(ParseListenAddress("localhost:http", &error));
  EXPECT_EQ(error, "listen address \"localhost:http\": port must be a number from 0 to 65535");
  EXPECT_FALSE(ParseListenAddress("localhost:70000", &error));
  EXPECT_FALSE(ParseListenAddress("localhost:", &error));
  EXPECT_FALSE(ParseListenAddress("::1:80", &error));
  EXPECT_EQ(error, "listen address \"::1:80\": put IPv6 hosts in brackets, e.g. [::1]:8080");
  EXPECT_FALSE(ParseListenAddress("[::1:80", &error));
  EXPECT_EQ(error, "listen address \"[::1:80\": malformed [ipv6] host");
  EXPECT_FALSE(ParseListenAddress("[]:80", &error));
}

}  // namespace
}  // namespace healthgap
