#pragma once

// One request on one curl easy handle, from Send until its callback ran: what both clients of
// probe/curl_multi_client.h drive. Internal to probe/.

#include <curl/curl.h>

#include <optional>
#include <string>
#include <vector>

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
  // A TCP exchange after the connection (request.tcp): bytes of request.tcp->send written, and
  // when the connection was up (the processing phase runs from there).
  std::size_t tcp_sent = 0;
  TimePoint tcp_connected{};

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

  // After Finish: true when a TCP exchange has more to do on the connection just made (send,
  // expect). The easy handle must then stay in its multi handle (curl keeps a connect-only
  // connection there) until Converse says kDone.
  bool StartsExchange(TimePoint now);
  enum class Exchange { kWantRead, kWantWrite, kDone };
  // Sends and reads what the socket takes without blocking; kDone with the result final (the
  // reply matched, the peer closed, an error, or the timeout passed by `now`).
  Exchange Converse(TimePoint now);
  // The connection's socket while an exchange runs.
  curl_socket_t Socket() const;
  // When a running exchange times out.
  TimePoint ExchangeDeadline() const { return result.started + request.timeout; }

 private:
  bool FollowRedirect(TimePoint now, const std::string& user_agent);
  bool RetryWithOtherIpProtocol(const std::string& user_agent);
  // Clears the result of a hop for the next one, keeping when the whole request started.
  bool Restart(const std::string& user_agent);
  // Ends a TCP exchange: the processing phase and total up to `now`, and `error` if any.
  Exchange EndExchange(TimePoint now, std::optional<FailureReason> error, std::string message);
};

// The TCP exchanges a curl multi loop runs beside its transfers (CurlTransfer::StartsExchange):
// what to wait for in curl_multi_poll, and the exchanges done after it.
class TcpExchanges {
 public:
  void Add(CurlTransfer* transfer);
  bool empty() const { return running_.empty(); }
  // For curl_multi_poll's extra_fds; valid until the next Advance.
  std::vector<curl_waitfd>& WaitFds();
  // `max_ms`, or less when an exchange times out sooner.
  int PollTimeoutMs(int max_ms, TimePoint now) const;
  // Moves every exchange on; returns those that are done (their handles still in the multi).
  std::vector<CurlTransfer*> Advance(TimePoint now);
  // Every exchange still running, forgotten (for shutdown).
  std::vector<CurlTransfer*> TakeAll();

 private:
  struct Running {
    CurlTransfer* transfer;
    CurlTransfer::Exchange waiting;
  };
  std::vector<Running> running_;
  std::vector<curl_waitfd> fds_;
};

}  // namespace healthgap::probe::detail
