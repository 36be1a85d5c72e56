#pragma once

// One request on one curl easy handle, from Send until its callback ran: what both clients of
// probe/curl_multi_client.h drive. Internal to probe/.

#include <curl/curl.h>

#include <string>

#include "probe/curl_handles.h"
#include "probe/curl_tls.h"
#include "probe/http_client.h"

namespace healthgap::probe::detail {

// In CurlMultiClient owned by queued_, then active_; in CurlCallerThreadClient by the run that
// sends it.
struct CurlTransfer {
  HttpRequest request;
  HttpClient::Callback done;
  HttpResult result;
  CurlEasy easy;
  CurlSlist header_list;
  CurlSlist resolve_list;
  CurlTlsLists tls_lists;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool body_too_large = false;
  int redirects_followed = 0;
  bool tried_other_ip_protocol = false;
  // Phases and time of the hops before this one: a result reports the whole chain.
  PhaseTimings earlier_phases;
  Duration earlier_total{0};

  static size_t OnBody(char* data, size_t size, size_t count, void* user);
  static size_t OnHeader(char* data, size_t size, size_t count, void* user);

  // Applies every per-request option; returns false if curl refused one.
  bool Configure(const std::string& user_agent);

  // Fills the result from the finished easy handle.
  void Finish(CURLcode code);

  // After Finish: when this transfer sends another request (a redirect it follows, or the
  // preferred IP protocol had no address and the other may be tried), prepares the easy handle
  // for it and returns true (the caller adds it to its multi handle again). Otherwise the
  // result stands: the 3xx itself, with error_message saying why a hop was not taken (refused
  // by the guard), or kTooManyRedirects / kTimeout for a chain that ran out.
  bool SendsAgain(TimePoint now, const std::string& user_agent);

 private:
  bool FollowRedirect(TimePoint now, const std::string& user_agent);
  bool RetryWithOtherIpProtocol(const std::string& user_agent);
  // Clears the result of a hop for the next one, keeping when the whole request started.
  bool Restart(const std::string& user_agent);
};

}  // namespace healthgap::probe::detail
