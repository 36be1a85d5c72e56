#include "sources/haproxy_stat.h"

#include <gtest/gtest.h>

#include <string>

namespace healthgap::sources {
namespace {

// A `show stat` answer of HAProxy 2.6 cut to the columns the parser reads, in 2.6's order
// (the parser finds them by name, so the cut changes nothing).
constexpr char kTable[] =
    "# pxname,svname,stot,econ,eresp,status,chkfail,lastchg,type,check_status,check_code,"
    "hrsp_5xx,addr,\n"
    "app,BACKEND,12,0,0,UP,,4,1,,,3,,\n"
    "app,s1,10,0,1,UP 1/3,2,4,2,L7STS,503,3,127.0.0.1:8080,\n"
    "app,s2,2,1,0,DOWN,5,120,2,L4CON,,0,127.0.0.1:8081,\n"
    "web,FRONTEND,40,,,OPEN,,,0,,,0,,\n"
    "web,s3,0,0,0,MAINT,0,9,2,,,0,10.0.0.3:80,\n"
    "\n";

TEST(ShowStatTest, ReadsServerRowsByColumnName) {
  const ShowStat stat = ParseShowStat(kTable);
  ASSERT_EQ(stat.error, "");
  ASSERT_EQ(stat.servers.size(), 3u);
  const HaproxyServerStat& s1 = stat.servers[0];
  EXPECT_EQ(s1.proxy, "app");
  EXPECT_EQ(s1.server, "s1");
  EXPECT_EQ(s1.address, "127.0.0.1:8080");
  EXPECT_EQ(s1.status, "UP 1/3");
  EXPECT_EQ(s1.state, HaproxyServerState::kGoingDown);
  EXPECT_TRUE(InRotation(s1.state));
  EXPECT_EQ(s1.check_status, "L7STS");
  EXPECT_EQ(s1.check_code, 503);
  EXPECT_EQ(s1.seconds_since_change, 4u);
  EXPECT_EQ(s1.failed_checks, 2u);
  EXPECT_EQ(s1.sessions_total, 10u);
  EXPECT_EQ(s1.responses_5xx, 3u);
  EXPECT_EQ(s1.response_errors, 1u);
  const HaproxyServerStat& s2 = stat.servers[1];
  EXPECT_EQ(s2.state, HaproxyServerState::kDown);
  EXPECT_FALSE(InRotation(s2.state));
  EXPECT_EQ(s2.check_code, std::nullopt);  // a layer-4 failure has no HTTP status
  EXPECT_EQ(s2.connection_errors, 1u);
  EXPECT_EQ(stat.servers[2].state, HaproxyServerState::kMaintenance);
}

TEST(ShowStatTest, StatusWordsMapToStates) {
  EXPECT_EQ(ParseServerState("UP"), HaproxyServerState::kUp);
  EXPECT_EQ(ParseServerState("UP 2/3"), HaproxyServerState::kGoingDown);
  EXPECT_EQ(ParseServerState("DOWN"), HaproxyServerState::kDown);
  EXPECT_EQ(ParseServerState("DOWN 1/2"), HaproxyServerState::kGoingUp);
  EXPECT_EQ(ParseServerState("no check"), HaproxyServerState::kNoCheck);
  EXPECT_EQ(ParseServerState("NOLB"), HaproxyServerState::kDraining);
  EXPECT_EQ(ParseServerState("DRAIN"), HaproxyServerState::kDraining);
  EXPECT_EQ(ParseServerState("MAINT (via app/s1)"), HaproxyServerState::kMaintenance);
  EXPECT_EQ(ParseServerState("UPSIDE"), HaproxyServerState::kUnknown);
  EXPECT_EQ(ParseServerState(""), HaproxyServerState::kUnknown);
  EXPECT_TRUE(InRotation(HaproxyServerState::kNoCheck));
  EXPECT_FALSE(InRotation(HaproxyServerState::kGoingUp));
  EXPECT_FALSE(InRotation(HaproxyServerState::kDraining));
  EXPECT_EQ(ToString(HaproxyServerState::kGoingDown), "going_down");
}

TEST(ShowStatTest, AnythingButAStatTableIsAnError) {
  EXPECT_NE(ParseShowStat("").error, "");
  EXPECT_NE(ParseShowStat("Unknown command. Please enter one of the following commands\n").error,
            "");
  EXPECT_NE(ParseShowStat("# a,b,c\n1,2,3\n").error, "");  // no pxname/svname/status
}

TEST(ShowStatTest, MalformedRowsAndNumbersDoNotBreakIt) {
  const ShowStat stat = ParseShowStat(
      "# pxname,svname,status,type,stot,check_code\n"
      "app,s1,UP,2,lots,9999999999999\n"  // numbers that are not, or do not fit
      "app\n"                             // a row cut short
      ",,,,\n"
      "app,s2,DOWN,2\n");
  ASSERT_EQ(stat.error, "");
  ASSERT_EQ(stat.servers.size(), 2u);
  EXPECT_EQ(stat.servers[0].sessions_total, 0u);
  EXPECT_EQ(stat.servers[0].check_code, std::nullopt);
  EXPECT_EQ(stat.servers[1].state, HaproxyServerState::kDown);
}

TEST(ShowStatTest, SizesAreBounded) {
  std::string table = "# pxname,svname,status,type\n";
  for (int i = 0; i < 20; ++i) table += "app,s" + std::to_string(i) + ",UP,2\n";
  EXPECT_EQ(ParseShowStat(table, {.max_servers = 20}).servers.size(), 20u);
  EXPECT_NE(ParseShowStat(table, {.max_servers = 10}).error, "");
  EXPECT_NE(ParseShowStat(table, {.max_bytes = 16}).error, "");
  const ShowStat long_name =
      ParseShowStat("# pxname,svname,status,type\napp," + std::string(5000, 'x') + ",UP,2\n",
                    {.max_field_bytes = 64});
  ASSERT_EQ(long_name.servers.size(), 1u);
  EXPECT_EQ(long_name.servers[0].server.size(), 64u);
}

}  // namespace
}  // namespace healthgap::sources
