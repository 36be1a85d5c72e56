// The grpc-checked demo backend's gRPC health service, called as a Kubernetes or Envoy gRPC
// check calls it: SERVING while the database is down and the API fails.

#include <gtest/gtest.h>

#include <string>

#include "common/clock.h"
#include "demo/backend.h"
#include "probe/blocking.h"
#include "probe/grpc_health_client.h"

namespace healthgap::demo {
namespace {

TEST(DemoGrpcHealthTest, SaysServingWhileTheApiFails) {
  DemoBackend backend(DemoMode::kGrpcChecked);
  std::string error;
  ASSERT_TRUE(backend.Start(&error)) << error;
  ASSERT_GT(backend.grpc_port(), 0);

  RealClock clock;
  probe::GrpcHealthClient client(clock);
  probe::HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(backend.grpc_port());
  request.grpc = probe::GrpcCall{};
  const probe::HttpResult result = probe::SendAndWait(client, request);
  ASSERT_TRUE(result.grpc.has_value()) << result.error_message;
  EXPECT_EQ(result.grpc->code, 0);
  EXPECT_EQ(result.grpc->serving_status, 1);  // SERVING

  // Any other method is unknown to it, as to any gRPC server (what an ALB's default relies on).
  request.grpc->method = "/AWS.ALB/healthcheck";
  const probe::HttpResult alb = probe::SendAndWait(client, request);
  ASSERT_TRUE(alb.grpc.has_value()) << alb.error_message;
  EXPECT_EQ(alb.grpc->code, 12);
}

TEST(DemoGrpcHealthTest, OtherModesServeNoGrpc) {
  DemoBackend backend(DemoMode::kTcpChecked);
  std::string error;
  ASSERT_TRUE(backend.Start(&error)) << error;
  EXPECT_EQ(backend.grpc_port(), 0);
}

}  // namespace
}  // namespace healthgap::demo
