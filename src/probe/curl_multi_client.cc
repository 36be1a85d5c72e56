#include "probe/curl_multi_client.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "probe/curl_mapping.h"
#include "probe/curl_tls.h"
#include "probe/redirects.h"

namespace healthgap::probe {
namespace {

// Upper bound on one wait; curl_multi_poll returns earlier for I/O, curl's own timers and
// curl_multi_wakeup, so this only bounds how stale a missed wakeup could be.
constexpr int kMaxPollMs = 1000;

// What a header line is trimmed of: curl hands lines over with their CR LF.
constexpr std::string_view kHeaderSpace = " \t\r\n";

bool HasHeader(const HttpRequest& request, std::string_view lower_name) {
  return std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& header) {
    return EqualsIgnoringCase(header.first, lower_name);
  });
}

}  // namespace

// One request's state, from Send until its callback ran. In CurlMultiClient owned by queued_,
// then active_; in CurlCallerThreadClient by the run that sends it.
struct detail::CurlTransfer {
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
  // Phases and time of the hops before this one: a result reports the whole chain.
  PhaseTimings earlier_phases;
  Duration earlier_total{0};

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
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

  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
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

  // Applies every per-request option; returns false with a message if curl refused one.
  bool Configure(const std::string& user_agent) {
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
    set(curl_easy_setopt(handle, CURLOPT_PROXY, ""));
    set(curl_easy_setopt(handle, CURLOPT_USERAGENT, user_agent.c_str()));
    // No CURLOPT_FOLLOWLOCATION: FollowRedirect sends each hop as a request of its own.
    if (!request.reuse_connection) {
      set(curl_easy_setopt(handle, CURLOPT_FRESH_CONNECT, 1L));
      set(curl_easy_setopt(handle, CURLOPT_FORBID_REUSE, 1L));
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
    if (!request.resolve.empty()) {
      for (const auto& entry : request.resolve) ok = ok && resolve_list.Append(entry.c_str());
      set(curl_easy_setopt(handle, CURLOPT_RESOLVE, resolve_list.get()));
    }
    return ok;
  }

  // Fills the result from the finished easy handle.
  void Finish(CURLcode code) {
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
  }

  // After Finish: when the response is a redirect the request follows, prepares the easy
  // handle for the next hop and returns true (the caller adds it to its multi handle again).
  // Otherwise the result stands: the 3xx itself, with error_message saying why a hop was not
  // taken (refused by the guard), or kTooManyRedirects / kTimeout for a chain that ran out.
  bool FollowRedirect(TimePoint now, const std::string& user_agent) {
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
};

CurlMultiClient::CurlMultiClient(const Clock& clock) : CurlMultiClient(clock, Options{}) {}

CurlMultiClient::CurlMultiClient(const Clock& clock, Options options)
    : clock_(clock), options_(std::move(options)), multi_(CurlMulti::Create()) {
  if (!multi_) return;  // Send reports the failure on every request
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options_.max_total_connections));
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options_.max_host_connections));
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS,
                    static_cast<long>(options_.connection_cache_size));
  io_thread_ = std::thread([this] { Run(); });
}

CurlMultiClient::~CurlMultiClient() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (io_thread_.joinable()) {
    curl_multi_wakeup(multi_.get());
    io_thread_.join();
  }
}

void CurlMultiClient::Send(HttpRequest request, Callback done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  transfer->result.started = clock_.Now();
  in_flight_.fetch_add(1, std::memory_order_relaxed);

  std::string_view refusal;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (!multi_) {
      refusal = "curl_multi_init failed";
    } else if (stopping_) {
      refusal = kShutDownMessage;
    } else {
      // A non-empty queue already has a wakeup pending (its first request sent it) and the I/O
      // thread takes the whole queue at once: one wakeup per batch, not per request.
      wake = queued_.empty();
      queued_.push_back(std::move(transfer));
    }
  }
  if (!refusal.empty()) {
    HttpResult result = std::move(transfer->result);
    result.error = FailureReason::kOther;
    result.error_message = std::string(refusal);
    Deliver(*transfer, std::move(result));
    return;
  }
  if (wake) curl_multi_wakeup(multi_.get());
}

std::size_t CurlMultiClient::InFlight() const { return in_flight_.load(std::memory_order_relaxed); }

void CurlMultiClient::Run() {
  while (true) {
    StartQueued();
    int running = 0;
    curl_multi_perform(multi_.get(), &running);
    CompleteFinished();
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    curl_multi_poll(multi_.get(), nullptr, 0, kMaxPollMs, nullptr);
  }
  AbandonAll();
}

void CurlMultiClient::StartQueued() {
  std::vector<std::unique_ptr<Transfer>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queued_);
  }
  for (auto& transfer : batch) Start(std::move(transfer));
}

void CurlMultiClient::Start(std::unique_ptr<Transfer> transfer) {
  transfer->easy = CurlEasy::Create();
  std::string failure;
  if (!transfer->easy) {
    failure = "curl_easy_init failed";
  } else if (!transfer->Configure(options_.user_agent)) {
    failure = "unsupported request option for " + transfer->request.url;
  } else if (const CURLMcode code = curl_multi_add_handle(multi_.get(), transfer->easy.get());
             code != CURLM_OK) {
    failure = curl_multi_strerror(code);
  }
  if (!failure.empty()) {
    HttpResult result = std::move(transfer->result);
    result.error = FailureReason::kOther;
    result.error_message = std::move(failure);
    Deliver(*transfer, std::move(result));
    return;
  }
  Transfer* key = transfer.get();
  active_.emplace(key, std::move(transfer));
}

void CurlMultiClient::CompleteFinished() {
  int remaining = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &remaining)) {
    if (message->msg != CURLMSG_DONE) continue;
    // Copy out before remove_handle invalidates the message.
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;
    char* private_data = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private_data);
    Complete(reinterpret_cast<Transfer*>(private_data), code);
  }
}

void CurlMultiClient::Complete(Transfer* key, CURLcode code) {
  const auto it = active_.find(key);
  if (it == active_.end()) return;
  std::unique_ptr<Transfer> transfer = std::move(it->second);
  active_.erase(it);
  curl_multi_remove_handle(multi_.get(), transfer->easy.get());
  transfer->Finish(code);
  if (transfer->FollowRedirect(clock_.Now(), options_.user_agent)) {
    if (const CURLMcode added = curl_multi_add_handle(multi_.get(), transfer->easy.get());
        added == CURLM_OK) {
      active_.emplace(key, std::move(transfer));
      return;
    } else {
      transfer->result.error = FailureReason::kOther;
      transfer->result.error_message = curl_multi_strerror(added);
    }
  }
  Deliver(*transfer, std::move(transfer->result));
}

void CurlMultiClient::AbandonAll() {
  std::vector<std::unique_ptr<Transfer>> abandoned;
  {
    std::lock_guard lock(mu_);
    abandoned.swap(queued_);
  }
  for (auto& [key, transfer] : active_) {
    curl_multi_remove_handle(multi_.get(), transfer->easy.get());
    abandoned.push_back(std::move(transfer));
  }
  active_.clear();
  const TimePoint now = clock_.Now();
  for (auto& transfer : abandoned) {
    HttpResult result = std::move(transfer->result);
    result.error = FailureReason::kOther;
    result.error_message = std::string(kShutDownMessage);
    result.status_code = 0;
    result.total = now - result.started;
    Deliver(*transfer, std::move(result));
  }
}

void CurlMultiClient::Deliver(Transfer& transfer, HttpResult result) {
  if (transfer.done) transfer.done(std::move(result));
  // After the callback, so InFlight() == 0 means every callback has returned.
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------
// CurlCallerThreadClient

namespace {
// Idle easy handles a loop keeps for reuse (a paired /probe needs a few).
constexpr std::size_t kSpareEasyHandles = 8;

bool IsPlainHttp(std::string_view url) {
  return url.size() > 7 && ToLower(url.substr(0, 7)) == "http://";
}

}  // namespace

struct CurlCallerThreadClient::Loop {
  CurlMulti multi = CurlMulti::Create();
  std::vector<CurlEasy> spare;  // reset, ready for a new transfer

  CurlEasy TakeEasy() {
    if (spare.empty()) return CurlEasy::Create();
    CurlEasy easy = std::move(spare.back());
    spare.pop_back();
    return easy;
  }

  void GiveBack(CurlEasy easy) {
    if (!easy || spare.size() >= kSpareEasyHandles) return;  // freed here
    curl_easy_reset(easy.get());
    spare.push_back(std::move(easy));
  }
};

CurlCallerThreadClient::CurlCallerThreadClient(const Clock& clock)
    : CurlCallerThreadClient(clock, Options{}) {}

CurlCallerThreadClient::CurlCallerThreadClient(const Clock& clock, Options options)
    : clock_(clock), options_(std::move(options)) {}

CurlCallerThreadClient::~CurlCallerThreadClient() = default;

std::unique_ptr<CurlCallerThreadClient::Loop> CurlCallerThreadClient::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Loop> loop = std::move(idle_.back());
      idle_.pop_back();
      return loop;
    }
  }
  auto loop = std::make_unique<Loop>();
  if (loop->multi) {
    curl_multi_setopt(loop->multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(options_.max_total_connections));
    curl_multi_setopt(loop->multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options_.max_host_connections));
    curl_multi_setopt(loop->multi.get(), CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options_.connection_cache_size));
  }
  return loop;
}

void CurlCallerThreadClient::Release(std::unique_ptr<Loop> loop) {
  if (!loop->multi) return;  // not worth keeping
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(loop));
}

void CurlCallerThreadClient::Send(HttpRequest request, Callback done) {
  std::vector<HttpRequest> one;
  one.push_back(std::move(request));
  HttpResult result = std::move(SendAllBlocking(std::move(one)).front());
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  if (done) done(std::move(result));
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t CurlCallerThreadClient::InFlight() const {
  return in_flight_.load(std::memory_order_relaxed);
}

std::vector<HttpResult> CurlCallerThreadClient::SendAllBlocking(std::vector<HttpRequest> requests) {
  const std::size_t count = requests.size();
  in_flight_.fetch_add(count, std::memory_order_relaxed);
  std::unique_ptr<Loop> loop = Acquire();
  CURLM* multi = loop->multi.get();

  // Sized once: curl holds pointers into each transfer (error buffer, callbacks' user data).
  std::vector<detail::CurlTransfer> transfers(count);
  std::vector<bool> added(count, false);
  std::size_t running = 0;
  for (std::size_t i = 0; i < count; ++i) {
    detail::CurlTransfer& transfer = transfers[i];
    transfer.request = std::move(requests[i]);
    transfer.result.started = clock_.Now();
    std::string failure;
    if (!multi) {
      failure = "curl_multi_init failed";
    } else if (transfer.easy = loop->TakeEasy(); !transfer.easy) {
      failure = "curl_easy_init failed";
    } else if (!transfer.Configure(options_.user_agent)) {
      failure = "unsupported request option for " + transfer.request.url;
    } else if (const CURLMcode code = curl_multi_add_handle(multi, transfer.easy.get());
               code != CURLM_OK) {
      failure = curl_multi_strerror(code);
    }
    if (!failure.empty()) {
      transfer.result.error = FailureReason::kOther;
      transfer.result.error_message = std::move(failure);
      continue;
    }
    added[i] = true;
    ++running;
  }

  while (running > 0) {
    int still_running = 0;
    curl_multi_perform(multi, &still_running);
    int remaining = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &remaining)) {
      if (message->msg != CURLMSG_DONE) continue;
      // Copy out before remove_handle invalidates the message.
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      char* private_data = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private_data);
      auto* transfer = reinterpret_cast<detail::CurlTransfer*>(private_data);
      const auto index = static_cast<std::size_t>(transfer - transfers.data());
      if (index >= count || !added[index]) continue;
      curl_multi_remove_handle(multi, easy);
      transfer->Finish(code);
      // The guard runs here, on the caller's thread, where /probe's DNS look-ups may block.
      if (transfer->FollowRedirect(clock_.Now(), options_.user_agent)) {
        const CURLMcode added = curl_multi_add_handle(multi, easy);
        if (added == CURLM_OK) continue;
        transfer->result.error = FailureReason::kOther;
        transfer->result.error_message = curl_multi_strerror(added);
      }
      added[index] = false;
      --running;
    }
    if (running == 0) break;
    curl_multi_poll(multi, nullptr, 0, kMaxPollMs, nullptr);
  }

  std::vector<HttpResult> results;
  results.reserve(count);
  for (detail::CurlTransfer& transfer : transfers) {
    results.push_back(std::move(transfer.result));
    // An easy handle keeps its TLS session cache across curl_easy_reset, and a reused one would
    // then resume sessions a fresh handle (CurlMultiClient) never could: only handles that saw
    // plain HTTP alone are kept.
    if (transfer.redirects_followed == 0 && IsPlainHttp(transfer.request.url)) {
      loop->GiveBack(std::move(transfer.easy));
    }
  }
  Release(std::move(loop));
  in_flight_.fetch_sub(count, std::memory_order_relaxed);
  return results;
}

}  // namespace healthgap::probe
