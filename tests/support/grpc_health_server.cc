#include "support/grpc_health_server.h"

#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "demo/grpc_health.h"
#include "health.grpc.pb.h"
#include "probe/grpc_health_client.h"

namespace healthgap::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A health service that holds every Check until the server shuts down.
class SilentHealth final : public grpc::health::v1::Health::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest*,
                                  grpc::health::v1::HealthCheckResponse*) override {
    std::lock_guard lock(mu_);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    held_.push_back(reactor);
    for (const auto& [key, value] : context->client_metadata()) {
      metadata_.emplace(std::string(key.data(), key.size()),
                        std::string(value.data(), value.size()));
    }
    return reactor;
  }
  void ReleaseAll() {
    std::lock_guard lock(mu_);
    for (grpc::ServerUnaryReactor* reactor : held_) reactor->Finish(grpc::Status::CANCELLED);
    held_.clear();
    released_ = true;
  }
  std::string Metadata(const std::string& key) const {
    std::lock_guard lock(mu_);
    const auto it = metadata_.find(key);
    return it == metadata_.end() ? "" : it->second;
  }
  int Held() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(held_.size());
  }

 private:
  mutable std::mutex mu_;
  std::vector<grpc::ServerUnaryReactor*> held_;
  std::map<std::string, std::string> metadata_;  // of every call held
  bool released_ = false;
};

}  // namespace

struct GrpcHealthServer::Impl {
  SilentHealth silent;
  demo::UnknownGrpcMethods unknown;
  std::unique_ptr<grpc::Server> server;
};

GrpcHealthServer::GrpcHealthServer() : GrpcHealthServer(Options{}) {}

GrpcHealthServer::GrpcHealthServer(Options options) : impl_(std::make_unique<Impl>()) {
  probe::KeepGrpcInitialized();
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.cert_file.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({ReadFile(options.key_file), ReadFile(options.cert_file)});
    credentials = grpc::SslServerCredentials(ssl);
    tls_ = true;
  }
  grpc::ServerBuilder builder;
  // Process-wide, read by BuildAndStart.
  grpc::EnableDefaultHealthCheckService(!options.never_answer);
  if (options.never_answer) builder.RegisterService(&impl_->silent);
  builder.RegisterCallbackGenericService(&impl_->unknown);
  builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server) port_ = 0;
}

GrpcHealthServer::~GrpcHealthServer() {
  if (!impl_->server) return;
  impl_->silent.ReleaseAll();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

std::string GrpcHealthServer::Url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void GrpcHealthServer::SetServing(const std::string& service, bool serving) {
  if (grpc::HealthCheckServiceInterface* health = impl_->server->GetHealthCheckService()) {
    health->SetServingStatus(service, serving);
  }
}

int GrpcHealthServer::HeldCalls() const { return impl_->silent.Held(); }

std::string GrpcHealthServer::HeldMetadata(const std::string& key) const {
  return impl_->silent.Metadata(key);
}

}  // namespace healthgap::testing
