#include "demo/backend.h"

#include <httplib.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <latch>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "common/listen_address.h"
#include "demo/dependencies.h"
#include "demo/grpc_health.h"

namespace healthgap::demo {
namespace {

using Json = nlohmann::ordered_json;
using std::chrono::milliseconds;

constexpr int kPoolSize = 10;
// SQLAlchemy's pool_timeout, shortened so a prober with a 5 s timeout sees the 503.
constexpr milliseconds kPoolWait{2000};
// Real deadlocked handlers never return; ours give up eventually so threads are not held forever.
constexpr milliseconds kStuckHandlerLimit{30'000};
// Stuck handlers each hold a server thread; enough threads keep /health answering while a
// prober piles up API requests for kStuckHandlerLimit.
constexpr std::size_t kServerThreadsDeadlock = 128;
constexpr std::size_t kServerThreads = 32;
constexpr std::chrono::seconds kListenDeadline{10};
constexpr int kCachedHealthMaxAgeSeconds = 3600;
// flaky: every kFlakyEvery-th API request fails, deterministically (1 %).
constexpr std::uint64_t kFlakyEvery = 100;
// slow: correct answers after this long, well within any sensible latency budget.
constexpr milliseconds kSlowApiDelay{50};
// detached: overloaded handlers take this long, more than the demo's 3 s sample timeout.
constexpr milliseconds kDetachedApiDelay{4000};

std::string FormatUtc(std::chrono::system_clock::time_point time, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  const std::size_t length = std::strftime(buffer, sizeof(buffer), format, &utc);
  return std::string(buffer, length);
}

std::string HttpDate(std::chrono::system_clock::time_point time) {
  return FormatUtc(time, "%a, %d %b %Y %H:%M:%S GMT");
}

std::string Iso8601(std::chrono::system_clock::time_point time) {
  return FormatUtc(time, "%Y-%m-%dT%H:%M:%SZ");
}

void SetJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

Json ErrorBody(std::string_view error) { return Json{{"error", error}}; }

// Deep health: every listed check must be "ok".
Json DeepHealthBody(const std::vector<std::pair<std::string, std::string>>& checks, bool* healthy) {
  *healthy = true;
  Json check_results = Json::object();
  for (const auto& [name, result] : checks) {
    check_results[name] = result;
    if (result != "ok") *healthy = false;
  }
  return Json{{"status", *healthy ? "ok" : "unavailable"}, {"checks", check_results}};
}

// Why bind failed, found by binding a plain socket the same way: httplib reports only false.
std::string DescribeBindFailure(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* addresses = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses); rc != 0) {
    return "cannot listen on " + where + ": " + gai_strerror(rc);
  }
  std::string reason = "bind failed";
  for (addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
    const int fd = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
    if (fd < 0) {
      reason = std::strerror(errno);
      continue;
    }
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, address->ai_addr, address->ai_addrlen) != 0) {
      reason = std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(addresses);
  return "cannot listen on " + where + ": " + reason;
}

// Two background workers that take two locks in opposite orders: the classic ABBA deadlock.
// Every API handler reads through the cache, so it needs cache_lock and gets stuck too.
// Thread-safe.
class DeadlockedWorkers {
 public:
  DeadlockedWorkers() = default;
  DeadlockedWorkers(const DeadlockedWorkers&) = delete;
  DeadlockedWorkers& operator=(const DeadlockedWorkers&) = delete;
  ~DeadlockedWorkers() { Release(); }

  // Returns once both workers hold their first lock, i.e. the deadlock is certain. Call once.
  void Form() {
    auto worker = [this](InterruptibleLock& first, InterruptibleLock& second) {
      if (first.Acquire() != WaitOutcome::kAcquired) {
        both_hold_first_.count_down();
        return;
      }
      both_hold_first_.arrive_and_wait();
      if (second.Acquire() == WaitOutcome::kAcquired) second.Release();
      first.Release();
    };
    // cache-refresher: cache then database; db-reconnector: database then cache.
    workers_.emplace_back(worker, std::ref(cache_lock_), std::ref(db_lock_));
    workers_.emplace_back(worker, std::ref(db_lock_), std::ref(cache_lock_));
    both_hold_first_.arrive_and_wait();
  }

  InterruptibleLock& cache_lock() { return cache_lock_; }

  // Wakes every waiter (workers and handlers) and joins the workers.
  void Release() {
    cache_lock_.Close();
    db_lock_.Close();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
  }

 private:
  InterruptibleLock cache_lock_;
  InterruptibleLock db_lock_;
  // A member, not a local of Form(): workers may still be returning from it after Form() does.
  std::latch both_hold_first_{3};  // two workers and Form()
  std::vector<std::thread> workers_;
};

struct CachedResponse {
  std::string body;
  std::string date;  // HTTP-date when it was cached
  std::chrono::steady_clock::time_point cached_at;
};

}  // namespace

struct DemoBackend::Impl {
  Impl(DemoMode mode, std::string host, int port)
      : mode(mode), host(std::move(host)), requested_port(port) {}

  void PrepareApplication();
  void ShutdownApplication();
  void Route();
  void HandleHealth(httplib::Response& res);
  void HandleApi(std::string_view endpoint, httplib::Response& res);

  const DemoMode mode;
  const std::string host;
  const int requested_port;
  std::atomic<int> bound_port{0};

  std::mutex lifecycle_mu;
  enum class State { kNew, kRunning, kStopped } state = State::kNew;
  httplib::Server server;
  std::thread listener;
  std::atomic<bool> listener_exited{false};

  // The simulated application.
  SimulatedDependency database{"database", "db.internal:5432", true};
  SimulatedDependency recommendations{"recommendations", "recommendations.internal:8080", true};
  SimulatedDependency redis{"redis", "redis.internal:6379", true};
  ConnectionPool pool{kPoolSize};
  DeadlockedWorkers deadlock;
  CachedResponse cached_health;
  GrpcHealthService grpc_health;  // grpc-checked only
  std::atomic<std::uint64_t> api_requests{0};
  // Interruptible waits of the slow and detached handlers: Stop must not wait for them.
  std::mutex delay_mu;
  std::condition_variable delay_cv;
  bool stopping = false;  // guarded by delay_mu

  // Waits `delay` unless the backend stops first; false when it stops.
  bool Delay(milliseconds delay) {
    std::unique_lock lock(delay_mu);
    return !delay_cv.wait_for(lock, delay, [this] { return stopping; });
  }
};

void DemoBackend::Impl::PrepareApplication() {
  switch (mode) {
    case DemoMode::kHonest:
      break;
    case DemoMode::kShallowHealth:
    case DemoMode::kTcpChecked:
    case DemoMode::kGrpcChecked:
      database.SetUp(false);
      break;
    case DemoMode::kPoolExhaustion:
      // A batch job borrowed every connection and never returned them.
      while (pool.Leak()) {
      }
      break;
    case DemoMode::kCachedHealth: {
      // Cached at startup while the database was still up; it died right after.
      const auto now = std::chrono::system_clock::now();
      Json body{{"status", "ok"},
                {"checks", {{"database", database.Check()}}},
                {"checked_at", Iso8601(now)}};
      cached_health = {body.dump(), HttpDate(now), std::chrono::steady_clock::now()};
      database.SetUp(false);
      break;
    }
    case DemoMode::kDeadlock:
      deadlock.Form();
      break;
    case DemoMode::kFalseNegative:
      recommendations.SetUp(false);
      break;
    case DemoMode::kDegraded:
      redis.SetUp(false);
      break;
    case DemoMode::kFlaky:
    case DemoMode::kSlow:
    case DemoMode::kDetached:
      break;
  }
}

void DemoBackend::Impl::ShutdownApplication() {
  pool.Close();
  deadlock.Release();
  {
    std::lock_guard lock(delay_mu);
    stopping = true;
  }
  delay_cv.notify_all();
}

void DemoBackend::Impl::HandleHealth(httplib::Response& res) {
  bool healthy = true;
  switch (mode) {
    case DemoMode::kHonest:
    case DemoMode::kFlaky:
    case DemoMode::kSlow: {
      const std::string pool_check =
          pool.in_use() < pool.size() ? std::string("ok") : "error: pool exhausted";
      Json body = DeepHealthBody({{"database", database.Check()}, {"connection_pool", pool_check}},
                                 &healthy);
      SetJson(res, healthy ? 200 : 503, body);
      return;
    }
    case DemoMode::kShallowHealth:
    case DemoMode::kTcpChecked:   // the balancer checks the port, not this
    case DemoMode::kGrpcChecked:  // the balancer calls the gRPC health service, not this
      // The bug: nothing is checked.
      SetJson(res, 200, Json{{"status", "ok"}});
      return;
    case DemoMode::kDegraded: {
      // The bug: every dependency is checked, but the status code ignores the result.
      Json body{
          {"database", database.Check()}, {"redis", redis.Check()}, {"disk", "ok: 41.2% free"}};
      SetJson(res, 200, body);
      return;
    }
    case DemoMode::kPoolExhaustion:
    case DemoMode::kDeadlock:
    case DemoMode::kDetached: {
      // A direct connection, apart from the pool and the handler locks: blind to both.
      Json body = DeepHealthBody({{"database", database.Check()}}, &healthy);
      SetJson(res, healthy ? 200 : 503, body);
      return;
    }
    case DemoMode::kCachedHealth: {
      const auto age = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::steady_clock::now() - cached_health.cached_at);
      res.status = 200;
      res.set_header("Cache-Control", "max-age=" + std::to_string(kCachedHealthMaxAgeSeconds));
      res.set_header("Age", std::to_string(age.count()));
      res.set_header("Date", cached_health.date);
      res.set_content(cached_health.body, "application/json");
      return;
    }
    case DemoMode::kFalseNegative: {
      // The bug: an optional dependency is treated as critical.
      Json body = DeepHealthBody(
          {{"database", database.Check()}, {"recommendations", recommendations.Check()}}, &healthy);
      SetJson(res, healthy ? 200 : 503, body);
      return;
    }
  }
}

void DemoBackend::Impl::HandleApi(std::string_view endpoint, httplib::Response& res) {
  // Released when the handler returns; only ever acquired if the deadlock is gone.
  struct LockHolder {
    InterruptibleLock* lock = nullptr;
    ~LockHolder() {
      if (lock != nullptr) lock->Release();
    }
  } cache_lock_holder;
  if (mode == DemoMode::kDeadlock) {
    switch (deadlock.cache_lock().AcquireFor(kStuckHandlerLimit)) {
      case WaitOutcome::kAcquired:
        cache_lock_holder.lock = &deadlock.cache_lock();
        break;
      case WaitOutcome::kTimedOut:
        SetJson(res, 503,
                ErrorBody("request handler stuck waiting for the cache lock (waited " +
                          std::to_string(kStuckHandlerLimit.count()) + " ms)"));
        return;
      case WaitOutcome::kClosed:
        SetJson(res, 503, ErrorBody("shutting down"));
        return;
    }
  }

  const std::uint64_t request_number = ++api_requests;
  if (mode == DemoMode::kDetached && !Delay(kDetachedApiDelay)) {
    SetJson(res, 503, ErrorBody("shutting down"));
    return;
  }
  if (mode == DemoMode::kSlow && !Delay(kSlowApiDelay)) {
    SetJson(res, 503, ErrorBody("shutting down"));
    return;
  }
  if (mode == DemoMode::kFlaky && request_number % kFlakyEvery == 0) {
    SetJson(res, 500, Json{{"error", "Internal Server Error"}, {"detail", "transient failure"}});
    return;
  }

  ConnectionPool::AcquireResult connection = pool.Acquire(kPoolWait);
  switch (connection.outcome) {
    case WaitOutcome::kAcquired:
      break;
    case WaitOutcome::kTimedOut:
      SetJson(res, 503,
              ErrorBody("connection pool exhausted (waited " + std::to_string(kPoolWait.count()) +
                        " ms)"));
      return;
    case WaitOutcome::kClosed:
      SetJson(res, 503, ErrorBody("shutting down"));
      return;
  }

  if (const std::string check = database.Check(); check != "ok") {
    SetJson(res, 500, Json{{"error", "Internal Server Error"}, {"detail", "database " + check}});
    return;
  }

  if (endpoint == "data") {
    SetJson(res, 200,
            Json{{"data", Json::array({{{"id", 1}, {"name", "alpha"}, {"value", 42}},
                                       {{"id", 2}, {"name", "beta"}, {"value", 17}},
                                       {{"id", 3}, {"name", "gamma"}, {"value", 99}}})},
                 {"count", 3}});
  } else {
    SetJson(res, 200,
            Json{{"orders",
                  Json::array({{{"id", 1001}, {"status", "shipped"}, {"total_cents", 4599}},
                               {{"id", 1002}, {"status", "pending"}, {"total_cents", 1250}}})},
                 {"count", 2}});
  }
}

void DemoBackend::Impl::Route() {
  server.Get("/health",
             [this](const httplib::Request&, httplib::Response& res) { HandleHealth(res); });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    SetJson(res, 200, Json{{"status", "alive"}});
  });
  server.Get("/api/data",
             [this](const httplib::Request&, httplib::Response& res) { HandleApi("data", res); });
  server.Get("/api/orders",
             [this](const httplib::Request&, httplib::Response& res) { HandleApi("orders", res); });
  // Runs for every status >= 400; keeps the handlers' own error bodies.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        SetJson(res, res.status,
                ErrorBody(res.status == 404 ? "Not Found" : "HTTP " + std::to_string(res.status)));
        return httplib::Server::HandlerResponse::Handled;
      }));

  const std::size_t threads = mode == DemoMode::kDeadlock || mode == DemoMode::kDetached
                                  ? kServerThreadsDeadlock
                                  : kServerThreads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib sets SO_REUSEPORT by default, which would let a second backend share a busy port.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // One request per connection: an idle keep-alive connection would otherwise hold Stop() up
  // to the keep-alive timeout.
  server.set_keep_alive_max_count(1);
}

DemoBackend::DemoBackend(DemoMode mode, std::string host, int port)
    : impl_(std::make_unique<Impl>(mode, std::move(host), port)) {}

DemoBackend::~DemoBackend() { Stop(); }

bool DemoBackend::Start(std::string* error) {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.lifecycle_mu);
  auto fail = [&](std::string message) {
    if (error != nullptr) *error = std::move(message);
    return false;
  };
  if (impl.state != Impl::State::kNew) return fail("demo backend already started");
  if (impl.requested_port < 0 || impl.requested_port > 65535) {
    impl.state = Impl::State::kStopped;
    return fail("invalid port " + std::to_string(impl.requested_port));
  }

  impl.Route();
  int port = impl.requested_port;
  const bool bound = port == 0 ? (port = impl.server.bind_to_any_port(impl.host)) > 0
                               : impl.server.bind_to_port(impl.host, port);
  if (!bound) {
    impl.state = Impl::State::kStopped;
    return fail(DescribeBindFailure(impl.host, impl.requested_port));
  }
  impl.bound_port = port;
  if (impl.mode == DemoMode::kGrpcChecked) {
    std::string grpc_error;
    if (!impl.grpc_health.Start(impl.host, &grpc_error)) {
      impl.state = Impl::State::kStopped;
      return fail(grpc_error);
    }
  }
  impl.PrepareApplication();

  impl.listener = std::thread([&impl] {
    impl.server.listen_after_bind();
    impl.listener_exited = true;
  });
  // httplib 0.11 has no readiness callback, and stop() is a no-op until the accept loop runs.
  const auto deadline = std::chrono::steady_clock::now() + kListenDeadline;
  while (!impl.server.is_running() && !impl.listener_exited &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  if (impl.listener_exited) {
    impl.listener.join();
    impl.ShutdownApplication();
    impl.state = Impl::State::kStopped;
    return fail("demo backend on " + impl.host + ":" + std::to_string(port) +
                " stopped serving right after binding");
  }
  impl.state = Impl::State::kRunning;
  return true;
}

void DemoBackend::Stop() {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.lifecycle_mu);
  if (impl.state == Impl::State::kStopped) return;
  // Release stuck handlers first: the server joins its threads while stopping.
  impl.ShutdownApplication();
  if (impl.state == Impl::State::kRunning) {
    impl.server.stop();
    impl.listener.join();
  }
  impl.grpc_health.Stop();
  impl.state = Impl::State::kStopped;
}

DemoMode DemoBackend::mode() const { return impl_->mode; }

int DemoBackend::port() const { return impl_->bound_port; }

int DemoBackend::grpc_port() const { return impl_->grpc_health.port(); }

std::string DemoBackend::base_url() const {
  const std::string& host = impl_->host;
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

int RunDemoBackend(DemoMode mode, const std::string& listen_address, std::ostream& log) {
  std::string error;
  const std::optional<ListenAddress> address = ParseListenAddress(listen_address, &error);
  if (!address) {
    log << "healthgap demo-backend: " << error << "\n";
    return 2;
  }

  // Blocked before the server threads exist so they inherit the mask and sigwait gets the signal.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t previous_mask;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous_mask);

  int exit_code = 0;
  {
    DemoBackend backend(mode, address->host, address->port);
    if (!backend.Start(&error)) {
      log << "healthgap demo-backend: " << error << "\n";
      exit_code = 1;
    } else {
      const DemoExpectation expectation = ExpectationFor(mode);
      log << "healthgap demo-backend: mode " << ToString(mode) << " serving " << backend.base_url()
          << " (/health, /healthz, /api/data, /api/orders"
          << (backend.grpc_port() > 0
                  ? "; gRPC health on port " + std::to_string(backend.grpc_port())
                  : std::string())
          << "); expected verdict " << expectation.expected_verdict << ": "
          << expectation.explanation << std::endl;
      int received = 0;
      sigwait(&stop_signals, &received);
      log << "healthgap demo-backend: received " << strsignal(received) << ", stopping"
          << std::endl;
      backend.Stop();
    }
  }

  pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  return exit_code;
}

}  // namespace healthgap::demo
