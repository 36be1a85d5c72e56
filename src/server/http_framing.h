#pragma once

// Where one HTTP/1.1 request ends in the bytes a connection has buffered, judged before any
// server thread is given the connection (server/connection_server.h): only a request that is
// complete, head and body, reaches a thread, so a client that sends slowly or stops halfway
// holds none. Framing follows RFC 9112 section 6 strictly: conflicting Content-Length headers,
// Content-Length beside Transfer-Encoding, and codings other than chunked are rejected, so no
// proxy in front can read a request's end differently than we do (request smuggling).

#include <cstddef>
#include <string>
#include <string_view>

namespace healthgap::server {

struct FramingLimits {
  std::size_t max_head_bytes = 16 * 1024;  // request line and headers
  std::size_t max_body_bytes = 8 * 1024;   // the exporter's endpoints take no bodies
};

struct Framing {
  enum class State { kIncomplete, kComplete, kReject };
  State state = State::kIncomplete;
  // kComplete: the bytes of this request, head and body; a pipelined next one follows them.
  std::size_t length = 0;
  // The head has arrived in full (its body may not have).
  bool head_complete = false;
  // The head asks for "100 Continue" and its body has not arrived yet.
  bool expects_continue = false;
  // kReject: the status to answer before closing (400, 413, 431, 501), and why.
  int status = 0;
  std::string reason;
};

// Frames the request at the start of `buffered`. Lines may end in CRLF or LF alone.
Framing FrameRequest(std::string_view buffered, const FramingLimits& limits);

// Blanks, with spaces and in place, the value of every Accept-Encoding header of the request
// head at the start of `buffered`, so the same bytes still frame the same request and the
// server answers it uncompressed. cpp-httplib otherwise picks the coding itself: brotli at its
// slowest quality for any client offering "br" (a browser, `curl --compressed`) took 127 s of
// a core for one /metrics of 10,000 targets, gzip three times the scrape itself
// (docs/security.md).
void IgnoreAcceptEncoding(std::string& buffered);

// A complete response for a rejected request: `status`, `reason` as the body, then the
// connection closes.
std::string RejectionResponse(int status, std::string_view reason);

}  // namespace healthgap::server
