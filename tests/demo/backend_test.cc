#include "demo/backend.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

namespace healthgap::demo {

// Test names and failure messages show "deadlock" rather than the enum's bytes.
void PrintTo(DemoMode mode, std::ostream* out) { *out << ToString(mode); }

namespace {

using nlohmann::json;
using std::chrono::seconds;

// Above the 2 s pool wait, so pool-exhaustion answers in time; below the deadlock mode's 30 s
// handler limit, so stuck handlers always show up as client timeouts.
constexpr seconds kApiReadTimeout{5};

std::unique_ptr<DemoBackend> StartBackend(DemoMode mode) {
  auto backend = std::make_unique<DemoBackend>(mode);
  std::string error;
  EXPECT_TRUE(backend->Start(&error)) << error;
  return backend;
}

httplib::Client ClientFor(const DemoBackend& backend, seconds read_timeout = kApiReadTimeout) {
  httplib::Client client(backend.base_url());
  client.set_connection_timeout(seconds(5));
  client.set_read_timeout(read_timeout);
  client.set_write_timeout(seconds(5));
  return client;
}

json BodyOf(const httplib::Result& result) {
  return json::parse(result->body, /*cb=*/nullptr, /*allow_exceptions=*/false);
}

class EveryModeTest : public ::testing::TestWithParam<DemoMode> {};

TEST_P(EveryModeTest, HealthAndLivenessMatchTheExpectation) {
  const DemoExpectation expectation = ExpectationFor(GetParam());
  auto backend = StartBackend(GetParam());
  httplib::Client client = ClientFor(*backend);

  const httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, expectation.health_passes ? 200 : 503);
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");
  const json health_body = BodyOf(health);
  ASSERT_TRUE(health_body.is_object()) << health->body;
  if (expectation.body_reports_failure) {
    // The reference's flat map: no overall status, one entry per dependency, one failing.
    EXPECT_FALSE(health_body.contains("status")) << health->body;
    EXPECT_TRUE(std::any_of(health_body.begin(), health_body.end(), [](const json& value) {
      return value.is_string() && value.get<std::string>().starts_with("error");
    })) << health->body;
  } else {
    EXPECT_EQ(health_body.value("status", ""), expectation.health_passes ? "ok" : "unavailable");
  }

  const httplib::Result liveness = client.Get("/healthz");
  ASSERT_TRUE(liveness) << httplib::to_string(liveness.error());
  EXPECT_EQ(liveness->status, 200);
}

TEST_P(EveryModeTest, ApiMatchesTheExpectation) {
  const DemoExpectation expectation = ExpectationFor(GetParam());
  auto backend = StartBackend(GetParam());
  // Stuck (deadlock) or overloaded (detached, 4 s) handlers do not answer within a prober's
  // 1 s: it sees its own timeout (see DeadlockTest).
  const bool stuck = GetParam() == DemoMode::kDeadlock || GetParam() == DemoMode::kDetached;
  httplib::Client client = ClientFor(*backend, stuck ? seconds(1) : kApiReadTimeout);

  for (const char* path : {"/api/data", "/api/orders"}) {
    const httplib::Result result = client.Get(path);
    if (stuck) {
      EXPECT_EQ(result.error(), httplib::Error::Read) << path;
      continue;
    }
    ASSERT_TRUE(result) << path << ": " << httplib::to_string(result.error());
    const json body = BodyOf(result);
    ASSERT_TRUE(body.is_object()) << path << ": " << result->body;
    if (expectation.api_passes) {
      EXPECT_EQ(result->status, 200) << path;
      const char* items = std::string_view(path) == "/api/data" ? "data" : "orders";
      ASSERT_TRUE(body.contains(items)) << path << ": " << result->body;
      EXPECT_EQ(body.value("count", 0u), body[items].size()) << path << ": " << result->body;
    } else {
      EXPECT_GE(result->status, 500) << path;
      EXPECT_TRUE(body.contains("error")) << path << ": " << result->body;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, EveryModeTest, ::testing::ValuesIn(AllDemoModes()),
                         [](const ::testing::TestParamInfo<DemoMode>& info) {
                           std::string name(ToString(info.param));
                           std::erase(name, '-');
                           return name;
                         });

TEST(HonestTest, HealthChecksTheDatabaseAndPool) {
  auto backend = StartBackend(DemoMode::kHonest);
  httplib::Client client = ClientFor(*backend);
  const httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health);
  const json body = BodyOf(health);
  EXPECT_EQ(body["checks"]["database"], "ok");
  EXPECT_EQ(body["checks"]["connection_pool"], "ok");
}

TEST(ShallowHealthTest, HealthSaysOkWithoutChecksWhileApiFails) {
  auto backend = StartBackend(DemoMode::kShallowHealth);
  httplib::Client client = ClientFor(*backend);
  const httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(BodyOf(health), json({{"status", "ok"}}));

  const httplib::Result api = client.Get("/api/data");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 500);
  const json body = BodyOf(api);
  EXPECT_EQ(body["error"], "Internal Server Error");
  EXPECT_EQ(body["detail"], "database error: connection refused (db.internal:5432)");
}

TEST(PoolExhaustionTest, ApiWaitsForThePoolThen503WhileHealthUsesADirectConnection) {
  auto backend = StartBackend(DemoMode::kPoolExhaustion);
  httplib::Client client = ClientFor(*backend);
  const httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(BodyOf(health)["checks"]["database"], "ok");

  const httplib::Result api = client.Get("/api/data");
  ASSERT_TRUE(api) << httplib::to_string(api.error());
  EXPECT_EQ(api->status, 503);
  EXPECT_EQ(BodyOf(api)["error"], "connection pool exhausted (waited 2000 ms)");
}

TEST(CachedHealthTest, HealthReplaysAStaleCachedResponse) {
  auto backend = StartBackend(DemoMode::kCachedHealth);
  httplib::Client client = ClientFor(*backend);
  const httplib::Result first = client.Get("/health");
  const httplib::Result second = client.Get("/health");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  for (const httplib::Result* health : {&first, &second}) {
    EXPECT_EQ((*health)->status, 200);
    EXPECT_EQ((*health)->get_header_value("Cache-Control"), "max-age=3600");
    ASSERT_TRUE((*health)->has_header("Age"));
    const std::string age = (*health)->get_header_value("Age");
    EXPECT_FALSE(age.empty());
    EXPECT_EQ(age.find_first_not_of("0123456789"), std::string::npos) << age;
    EXPECT_EQ((*health)->get_header_value_count("Date"), 1u);
  }
  EXPECT_EQ(first->get_header_value("Date"), second->get_header_value("Date"));
  EXPECT_TRUE(first->get_header_value("Date").ends_with(" GMT")) << first->get_header_value("Date");

  const json body = BodyOf(first);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["checks"]["database"], "ok");
  ASSERT_TRUE(body.contains("checked_at"));
  EXPECT_EQ(body["checked_at"], BodyOf(second)["checked_at"]);

  const httplib::Result api = client.Get("/api/data");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 500);
}

TEST(DeadlockTest, ApiTimesOutWhileHealthAnswersAndStopIsPrompt) {
  auto backend = StartBackend(DemoMode::kDeadlock);
  const std::string base_url = backend->base_url();

  // Several stuck API calls at once, as a prober with a 2 s timeout would pile them up.
  constexpr int kStuckCalls = 8;
  std::vector<std::future<httplib::Error>> api_calls;
  for (int i = 0; i < kStuckCalls; ++i) {
    api_calls.push_back(std::async(std::launch::async, [&backend, i] {
      httplib::Client client = ClientFor(*backend, seconds(2));
      const httplib::Result result = client.Get(i % 2 == 0 ? "/api/data" : "/api/orders");
      return result ? httplib::Error::Success : result.error();
    }));
  }

  httplib::Client health_client = ClientFor(*backend);
  const httplib::Result health_during = health_client.Get("/health");
  ASSERT_TRUE(health_during) << httplib::to_string(health_during.error());
  EXPECT_EQ(health_during->status, 200);

  for (auto& call : api_calls) EXPECT_EQ(call.get(), httplib::Error::Read);

  // The clients gave up but their handlers are still stuck server-side; /health still answers.
  const httplib::Result health_after = health_client.Get("/health");
  ASSERT_TRUE(health_after) << httplib::to_string(health_after.error());
  EXPECT_EQ(health_after->status, 200);
  EXPECT_EQ(BodyOf(health_after)["checks"]["database"], "ok");

  backend->Stop();  // returns although handlers were stuck: a hang fails the test by timeout
  httplib::Client after_stop(base_url);
  after_stop.set_connection_timeout(seconds(5));
  const httplib::Result refused = after_stop.Get("/healthz");
  EXPECT_FALSE(refused);
}

TEST(FalseNegativeTest, HealthFailsOnAnOptionalDependencyWhileApiWorks) {
  auto backend = StartBackend(DemoMode::kFalseNegative);
  httplib::Client client = ClientFor(*backend);
  const httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  const json body = BodyOf(health);
  EXPECT_EQ(body["checks"]["database"], "ok");
  EXPECT_EQ(body["checks"]["recommendations"],
            "error: connection refused (recommendations.internal:8080)");

  const httplib::Result api = client.Get("/api/orders");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 200);
  EXPECT_EQ(BodyOf(api)["orders"].size(), 2u);
}

TEST(DemoBackendTest, UnknownPathIsAJson404) {
  auto backend = StartBackend(DemoMode::kHonest);
  httplib::Client client = ClientFor(*backend);
  const httplib::Result result = client.Get("/nope");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(BodyOf(result)["error"], "Not Found");
}

TEST(DemoBackendTest, BaseUrlNamesTheBoundPort) {
  auto backend = StartBackend(DemoMode::kHonest);
  EXPECT_GT(backend->port(), 0);
  EXPECT_EQ(backend->base_url(), "http://127.0.0.1:" + std::to_string(backend->port()));
  EXPECT_EQ(backend->mode(), DemoMode::kHonest);
}

TEST(DemoBackendTest, StartOnAnOccupiedPortFailsClearly) {
  auto first = StartBackend(DemoMode::kHonest);
  DemoBackend second(DemoMode::kShallowHealth, "127.0.0.1", first->port());
  std::string error;
  EXPECT_FALSE(second.Start(&error));
  EXPECT_EQ(error, "cannot listen on 127.0.0.1:" + std::to_string(first->port()) +
                       ": Address already in use");

  // The first one keeps serving its own mode.
  httplib::Client client = ClientFor(*first);
  const httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(BodyOf(health)["checks"]["database"], "ok");
}

TEST(DemoBackendTest, StartsOnlyOnce) {
  auto backend = StartBackend(DemoMode::kHonest);
  std::string error;
  EXPECT_FALSE(backend->Start(&error));
  EXPECT_EQ(error, "demo backend already started");
}

TEST(DemoBackendTest, StopWithoutStartAndTwiceIsHarmless) {
  DemoBackend never_started(DemoMode::kDeadlock);
  never_started.Stop();
  EXPECT_EQ(never_started.port(), 0);

  auto backend = StartBackend(DemoMode::kPoolExhaustion);
  backend->Stop();
  backend->Stop();
  std::string error;
  EXPECT_FALSE(backend->Start(&error));
}

// A log sink another thread may read while RunDemoBackend writes to it.
class SharedLog : public std::streambuf {
 public:
  std::string contents() const {
    std::lock_guard lock(mu_);
    return text_;
  }

 protected:
  int_type overflow(int_type ch) override {
    if (ch != traits_type::eof()) {
      std::lock_guard lock(mu_);
      text_.push_back(traits_type::to_char_type(ch));
    }
    return ch;
  }
  std::streamsize xsputn(const char* data, std::streamsize count) override {
    std::lock_guard lock(mu_);
    text_.append(data, static_cast<std::size_t>(count));
    return count;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

TEST(RunDemoBackendTest, MalformedAddressExitsWithUsageCode) {
  std::ostringstream log;
  EXPECT_EQ(RunDemoBackend(DemoMode::kHonest, "nonsense", log), 2);
  EXPECT_NE(log.str().find("must be host:port"), std::string::npos) << log.str();
}

TEST(RunDemoBackendTest, OccupiedPortExitsWithFailure) {
  auto occupant = StartBackend(DemoMode::kHonest);
  SharedLog sink;
  std::ostream log(&sink);
  std::promise<int> exit_code;
  std::future<int> exited = exit_code.get_future();
  std::thread runner([&] {
    exit_code.set_value(
        RunDemoBackend(DemoMode::kHonest, "127.0.0.1:" + std::to_string(occupant->port()), log));
  });
  // Should return at once; if a regression lets it serve, stop it rather than hang the suite.
  if (exited.wait_for(seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "RunDemoBackend served on an occupied port: " << sink.contents();
    pthread_kill(runner.native_handle(), SIGTERM);
  }
  runner.join();
  EXPECT_EQ(exited.get(), 1);
  EXPECT_NE(sink.contents().find("Address already in use"), std::string::npos) << sink.contents();
}

TEST(RunDemoBackendTest, ServesUntilSigterm) {
  SharedLog sink;
  std::ostream log(&sink);
  std::promise<int> exit_code;
  std::thread runner(
      [&] { exit_code.set_value(RunDemoBackend(DemoMode::kShallowHealth, "127.0.0.1:0", log)); });

  // The startup line names the URL; it is written after SIGTERM is blocked in the runner, in
  // several pieces: read it once it is complete.
  const std::string url_prefix = "http://127.0.0.1:";
  std::string url;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (url.empty() && std::chrono::steady_clock::now() < deadline) {
    std::string text = sink.contents();
    const std::size_t line_end = text.find('\n');
    text = line_end == std::string::npos ? "" : text.substr(0, line_end);
    const std::size_t start = text.find(url_prefix);
    const std::size_t end = text.find(' ', start == std::string::npos ? 0 : start);
    if (start != std::string::npos && end != std::string::npos)
      url = text.substr(start, end - start);
    std::this_thread::yield();
  }
  ASSERT_FALSE(url.empty()) << sink.contents();
  EXPECT_NE(sink.contents().find("mode shallow-health"), std::string::npos) << sink.contents();
  EXPECT_NE(sink.contents().find("expected verdict mismatch"), std::string::npos);

  httplib::Client client(url);
  client.set_connection_timeout(seconds(5));
  client.set_read_timeout(seconds(5));
  const httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  const std::string log_before_stop = sink.contents();

  pthread_kill(runner.native_handle(), SIGTERM);
  runner.join();
  EXPECT_EQ(exit_code.get_future().get(), 0);
  // One line at startup, one at shutdown, none per request.
  const std::string text = sink.contents();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_NE(text.find("stopping"), std::string::npos) << text;
  EXPECT_EQ(std::count(log_before_stop.begin(), log_before_stop.end(), '\n'), 1);
}

}  // namespace
}  // namespace healthgap::demo
