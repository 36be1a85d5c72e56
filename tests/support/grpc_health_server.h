#pragma once

#include <memory>
#include <string>

// A real gRPC server on loopback (kernel-chosen port) with gRPC's standard health service
// (grpc::EnableDefaultHealthCheckService), plain text or TLS, its serving status switched at
// run time; or one whose health service accepts calls and never answers.
//
//   healthgap::testing::GrpcHealthServer server;
//   ASSERT_TRUE(server.ok());
//   server.SetServing("payments", false);  // Check{service: "payments"} -> NOT_SERVING
namespace healthgap::testing {

class GrpcHealthServer {
 public:
  struct Options {
    // TLS with this certificate and key (PEM files); plain text when empty.
    std::string cert_file{};
    std::string key_file{};
    // The health service takes every call and answers none until the server stops.
    bool never_answer = false;
  };

  GrpcHealthServer();
  explicit GrpcHealthServer(Options options);
  ~GrpcHealthServer();  // cancels calls left unanswered
  GrpcHealthServer(const GrpcHealthServer&) = delete;
  GrpcHealthServer& operator=(const GrpcHealthServer&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  // "http://127.0.0.1:PORT" or "https://..." with TLS: a probe::HttpRequest URL.
  std::string Url() const;

  // The status Check reports for `service` ("" is the server's overall health, SERVING from the
  // start); a service never set is unknown (NOT_FOUND).
  void SetServing(const std::string& service, bool serving);
  // Calls the never-answering service holds.
  int HeldCalls() const;
  // A metadata value the held calls carried ("" if none did).
  std::string HeldMetadata(const std::string& key) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace healthgap::testing
