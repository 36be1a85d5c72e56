#pragma once

// HttpRequest::tls on a curl easy handle.

#include <curl/curl.h>

#include <string>

#include "probe/curl_handles.h"
#include "probe/http_client.h"

namespace healthgap::probe::detail {

// What curl keeps pointers to while the transfer runs: owned by the transfer.
struct CurlTlsLists {
  CurlSlist connect_to;
  std::string server_name_url;  // the URL with tls.server_name as its host, when that is set
};

// Sets request.tls's options on `handle`; false if curl refused one. A server name goes in the
// URL (so curl sends it as SNI and verifies the certificate against it) while
// CURLOPT_CONNECT_TO keeps the connection on the URL's own host and port, and a Host header
// (appended to `headers` unless the request has one) keeps what the server is asked for.
bool ConfigureTls(CURL* handle, const HttpRequest& request, CurlTlsLists& lists,
                  CurlSlist& headers);

}  // namespace healthgap::probe::detail
