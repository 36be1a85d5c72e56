#include "probe/http_client.h"

namespace healthgap::probe {

std::string_view ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kConnectionRefused:
      return "connection_refused";
    case ErrorKind::kConnectionReset:
      return "connection_reset";
    case ErrorKind::kDnsFailure:
      return "dns";
    case ErrorKind::kTls:
      return "tls";
    case ErrorKind::kTooLarge:
      return "too_large";
    case ErrorKind::kBadResponse:
      return "bad_response";
    case ErrorKind::kTooManyRedirects:
      return "too_many_redirects";
    case ErrorKind::kOther:
      return "other";
  }
  return "other";
}

}  // namespace healthgap::probe
