#include "probe/curl_mapping.h"

#include <algorithm>
#include <cerrno>

namespace healthgap::probe::detail {

std::optional<FailureReason> ClassifyCurlError(CURLcode code, long os_errno, bool body_too_large,
                                               std::string_view message) {
  if (body_too_large) return FailureReason::kTooLarge;
  switch (code) {
    case CURLE_OK:
      return std::nullopt;
    case CURLE_OPERATION_TIMEDOUT:
      return FailureReason::kTimeout;
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return FailureReason::kConnectionRefused;
      if (os_errno == ETIMEDOUT) return FailureReason::kTimeout;
      return FailureReason::kOther;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return FailureReason::kConnectionReset;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return FailureReason::kDns;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return FailureReason::kTls;
    case CURLE_FILESIZE_EXCEEDED:
      return FailureReason::kTooLarge;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return FailureReason::kBadResponse;
    case CURLE_UNSUPPORTED_PROTOCOL:
      // A reply that does not start with a status line reads to curl as HTTP/0.9, which it
      // refuses with this code; the same code also means "scheme not allowed".
      if (message.find("HTTP/0.9") != std::string_view::npos) return FailureReason::kBadResponse;
      return FailureReason::kOther;
    case CURLE_TOO_MANY_REDIRECTS:
      return FailureReason::kRedirectLoop;
    default:
      return FailureReason::kOther;
  }
}

namespace {

double PhaseSeconds(curl_off_t from_us, curl_off_t to_us) {
  if (to_us <= 0 || to_us < from_us) return 0;
  return static_cast<double>(to_us - from_us) / 1e6;
}

}  // namespace

PhaseTimings PhasesFromCurlTimes(const CurlTimes& times) {
  PhaseTimings phases;
  phases.resolve = PhaseSeconds(0, times.namelookup);
  const curl_off_t handshake_start = std::min(times.handshake_start, times.total);
  const curl_off_t connected = times.connect > 0 ? times.connect : handshake_start;
  phases.connect = PhaseSeconds(times.namelookup, connected);
  if (times.appconnect > 0) {
    phases.tls = PhaseSeconds(connected, times.appconnect);
  } else if (handshake_start > 0) {
    phases.tls = PhaseSeconds(connected, times.total);
  }
  // Without TLS, the request goes out right after connect; with TLS, right after the handshake.
  const curl_off_t request_sent = std::max({times.namelookup, times.connect, times.appconnect});
  phases.processing = PhaseSeconds(request_sent, times.starttransfer);
  phases.transfer = times.starttransfer > 0 ? PhaseSeconds(times.starttransfer, times.total) : 0;
  return phases;
}

}  // namespace healthgap::probe::detail
