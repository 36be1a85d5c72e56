#include "demo/grpc_health.h"

#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>

namespace healthgap::demo {
grpc::ServerGenericBidiReactor* UnknownGrpcMethods::CreateReactor(
    grpc::GenericCallbackServerContext*) {
  class Refuse final : public grpc::ServerGenericBidiReactor {
   public:
    Refuse() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "")); }
    void OnDone() override { delete this; }
  };
  return new Refuse;
}

struct GrpcHealthService::Impl {
  std::unique_ptr<grpc::Server> server;
};

GrpcHealthService::GrpcHealthService() : impl_(std::make_unique<Impl>()) {}

GrpcHealthService::~GrpcHealthService() { Stop(); }

bool GrpcHealthService::Start(const std::string& host, std::string* error) {
  grpc::EnableDefaultHealthCheckService(true);  // process-wide, read by BuildAndStart
  grpc::ServerBuilder builder;
  const std::string address =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":0";
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterCallbackGenericService(&unknown_);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || port_ == 0) {
    if (error != nullptr) *error = "cannot start the gRPC health service on " + address;
    impl_->server.reset();
    return false;
  }
  // The overall status ("") is SERVING from the start; the bug is that nothing changes it.
  impl_->server->GetHealthCheckService()->SetServingStatus(true);
  return true;
}

void GrpcHealthService::Stop() {
  if (!impl_->server) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server.reset();
}

}  // namespace healthgap::demo
