#pragma once

// HttpRequest::tls on a curl easy handle.

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "probe/curl_handles.h"
#include "probe/http_client.h"

namespace healthgap::probe::detail {

// What one connection's handshake showed, written by OpenSSL's callbacks on the thread that
// drives the transfer. Shared with the connection's SSL_CTX, which can outlive the transfer (a
// kept-alive connection), so a late callback never writes into freed memory.
struct TlsObservation {
  using SteadyTime = std::chrono::steady_clock::time_point;
  SteadyTime configured{};                        // when the transfer was handed to curl
  std::optional<SteadyTime> handshake_started{};  // TCP connected, ClientHello about to go
  std::optional<TlsInfo> info{};                  // set once the handshake completed
  // Microseconds from `configured` to the handshake's start; 0 when none started.
  long long HandshakeStartMicros() const;
};

// What curl keeps pointers to while the transfer runs: owned by the transfer.
struct CurlTlsLists {
  CurlSlist connect_to;
  std::string server_name_url;  // the URL with tls.server_name as its host, when that is set
  std::shared_ptr<TlsObservation> observation;  // this hop's handshake
};

// Sets request.tls's options on `handle`; false if curl refused one. A server name goes in the
// URL (so curl sends it as SNI and verifies the certificate against it) while
// CURLOPT_CONNECT_TO keeps the connection on the URL's own host and port, and a Host header
// (appended to `headers` unless the request has one) keeps what the server is asked for.
// Also asks curl's OpenSSL backend to report new connections' handshakes into
// lists.observation (a libcurl on another TLS backend probes without those details).
bool ConfigureTls(CURL* handle, const HttpRequest& request, CurlTlsLists& lists,
                  CurlSlist& headers);

}  // namespace healthgap::probe::detail
