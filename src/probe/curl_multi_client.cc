#include "probe/curl_multi_client.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "probe/curl_transfer.h"

namespace healthgap::probe {
namespace {

// Upper bound on one wait; curl_multi_poll returns earlier for I/O, curl's own timers and
// curl_multi_wakeup, so this only bounds how stale a missed wakeup could be.
constexpr int kMaxPollMs = 1000;

}  // namespace

CurlMultiClient::CurlMultiClient(const Clock& clock) : CurlMultiClient(clock, Options{}) {}

CurlMultiClient::CurlMultiClient(const Clock& clock, Options options)
    : clock_(clock),
      options_(std::move(options)),
      multi_(CurlMulti::Create()),
      exchanges_(std::make_unique<detail::TcpExchanges>()) {
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
    AdvanceExchanges();
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    std::vector<curl_waitfd>& fds = exchanges_->WaitFds();
    curl_multi_poll(multi_.get(), fds.data(), static_cast<unsigned>(fds.size()),
                    exchanges_->PollTimeoutMs(kMaxPollMs, clock_.Now()), nullptr);
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
  Transfer& running = *it->second;
  running.Finish(code);
  // A connect-only connection lives in the multi handle: it stays there for the exchange.
  if (running.StartsExchange(clock_.Now())) {
    exchanges_->Add(&running);
    return;
  }
  std::unique_ptr<Transfer> transfer = std::move(it->second);
  active_.erase(it);
  curl_multi_remove_handle(multi_.get(), transfer->easy.get());
  if (transfer->SendsAgain(clock_.Now(), options_.user_agent)) {
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

void CurlMultiClient::AdvanceExchanges() {
  if (exchanges_->empty()) return;
  for (Transfer* done : exchanges_->Advance(clock_.Now())) Retire(done);
}

void CurlMultiClient::Retire(Transfer* key) {
  const auto it = active_.find(key);
  if (it == active_.end()) return;
  std::unique_ptr<Transfer> transfer = std::move(it->second);
  active_.erase(it);
  curl_multi_remove_handle(multi_.get(), transfer->easy.get());
  Deliver(*transfer, std::move(transfer->result));
}

void CurlMultiClient::AbandonAll() {
  exchanges_->TakeAll();  // their transfers are in active_ too
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
  detail::TcpExchanges exchanges;
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
      transfer->Finish(code);
      if (transfer->StartsExchange(clock_.Now())) {
        exchanges.Add(transfer);
        continue;
      }
      curl_multi_remove_handle(multi, easy);
      // The guard runs here, on the caller's thread, where /probe's DNS look-ups may block.
      if (transfer->SendsAgain(clock_.Now(), options_.user_agent)) {
        const CURLMcode added = curl_multi_add_handle(multi, easy);
        if (added == CURLM_OK) continue;
        transfer->result.error = FailureReason::kOther;
        transfer->result.error_message = curl_multi_strerror(added);
      }
      added[index] = false;
      --running;
    }
    for (detail::CurlTransfer* done : exchanges.Advance(clock_.Now())) {
      curl_multi_remove_handle(multi, done->easy.get());
      added[static_cast<std::size_t>(done - transfers.data())] = false;
      --running;
    }
    if (running == 0) break;
    std::vector<curl_waitfd>& fds = exchanges.WaitFds();
    curl_multi_poll(multi, fds.data(), static_cast<unsigned>(fds.size()),
                    exchanges.PollTimeoutMs(kMaxPollMs, clock_.Now()), nullptr);
  }

  std::vector<HttpResult> results;
  results.reserve(count);
  for (detail::CurlTransfer& transfer : transfers) {
    results.push_back(std::move(transfer.result));
    // An easy handle keeps its TLS session cache across curl_easy_reset, and a reused one would
    // then resume sessions a fresh handle (CurlMultiClient) never could: only handles that saw
    // plain HTTP alone are kept.
    // A connect-only handle is not reused either: its connection is not curl's to pool.
    if (transfer.redirects_followed == 0 && !transfer.request.tcp &&
        IsPlainHttp(transfer.request.url)) {
      loop->GiveBack(std::move(transfer.easy));
    }
  }
  Release(std::move(loop));
  in_flight_.fetch_sub(count, std::memory_order_relaxed);
  return results;
}

}  // namespace healthgap::probe
