#include "probe/curl_multi_client.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "probe/curl_transfer.h"

namespace healthgap::probe {
namespace {

// Upper bound on one wait; epoll returns earlier for I/O, curl's timer and the wakeup, so this
// only bounds how stale a missed wakeup could be.
constexpr int kMaxPollMs = 1000;
// Ready sockets handled per epoll_wait; more stay ready for the next one.
constexpr int kEventsPerWait = 512;
// What marks the wakeup's eventfd in epoll (curl's sockets carry their fd, never negative).
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0};

// Milliseconds from now until `deadline`, rounded up (so it has passed when a wait returns),
// at most `max_ms`.
int MillisecondsUntil(std::chrono::steady_clock::time_point deadline, int max_ms) {
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, max_ms));
}

}  // namespace

CurlMultiClient::CurlMultiClient(const Clock& clock) : CurlMultiClient(clock, Options{}) {}

CurlMultiClient::CurlMultiClient(const Clock& clock, Options options)
    : clock_(clock),
      options_(std::move(options)),
      multi_(CurlMulti::Create()),
      exchanges_(std::make_unique<detail::TcpExchanges>()) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake{.events = EPOLLIN, .data = {.u64 = kWakeTag}};
  if (epoll_fd_ < 0 || wake_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
    multi_ = CurlMulti();  // Send reports the failure on every request
  }
  if (!multi_) return;
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options_.max_total_connections));
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options_.max_host_connections));
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS,
                    static_cast<long>(options_.connection_cache_size));
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &CurlMultiClient::OnSocket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &CurlMultiClient::OnTimer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  io_thread_ = std::thread([this] { Run(); });
}

CurlMultiClient::~CurlMultiClient() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (io_thread_.joinable()) {
    Wake();
    io_thread_.join();
  }
  multi_ = CurlMulti();  // its cached connections close through OnSocket, before the fds go
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
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
  if (wake) Wake();
}

std::size_t CurlMultiClient::InFlight() const { return in_flight_.load(std::memory_order_relaxed); }

void CurlMultiClient::Wake() {
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) is a wakeup pending already.
  [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof one);
}

int CurlMultiClient::OnSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* self,
                              void* /*assigned*/) {
  auto& client = *static_cast<CurlMultiClient*>(self);
  if (what == CURL_POLL_REMOVE) {
    // Fails harmlessly when curl closed the socket already (closing removed it).
    epoll_ctl(client.epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
    return 0;
  }
  epoll_event event{};
  event.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
  event.data.u64 = static_cast<std::uint64_t>(socket);
  // Modify first: a socket curl announces again is most often one it announced before. A
  // number reused after a close (which left epoll on its own) is added.
  if (epoll_ctl(client.epoll_fd_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
    epoll_ctl(client.epoll_fd_, EPOLL_CTL_ADD, socket, &event);
  }
  return 0;
}

int CurlMultiClient::OnTimer(CURLM* /*multi*/, long timeout_ms, void* self) {
  auto& client = *static_cast<CurlMultiClient*>(self);
  if (timeout_ms < 0) {
    client.curl_timer_.reset();
  } else {
    client.curl_timer_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void CurlMultiClient::Run() {
  while (true) {
    StartQueued();
    ActOnTimeout();
    CompleteFinished();
    AdvanceExchanges();
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    int wait_ms = exchanges_->PollTimeoutMs(kMaxPollMs, clock_.Now());
    if (curl_timer_) wait_ms = MillisecondsUntil(*curl_timer_, wait_ms);
    WaitAndAct(wait_ms);
    CompleteFinished();
  }
  AbandonAll();
}

void CurlMultiClient::ActOnTimeout() {
  if (!curl_timer_ || *curl_timer_ > std::chrono::steady_clock::now()) return;
  curl_timer_.reset();  // curl sets it again (from inside the call) if it wants another
  int running = 0;
  curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
}

void CurlMultiClient::WaitAndAct(int max_ms) {
  if (!exchanges_->empty()) {
    // TCP exchanges run on sockets curl no longer watches: one poll waits on them and on the
    // epoll set (readable while any of its sockets is ready), then epoll says which.
    std::vector<pollfd> fds{{.fd = epoll_fd_, .events = POLLIN, .revents = 0}};
    for (const curl_waitfd& wait : exchanges_->WaitFds()) {
      fds.push_back(
          {.fd = wait.fd,
           .events = static_cast<short>(wait.events & CURL_WAIT_POLLOUT ? POLLOUT : POLLIN),
           .revents = 0});
    }
    poll(fds.data(), fds.size(), max_ms);
    max_ms = 0;
  }
  std::array<epoll_event, kEventsPerWait> events;
  const int ready = epoll_wait(epoll_fd_, events.data(), kEventsPerWait, max_ms);
  for (int i = 0; i < ready; ++i) {
    const epoll_event& event = events[static_cast<std::size_t>(i)];
    if (event.data.u64 == kWakeTag) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t drained = read(wake_fd_, &count, sizeof count);
      continue;
    }
    int flags = 0;
    if (event.events & EPOLLIN) flags |= CURL_CSELECT_IN;
    if (event.events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (event.events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
    int running = 0;
    curl_multi_socket_action(multi_.get(), static_cast<curl_socket_t>(event.data.u64), flags,
                             &running);
  }
  ActOnTimeout();
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
