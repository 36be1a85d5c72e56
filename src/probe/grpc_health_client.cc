#include "probe/grpc_health_client.h"

#include <curl/curl.h>
#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "health.pb.h"
#include "probe/blocking.h"

namespace healthgap::probe {
namespace {

// Where a call goes: the scheme says plain text or TLS.
struct GrpcTarget {
  bool tls = false;
  std::string host;  // as in the URL, brackets of an IPv6 literal removed
  std::string port;
};

std::optional<GrpcTarget> ParseTarget(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  const auto get = [&](CURLUPart part, unsigned flags) {
    char* text = nullptr;
    std::string out;
    if (curl_url_get(parsed.get(), part, &text, flags) == CURLUE_OK && text) out = text;
    curl_free(text);
    return out;
  };
  GrpcTarget target;
  const std::string scheme = get(CURLUPART_SCHEME, 0);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  target.tls = scheme == "https";
  target.host = get(CURLUPART_HOST, 0);
  if (target.host.size() > 2 && target.host.front() == '[') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  target.port = get(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  return target;
}

// "host:port" for gRPC's resolver, brackets around an IPv6 literal.
std::string HostPort(const std::string& host, const std::string& port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

// The address a CURLOPT_RESOLVE pin ("host:port:addr[,addr]") gives host:port: /probe's SSRF
// guard checked it, so the call must connect there and nowhere DNS might say instead.
std::optional<std::string> PinnedAddress(const HttpRequest& request, const GrpcTarget& target) {
  const std::string prefix = target.host + ":" + target.port + ":";
  for (const std::string& entry : request.resolve) {
    if (!entry.starts_with(prefix)) continue;
    std::string address = entry.substr(prefix.size());
    address = address.substr(0, address.find(','));
    if (address.size() > 2 && address.front() == '[') {
      address = address.substr(1, address.size() - 2);
    }
    return address;
  }
  return std::nullopt;
}

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

// The channel's credentials from the request's TLS options; null with *error set when a file
// cannot be read.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const GrpcTarget& target,
                                                      const TlsOptions& tls, std::string* error) {
  if (!target.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;  // empty roots: the system's
  if (!tls.ca_file.empty() && !ReadFile(tls.ca_file, ssl.pem_root_certs)) {
    *error = "cannot read ca_file " + tls.ca_file;
    return nullptr;
  }
  if (!tls.cert_file.empty() && (!ReadFile(tls.cert_file, ssl.pem_cert_chain) ||
                                 !ReadFile(tls.key_file, ssl.pem_private_key))) {
    *error = "cannot read cert_file " + tls.cert_file + " or key_file " + tls.key_file;
    return nullptr;
  }
  // SSL credentials verify the chain and the name (the host, or server_name through the target
  // name override in Send).
  if (!tls.insecure_skip_verify) return grpc::SslCredentials(ssl);
  // Neither the chain nor the name checked, as blackbox_exporter's insecure_skip_verify: only
  // the TLS credentials can turn verification off.
  grpc::experimental::TlsChannelCredentialsOptions options;
  if (!ssl.pem_cert_chain.empty()) {
    options.set_certificate_provider(
        std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
            std::vector<grpc::experimental::IdentityKeyCertPair>{
                {ssl.pem_private_key, ssl.pem_cert_chain}}));
    options.watch_identity_key_cert_pairs();
  }
  options.set_verify_server_certs(false);
  options.set_check_call_host(false);
  options.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

// A gRPC failure that is the transport's: the call never reached a server that could answer.
// gRPC folds them all into UNAVAILABLE (or DEADLINE_EXCEEDED); its message tells them apart.
std::optional<FailureReason> TransportFailure(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return FailureReason::kTimeout;
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return std::nullopt;
  const std::string message = ToLower(status.error_message());
  if (message.find("connection refused") != std::string::npos) {
    return FailureReason::kConnectionRefused;
  }
  if (message.find("handshake") != std::string::npos || message.find("ssl") != std::string::npos ||
      message.find("certificate") != std::string::npos) {
    return FailureReason::kTls;
  }
  if (message.find("dns") != std::string::npos || message.find("resolution") != std::string::npos) {
    return FailureReason::kDns;
  }
  if (message.find("reset") != std::string::npos || message.find("closed") != std::string::npos) {
    return FailureReason::kConnectionReset;
  }
  return std::nullopt;  // the server said UNAVAILABLE (or gRPC could not tell): eval judges it
}

}  // namespace

struct GrpcHealthClient::Call {
  HttpRequest request;
  Callback done;
  HttpResult result;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  grpc::ClientContext context;
  grpc::ByteBuffer request_message;
  grpc::ByteBuffer response_message;
};

namespace {

// gRPC's own log lines ("Handshake failed ...", one per failing probe) as healthgap's debug
// lines: the probe's result already carries the reason, and stderr stays logfmt.
void LogGrpcLine(gpr_log_func_args* args) {
  log::Write(log::Level::kDebug, args->message != nullptr ? args->message : "",
             {{"component", "grpc"}, {"file", args->file != nullptr ? args->file : ""}});
}

}  // namespace

// gRPC shuts its core down when its last object goes, on a thread of its own, and a channel made
// while that runs crashes in OpenSSL. One reference held for the process keeps it up.
void KeepGrpcInitialized() {
  static const bool initialized = [] {
    gpr_set_log_function(&LogGrpcLine);
    grpc_init();
    return true;
  }();
  (void)initialized;
}

GrpcHealthClient::GrpcHealthClient(const Clock& clock) : clock_(clock) {
  KeepGrpcInitialized();
  reaper_ = std::thread([this] { Reap(); });
}

GrpcHealthClient::~GrpcHealthClient() {
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    for (Call* call : calls_) call->context.TryCancel();
  }
  changed_.notify_all();
  reaper_.join();
}

void GrpcHealthClient::Reap() {
  std::unique_lock lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return !finished_.empty() || (stopping_ && calls_.empty()); });
    std::vector<Call*> batch;
    batch.swap(finished_);
    const bool last = stopping_ && calls_.empty();
    lock.unlock();
    for (Call* call : batch) delete call;
    lock.lock();
    if (last && finished_.empty()) return;
  }
}

std::size_t GrpcHealthClient::InFlight() const {
  return in_flight_.load(std::memory_order_relaxed);
}

void GrpcHealthClient::Send(HttpRequest request, Callback done) {
  auto call = std::make_unique<Call>();
  call->request = std::move(request);
  call->done = std::move(done);
  call->result.started = clock_.Now();
  in_flight_.fetch_add(1, std::memory_order_relaxed);

  const auto fail = [&](std::string message) {
    call->result.error = FailureReason::kOther;
    call->result.error_message = std::move(message);
    Finished(call.release());
  };
  if (!call->request.grpc) return fail("not a gRPC request");
  const std::optional<GrpcTarget> target = ParseTarget(call->request.url);
  if (!target) return fail("not an http:// or https:// URL: " + call->request.url);
  std::string error;
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      Credentials(*target, call->request.tls, &error);
  if (!credentials) return fail(std::move(error));

  grpc::ChannelArguments arguments;
  // A connection of the call's own, never a subchannel another channel already opened.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  const std::string authority = HostPort(target->host, target->port);
  std::string address = authority;
  if (const std::optional<std::string> pinned = PinnedAddress(call->request, *target)) {
    address = HostPort(*pinned, target->port);
    arguments.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
  }
  if (target->tls) {
    arguments.SetSslTargetNameOverride(
        call->request.tls.server_name.empty() ? target->host : call->request.tls.server_name);
  }
  call->channel = grpc::CreateCustomChannel(address, credentials, arguments);
  call->stub = std::make_unique<grpc::GenericStub>(call->channel);

  const GrpcCall& grpc_call = *call->request.grpc;
  std::string message;
  if (grpc_call.method == GrpcCall::kHealthCheckMethod) {
    grpc::health::v1::HealthCheckRequest health;
    health.set_service(grpc_call.service);
    health.SerializeToString(&message);
  }
  grpc::Slice slice(message);
  call->request_message = grpc::ByteBuffer(&slice, 1);
  call->context.set_deadline(std::chrono::system_clock::now() + call->request.timeout);
  for (const auto& [name, value] : call->request.headers) {
    call->context.AddMetadata(ToLower(name), value);
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return fail(std::string("client shut down"));
    calls_.insert(call.get());
  }
  Call* running = call.release();
  running->stub->UnaryCall(
      &running->context, grpc_call.method, grpc::StubOptions(), &running->request_message,
      &running->response_message, [this, running](grpc::Status status) {
        HttpResult& result = running->result;
        result.total = clock_.Now() - result.started;
        result.phases.processing = ToSeconds(result.total);
        if (const auto failure = TransportFailure(status)) {
          result.error = failure;
          result.error_message = status.error_message();
        } else {
          result.grpc = GrpcReply{.code = status.error_code(), .serving_status = std::nullopt};
          result.error_message = status.error_message();
        }
        if (status.ok() && running->request.grpc->method == GrpcCall::kHealthCheckMethod) {
          grpc::health::v1::HealthCheckResponse health;
          grpc::Slice reply;
          if (running->response_message.TrySingleSlice(&reply).ok() ||
              running->response_message.DumpToSingleSlice(&reply).ok()) {
            if (health.ParseFromArray(reply.begin(), static_cast<int>(reply.size()))) {
              result.grpc->serving_status = health.status();
            }
          }
          if (!result.grpc->serving_status) {
            result.error = FailureReason::kBadResponse;
            result.error_message = "not a grpc.health.v1.HealthCheckResponse";
            result.grpc.reset();
          }
        }
        Finished(running);
      });
}

void GrpcHealthClient::Finished(Call* call) {
  if (call->done) call->done(std::move(call->result));
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    calls_.erase(call);
    finished_.push_back(call);
  }
  changed_.notify_all();
}

void ProtocolRouter::Send(HttpRequest request, Callback done) {
  (request.grpc ? grpc_ : http_).Send(std::move(request), std::move(done));
}

std::size_t ProtocolRouter::InFlight() const { return http_.InFlight() + grpc_.InFlight(); }

std::vector<HttpResult> ProtocolRouter::SendAllBlocking(std::vector<HttpRequest> requests) {
  std::vector<std::size_t> http_indexes;
  std::vector<HttpRequest> http_requests;
  PendingResults grpc_results(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].grpc) {
      grpc_.Send(std::move(requests[i]), grpc_results.Slot(i));
    } else {
      grpc_results.Skip(i);
      http_indexes.push_back(i);
      http_requests.push_back(std::move(requests[i]));
    }
  }
  std::vector<HttpResult> http_results = http_.SendAllBlocking(std::move(http_requests));
  std::vector<HttpResult> results = grpc_results.Wait();
  for (std::size_t i = 0; i < http_indexes.size(); ++i) {
    results[http_indexes[i]] = std::move(http_results[i]);
  }
  return results;
}

}  // namespace healthgap::probe
