#include "probe/curl_transfer.h"

#include <algorithm>
#include <string_view>

#include "common/strings.h"
#include "probe/curl_mapping.h"
#include "probe/redirects.h"

namespace healthgap::probe::detail {
namespace {

// What a header line is trimmed of: curl hands lines over with their CR LF.
constexpr std::string_view kHeaderSpace = " \t\r\n";

bool HasHeader(const HttpRequest& request, std::string_view lower_name) {
  return std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& header) {
    return EqualsIgnoringCase(header.first, lower_name);
  });
}

// The HTTP version and IP protocol the finished transfer used.
void ReadProtocols(CURL* handle, HttpResult& result) {
  long version = 0;
  curl_easy_getinfo(handle, CURLINFO_HTTP_VERSION, &version);
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
      result.http_version = HttpVersion::kHttp10;
      break;
    case CURL_HTTP_VERSION_1_1:
      result.http_version = HttpVersion::kHttp11;
      break;
    case CURL_HTTP_VERSION_2_0:
      result.http_version = HttpVersion::kHttp2;
      break;
    case CURL_HTTP_VERSION_3:
      result.http_version = HttpVersion::kHttp3;
      break;
    default:
      break;
  }
  char* address = nullptr;
  if (curl_easy_getinfo(handle, CURLINFO_PRIMARY_IP, &address) == CURLE_OK && address != nullptr &&
      address[0] != '\0') {
    result.ip_protocol = std::string_view(address).find(':') == std::string_view::npos
                             ? IpProtocol::kIp4
                             : IpProtocol::kIp6;
  }
}

}  // namespace

size_t CurlTransfer::OnBody(char* data, size_t size, size_t count, void* user) {
  auto& self = *static_cast<CurlTransfer*>(user);
  const size_t received = size * count;
  const size_t room = self.request.max_body_bytes - self.result.body_bytes;
  const size_t taken = std::min(received, room);
  if (self.request.keep_response) self.result.body.append(data, taken);
  self.result.body_bytes += taken;
  if (received > room) {
    self.body_too_large = true;
    return 0;  // a short count makes curl abort the transfer (CURLE_WRITE_ERROR)
  }
  return received;
}

size_t CurlTransfer::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto& self = *static_cast<CurlTransfer*>(user);
  const size_t length = size * count;
  if (!self.request.keep_response) return length;
  const std::string_view line(data, length);
  auto& headers = self.result.headers;
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or 100 Continue): keep only the final one's headers.
    headers.clear();
  } else if ((line.starts_with(' ') || line.starts_with('\t')) && !headers.empty()) {
    // Obsolete line folding continues the previous header's value.
    headers.back().second += ' ';
    headers.back().second += Trim(line, kHeaderSpace);
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    headers.emplace_back(ToLower(Trim(line.substr(0, colon), kHeaderSpace)),
                         std::string(Trim(line.substr(colon + 1), kHeaderSpace)));
  }
  return length;
}

bool CurlTransfer::Configure(const std::string& user_agent) {
  if (request.grpc) return false;  // GrpcHealthClient's (ProtocolRouter sends it there)
  CURL* handle = easy.get();
  const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  bool ok = true;
  const auto set = [&ok](CURLcode code) { ok = ok && code == CURLE_OK; };

  set(curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(handle, CURLOPT_PRIVATE, this));
  set(curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer));
  set(curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  // An empty proxy disables proxies, including those from http_proxy & co.
  set(curl_easy_setopt(handle, CURLOPT_PROXY, request.proxy.c_str()));
  if (!request.accept_encoding.empty()) {
    set(curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, request.accept_encoding.c_str()));
  }
  if (request.ip_protocol) {
    set(curl_easy_setopt(
        handle, CURLOPT_IPRESOLVE,
        *request.ip_protocol == IpProtocol::kIp4 ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_V6));
  }
  set(curl_easy_setopt(handle, CURLOPT_USERAGENT, user_agent.c_str()));
  // No CURLOPT_FOLLOWLOCATION: FollowRedirect sends each hop as a request of its own.
  if (!request.reuse_connection) {
    set(curl_easy_setopt(handle, CURLOPT_FRESH_CONNECT, 1L));
    // A connect-only connection is never reused anyway, and FORBID_REUSE would close it
    // before the exchange could use it.
    if (!request.tcp) set(curl_easy_setopt(handle, CURLOPT_FORBID_REUSE, 1L));
  }
  // Rejects a declared Content-Length over the cap before any body arrives (0 would mean
  // "no limit", so a zero cap relies on the write callback alone).
  if (request.max_body_bytes > 0) {
    set(curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE,
                         static_cast<curl_off_t>(request.max_body_bytes)));
  }
  set(curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &CurlTransfer::OnBody));
  set(curl_easy_setopt(handle, CURLOPT_WRITEDATA, this));
  set(curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &CurlTransfer::OnHeader));
  set(curl_easy_setopt(handle, CURLOPT_HEADERDATA, this));
  ok = ok && ConfigureTls(handle, request, tls_lists, header_list);
  if (!request.resolve.empty()) {
    for (const auto& entry : request.resolve) ok = ok && resolve_list.Append(entry.c_str());
    set(curl_easy_setopt(handle, CURLOPT_RESOLVE, resolve_list.get()));
  }
  if (request.tcp) {
    // The connection (and handshake) only: the exchange runs on it after (tcp_exchange.cc).
    set(curl_easy_setopt(handle, CURLOPT_CONNECT_ONLY, 1L));
    return ok;
  }

  const std::string method = ToUpper(request.method);
  if (method == "HEAD") {
    set(curl_easy_setopt(handle, CURLOPT_NOBODY, 1L));
  } else if (method == "GET" && request.body.empty()) {
    set(curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L));
  } else {
    if (method == "POST" || !request.body.empty()) {
      // Not copied: request.body lives as long as the easy handle.
      set(curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data()));
    }
    if (method != "POST") {
      set(curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str()));
    }
  }

  for (const auto& [name, value] : request.headers) {
    // "Name;" is curl's syntax for a header with an empty value ("Name:" would remove it).
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    ok = ok && header_list.Append(line.c_str());
  }
  // Without this curl waits up to a second for "100 Continue" before sending larger bodies.
  if (!request.body.empty() && !HasHeader(request, "expect")) {
    ok = ok && header_list.Append("Expect:");
  }
  // Unset when empty: curl consults the list for every header it may add.
  if (header_list.get()) set(curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list.get()));
  return ok;
}

void CurlTransfer::Finish(CURLcode code) {
  CURL* handle = easy.get();
  long status = 0;
  long os_errno = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(handle, CURLINFO_OS_ERRNO, &os_errno);
  detail::CurlTimes times;
  curl_easy_getinfo(handle, CURLINFO_NAMELOOKUP_TIME_T, &times.namelookup);
  curl_easy_getinfo(handle, CURLINFO_CONNECT_TIME_T, &times.connect);
  curl_easy_getinfo(handle, CURLINFO_APPCONNECT_TIME_T, &times.appconnect);
  curl_easy_getinfo(handle, CURLINFO_STARTTRANSFER_TIME_T, &times.starttransfer);
  curl_easy_getinfo(handle, CURLINFO_TOTAL_TIME_T, &times.total);
  const TlsObservation* handshake = tls_lists.observation.get();
  if (handshake != nullptr) {
    times.handshake_start = handshake->HandshakeStartMicros();
    result.tls = handshake->info;
  }

  const std::string_view message =
      error_buffer[0] != '\0' ? std::string_view(error_buffer) : curl_easy_strerror(code);
  result.error = detail::ClassifyCurlError(code, os_errno, body_too_large, message);
  if (result.error == FailureReason::kTooLarge && body_too_large) {
    result.error_message =
        "body exceeded max_body_bytes (" + std::to_string(request.max_body_bytes) + ")";
  } else if (result.error != std::nullopt) {
    result.error_message = std::string(message);
  }
  result.status_code = static_cast<int>(status);
  result.phases = detail::PhasesFromCurlTimes(times);
  result.phases.resolve += earlier_phases.resolve;
  result.phases.connect += earlier_phases.connect;
  result.phases.tls += earlier_phases.tls;
  result.phases.processing += earlier_phases.processing;
  result.phases.transfer += earlier_phases.transfer;
  result.total = earlier_total + std::chrono::microseconds(times.total);
  if (request.tcp) {
    // Nothing was requested over the connection (yet): the exchange fills in processing.
    result.phases.processing = result.phases.transfer = 0;
  }
  ReadProtocols(handle, result);
  if (request.tcp) result.http_version.reset();
  if (!result.error && !request.valid_http_versions.empty() && result.http_version &&
      std::find(request.valid_http_versions.begin(), request.valid_http_versions.end(),
                *result.http_version) == request.valid_http_versions.end()) {
    result.error = FailureReason::kBadResponse;
    result.error_message = "answered in " + std::string(ToString(*result.http_version)) +
                           ", not in valid_http_versions";
  }
}

bool CurlTransfer::SendsAgain(TimePoint now, const std::string& user_agent) {
  return RetryWithOtherIpProtocol(user_agent) || FollowRedirect(now, user_agent);
}

bool CurlTransfer::RetryWithOtherIpProtocol(const std::string& user_agent) {
  if (result.error != FailureReason::kDns || !request.ip_protocol ||
      !request.ip_protocol_fallback || tried_other_ip_protocol) {
    return false;
  }
  tried_other_ip_protocol = true;
  request.ip_protocol =
      *request.ip_protocol == IpProtocol::kIp4 ? IpProtocol::kIp6 : IpProtocol::kIp4;
  earlier_phases = result.phases;
  earlier_total = result.total;
  return Restart(user_agent);
}

bool CurlTransfer::FollowRedirect(TimePoint now, const std::string& user_agent) {
  if (result.error != std::nullopt || request.max_redirects <= 0 ||
      !IsFollowedRedirect(result.status_code)) {
    return false;
  }
  char* location = nullptr;
  curl_easy_getinfo(easy.get(), CURLINFO_REDIRECT_URL, &location);
  if (location == nullptr) return false;  // a 3xx without a usable Location
  if (redirects_followed >= request.max_redirects) {
    result.error = FailureReason::kRedirectLoop;
    result.error_message = "more than " + std::to_string(request.max_redirects) +
                           " redirects (next: " + location + ")";
    return false;
  }
  HttpRequest next = RedirectedRequest(request, result.status_code, location);
  if (request.redirect_guard) {
    if (std::string why = request.redirect_guard->Refusal(next); !why.empty()) {
      result.error_message = "redirect to " + next.url + " not followed: " + why;
      return false;
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(request.timeout -
                                                                          (now - result.started));
  if (left.count() <= 0) {
    result.error = FailureReason::kTimeout;
    result.error_message = "timed out after " + std::to_string(redirects_followed + 1) +
                           " redirect hops (next: " + next.url + ")";
    return false;
  }
  next.timeout = left;
  earlier_phases = result.phases;
  earlier_total = result.total;
  ++redirects_followed;
  request = std::move(next);
  return Restart(user_agent);
}

bool CurlTransfer::Restart(const std::string& user_agent) {
  const TimePoint started = result.started;
  result = HttpResult{};
  result.started = started;
  body_too_large = false;
  error_buffer[0] = '\0';
  header_list.Reset();
  resolve_list.Reset();
  curl_easy_reset(easy.get());
  if (!Configure(user_agent)) {
    result.error = FailureReason::kOther;
    result.error_message = "unsupported request option for " + request.url;
    return false;
  }
  return true;
}

}  // namespace healthgap::probe::detail
