// `healthgap check` with TCP and gRPC health checks against real servers: a port that accepts
// while the API fails (the purest shallow check), a refused port, and a gRPC server switched
// between SERVING and NOT_SERVING.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

#include "app/check.h"
#include "common/clock.h"
#include "probe/curl_multi_client.h"
#include "probe/grpc_health_client.h"
#include "support/grpc_health_server.h"
#include "support/hostile_server.h"
#include "support/loopback_server.h"

namespace healthgap::app {
namespace {

using testing::GrpcHealthServer;
using ::testing::HasSubstr;
using testing::LoopbackServer;

// An API that answers `status` on /api/data, and 200 on /health.
void ServeApi(LoopbackServer& server, int status) {
  server.Get("/api/data", [status](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content("x", "text/plain");
  });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
}

CheckOptions Options(const std::string& url, std::vector<std::string> health) {
  CheckOptions options;
  options.base_url = url;
  options.health_paths = std::move(health);
  options.sample_paths = {"/api/data"};
  options.timeout = std::chrono::seconds(2);
  options.spacing = std::chrono::milliseconds(5);
  return options;
}

struct CheckRun {
  int exit_code = -1;
  std::string output;
};

CheckRun Check(const CheckOptions& options) {
  RealClock clock;
  probe::CurlMultiClient http(clock);
  probe::GrpcHealthClient grpc(clock);
  probe::ProtocolRouter client(http, grpc);
  std::ostringstream out;
  CheckRun run;
  run.exit_code = RunCheck(options, client, clock, out);
  run.output = out.str();
  return run;
}

std::string Local(int port) { return "127.0.0.1:" + std::to_string(port); }

TEST(CheckHealthTypesTest, APortThatAcceptsWhileTheApiFailsIsAMismatch) {
  LoopbackServer server;
  ServeApi(server, 500);
  ASSERT_TRUE(server.Start());
  const CheckRun run = Check(Options(server.Url(""), {"tcp://" + Local(server.port())}));
  EXPECT_EQ(run.exit_code, kCheckMismatch) << run.output;
  EXPECT_THAT(run.output, HasSubstr("pass on a TCP connect"));
  EXPECT_THAT(run.output, HasSubstr("health check connected in"));
  EXPECT_THAT(run.output, HasSubstr("cause: shallow_check"));
}

TEST(CheckHealthTypesTest, TheNlbPresetChecksTheUrlsPortOverTcp) {
  LoopbackServer server;
  ServeApi(server, 200);
  ASSERT_TRUE(server.Start());
  CheckOptions options = Options(server.Url(""), {"/health"});
  options.lb = "aws-nlb";
  const CheckRun run = Check(options);
  EXPECT_EQ(run.exit_code, kCheckHealthy) << run.output;
  EXPECT_THAT(run.output, HasSubstr("tcp://" + Local(server.port())));
  // Only the samples reached the server: a TCP check sends no request.
  std::smatch sampled;
  ASSERT_TRUE(
      std::regex_search(run.output, sampled, std::regex("failed API samples: 0 of ([0-9]+)")))
      << run.output;
  EXPECT_EQ(server.RequestCount(), std::stoul(sampled[1].str()));
}

TEST(CheckHealthTypesTest, ARefusedPortIsDownWhenTheApiFailsToo) {
  LoopbackServer server;
  ServeApi(server, 500);
  ASSERT_TRUE(server.Start());
  const int refused = testing::UnusedLoopbackPort();
  const CheckRun run = Check(Options(server.Url(""), {"tcp://" + Local(refused)}));
  EXPECT_EQ(run.exit_code, kCheckDown) << run.output;
  EXPECT_THAT(run.output, HasSubstr("connection_refused"));
}

TEST(CheckHealthTypesTest, GrpcServingStatusDecidesTheLbView) {
  LoopbackServer api;
  ServeApi(api, 200);
  ASSERT_TRUE(api.Start());
  GrpcHealthServer grpc;
  ASSERT_TRUE(grpc.ok());
  grpc.SetServing("checkout", true);
  const std::vector<std::string> health = {"grpc://" + Local(grpc.port()) + "/checkout"};

  const CheckRun serving = Check(Options(api.Url(""), health));
  EXPECT_EQ(serving.exit_code, kCheckHealthy) << serving.output;
  EXPECT_THAT(serving.output, HasSubstr("grpc 0"));

  grpc.SetServing("checkout", false);
  const CheckRun not_serving = Check(Options(api.Url(""), health));
  EXPECT_EQ(not_serving.exit_code, kCheckFalseNegative) << not_serving.output;
  EXPECT_THAT(not_serving.output, HasSubstr("grpc_not_serving"));
}

TEST(CheckHealthTypesTest, TheAlbGrpcPresetPassesAnyLiveGrpcServer) {
  // The ALB's default: /AWS.ALB/healthcheck, success code 12. The API fails: a mismatch the
  // ALB cannot see.
  LoopbackServer api;
  ServeApi(api, 503);
  ASSERT_TRUE(api.Start());
  GrpcHealthServer grpc;
  ASSERT_TRUE(grpc.ok());
  CheckOptions options = Options(api.Url(""), {"grpc://" + Local(grpc.port())});
  options.lb = "aws-alb-grpc";
  const CheckRun run = Check(options);
  EXPECT_EQ(run.exit_code, kCheckMismatch) << run.output;
  EXPECT_THAT(run.output, HasSubstr("grpc 12"));
  EXPECT_THAT(run.output, HasSubstr("pass on gRPC codes 12"));
}

TEST(CheckHealthTypesTest, AHealthUrlOnAnotherHostIsAUsageError) {
  const CheckRun run = Check(Options("http://127.0.0.1:1", {"tcp://10.0.0.1:5432"}));
  EXPECT_EQ(run.exit_code, kCheckUsageError);
  EXPECT_THAT(run.output, HasSubstr("must name the target's host 127.0.0.1"));
}

}  // namespace
}  // namespace healthgap::app
