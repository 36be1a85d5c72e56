#pragma once

#include <grpcpp/generic/async_generic_service.h>

#include <memory>
#include <string>

namespace healthgap::demo {

// Answers every method no registered service has with UNIMPLEMENTED, as any gRPC server does
// (what an ALB's default /AWS.ALB/healthcheck relies on). Registering it also gives a server a
// callback service, which gRPC needs to start one whose only other service is its default
// health service. Shared with the tests' gRPC servers.
class UnknownGrpcMethods final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override;
};

// The grpc-checked backend's gRPC server: gRPC's standard health service
// (grpc.health.v1.Health), its overall status set SERVING at startup and never updated again,
// the common way a gRPC health check comes to lie: nothing ties it to the database.
class GrpcHealthService {
 public:
  GrpcHealthService();
  ~GrpcHealthService();  // stops
  GrpcHealthService(const GrpcHealthService&) = delete;
  GrpcHealthService& operator=(const GrpcHealthService&) = delete;

  // Listens on host, on an ephemeral port; false with *error set.
  bool Start(const std::string& host, std::string* error);
  void Stop();
  int port() const { return port_; }

 private:
  UnknownGrpcMethods unknown_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace healthgap::demo
