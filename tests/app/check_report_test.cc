#include "app/check_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "app/check.h"
#include "common/clock.h"
#include "support/instant_http_client.h"

namespace healthgap::app {
namespace {

using std::chrono::milliseconds;

const std::string kGoldenDir = HEALTHGAP_SOURCE_DIR "/tests/app/testdata/";

// The whole output of `check` with every response scripted and fake time, so the report is
// the same byte for byte on every run. HEALTHGAP_UPDATE_GOLDEN=1 rewrites the golden file.
void ExpectReportMatchesGolden(const CheckOptions& options,
                               testing::InstantHttpClient::Answer answer, const std::string& golden,
                               int expected_exit_code) {
  FakeClock clock;
  testing::InstantHttpClient client(clock, milliseconds(50), std::move(answer));
  std::ostringstream out;
  EXPECT_EQ(RunCheck(options, client, clock, out), expected_exit_code) << out.str();
  const std::string path = kGoldenDir + golden;
  if (std::getenv("HEALTHGAP_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << out.str();
  }
  std::ifstream file(path);
  ASSERT_TRUE(file.good()) << "missing golden file " << path;
  std::stringstream expected;
  expected << file.rdbuf();
  EXPECT_EQ(out.str(), expected.str()) << "report differs from " << path;
}

probe::HttpResult Status(int code, milliseconds latency) {
  probe::HttpResult result;
  result.status_code = code;
  result.total = latency;
  return result;
}

CheckOptions Options() {
  CheckOptions options;
  options.base_url = "http://10.0.1.1:8080/";
  options.sample_paths = {"/api/data"};
  return options;
}

TEST(CheckReportTest, ShallowHealthCheckIsAMismatch) {
  ExpectReportMatchesGolden(
      Options(),
      [](const probe::HttpRequest& request) {
        return request.url.ends_with("/health") ? Status(200, milliseconds(2))
                                                : Status(500, milliseconds(40));
      },
      "check_report_shallow.txt", kCheckMismatch);
}

TEST(CheckReportTest, HealthyTargetWithTwoHealthPathsAndTwoSamples) {
  CheckOptions options = Options();
  options.health_paths = {"/health", "/ready"};
  options.sample_paths = {"/api/data", "/api/orders"};
  ExpectReportMatchesGolden(
      options, [](const probe::HttpRequest&) { return Status(200, milliseconds(12)); },
      "check_report_healthy.txt", kCheckHealthy);
}

TEST(CheckReportTest, RefusedConnectionsAreDown) {
  ExpectReportMatchesGolden(
      Options(),
      [](const probe::HttpRequest&) {
        probe::HttpResult result;
        result.error = FailureReason::kConnectionRefused;
        result.error_message = "Connection refused";
        return result;
      },
      "check_report_down.txt", kCheckDown);
}

// Every fourth API request fails: 25% against a 20% threshold, too close to tell in 40 rounds.
TEST(CheckReportTest, ARatioTooCloseToTheThresholdIsInconclusive) {
  CheckOptions options = Options();
  options.rounds = 40;
  int requests = 0;
  ExpectReportMatchesGolden(
      options,
      [&requests](const probe::HttpRequest& request) {
        if (request.url.ends_with("/health")) return Status(200, milliseconds(2));
        return Status(++requests % 4 == 0 ? 500 : 200, milliseconds(20));
      },
      "check_report_inconclusive.txt", kCheckUnknown);
}

// Health fails every other round while the API works: a flapping check, which a load balancer
// keeps taking out of rotation.
TEST(CheckReportTest, AFlappingHealthCheckIsAFalseNegative) {
  int checks = 0;
  ExpectReportMatchesGolden(
      Options(),
      [&checks](const probe::HttpRequest& request) {
        if (request.url.ends_with("/health")) {
          return Status(++checks % 2 == 0 ? 503 : 200, milliseconds(2));
        }
        return Status(200, milliseconds(20));
      },
      "check_report_flapping.txt", kCheckFalseNegative);
}

}  // namespace
}  // namespace healthgap::app
