// Access log lines in the documented formats, and everything else a log may hold.

#include "sources/access_log.h"

#include <gtest/gtest.h>

namespace healthgap::sources {
namespace {

TEST(NginxLogLine, OneAttemptPerUpstreamWithItsOwnStatus) {
  // proxy_next_upstream retried a 500 on the next server: the client saw 200.
  const auto attempts =
      ParseAccessLogLine(R"(healthgap status=200 upstream_addr="127.0.0.1:8081, 127.0.0.1:8082" )"
                         R"(upstream_status="500, 200" upstream_response_time="0.003, 0.001")",
                         LogFormat::kNginx);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].address, "127.0.0.1:8081");
  EXPECT_TRUE(attempts[0].failed);
  EXPECT_EQ(attempts[1].address, "127.0.0.1:8082");
  EXPECT_FALSE(attempts[1].failed);
}

TEST(NginxLogLine, InternalRedirectsAreAttemptsToo) {
  const auto attempts =
      ParseAccessLogLine(R"(healthgap status=502 upstream_addr="127.0.0.1:8081 : 127.0.0.1:8083" )"
                         R"(upstream_status="404 : 502")",
                         LogFormat::kNginx);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_FALSE(attempts[0].failed);
  EXPECT_EQ(attempts[1].address, "127.0.0.1:8083");
  EXPECT_TRUE(attempts[1].failed);
}

TEST(NginxLogLine, NoStatusIsAFailureAndNoUpstreamIsNoAttempt) {
  const auto unanswered = ParseAccessLogLine(
      R"(healthgap status=504 upstream_addr="127.0.0.1:8081" upstream_status="-")",
      LogFormat::kNginx);
  ASSERT_EQ(unanswered.size(), 1u);
  EXPECT_TRUE(unanswered[0].failed);
  EXPECT_TRUE(ParseAccessLogLine(R"(healthgap status=404 upstream_addr="-" upstream_status="-")",
                                 LogFormat::kNginx)
                  .empty());
}

TEST(NginxLogLine, LinesOfOtherFormatsCountNothing) {
  for (const char* line :
       {"", "127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 500 12",
        "healthgap status=200", R"(xupstream_addr="127.0.0.1:1" upstream_status="500")",
        R"(healthgap upstream_addr="127.0.0.1:1)", "upstream_addr= upstream_status="}) {
    EXPECT_TRUE(ParseAccessLogLine(line, LogFormat::kNginx).empty()) << line;
  }
}

TEST(NginxLogLine, AttemptsAreBoundedPerLine) {
  std::string addresses, statuses;
  for (int i = 0; i < 1000; ++i) {
    addresses += (i ? ", " : "") + std::string("127.0.0.1:1");
    statuses += (i ? ", " : "") + std::string("500");
  }
  const auto attempts =
      ParseAccessLogLine("upstream_addr=\"" + addresses + "\" upstream_status=\"" + statuses + "\"",
                         LogFormat::kNginx);
  EXPECT_EQ(attempts.size(), 64u);
}

TEST(HaproxyLogLine, ServerAndStatusWithASyslogHeaderInFront) {
  const auto attempts = ParseAccessLogLine(
      "<134>Dec  1 10:00:00 haproxy[42]: healthgap backend=app server=s1 addr=127.0.0.1:8081 "
      "status=503",
      LogFormat::kHaproxy);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].backend, "app");
  EXPECT_EQ(attempts[0].server, "s1");
  EXPECT_EQ(attempts[0].address, "127.0.0.1:8081");
  EXPECT_TRUE(attempts[0].failed);
}

TEST(HaproxyLogLine, SuccessNoResponseAndNoServer) {
  EXPECT_FALSE(ParseAccessLogLine("healthgap backend=app server=s1 addr=1.2.3.4:80 status=200",
                                  LogFormat::kHaproxy)[0]
                   .failed);
  EXPECT_TRUE(ParseAccessLogLine("healthgap backend=app server=s1 addr=1.2.3.4:80 status=-1",
                                 LogFormat::kHaproxy)[0]
                  .failed);
  EXPECT_TRUE(ParseAccessLogLine("healthgap backend=app server=<NOSRV> addr=-:- status=503",
                                 LogFormat::kHaproxy)
                  .empty());
}

}  // namespace
}  // namespace healthgap::sources
