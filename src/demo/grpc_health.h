#pragma once

#include <memory>
#include <string>

namespace healthgap::demo {

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
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace healthgap::demo
