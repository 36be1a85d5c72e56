#include "eval/outcome.h"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <string>
#include <vector>

namespace healthgap::eval {
namespace {

using std::chrono::milliseconds;

Response Answer(int status, Duration total = milliseconds(10)) {
  Response response;
  response.status_code = status;
  response.total = total;
  return response;
}

Response TransportError(std::optional<FailureReason> kind) {
  Response response;
  response.transport_failure = kind;
  return response;
}

const StatusMatcher k2xx;

struct ErrorCase {
  std::optional<FailureReason> kind;
  FailureReason reason;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const ErrorCase& c, std::ostream* out) { *out << ToString(c.reason); }

class ClassifyTransportError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ClassifyTransportError, MapsToMatchingReason) {
  const Outcome outcome = Classify(TransportError(GetParam().kind), k2xx);
  EXPECT_FALSE(outcome.success);
  ASSERT_TRUE(outcome.reason.has_value());
  EXPECT_EQ(*outcome.reason, GetParam().reason) << ToString(*outcome.reason);
}

INSTANTIATE_TEST_SUITE_P(
    EveryErrorKind, ClassifyTransportError,
    ::testing::Values(ErrorCase{FailureReason::kTimeout, FailureReason::kTimeout},
                      ErrorCase{FailureReason::kConnectionRefused,
                                FailureReason::kConnectionRefused},
                      ErrorCase{FailureReason::kConnectionReset, FailureReason::kConnectionReset},
                      ErrorCase{FailureReason::kDns, FailureReason::kDns},
                      ErrorCase{FailureReason::kTls, FailureReason::kTls},
                      ErrorCase{FailureReason::kTooLarge, FailureReason::kTooLarge},
                      ErrorCase{FailureReason::kBadResponse, FailureReason::kBadResponse},
                      ErrorCase{FailureReason::kRedirectLoop, FailureReason::kRedirectLoop},
                      ErrorCase{FailureReason::kOther, FailureReason::kOther}));

TEST(Classify, NoTransportFailureMeansNoFailureReasonFromTheTransport) {
  Response result = TransportError(std::nullopt);
  result.status_code = 200;
  EXPECT_FALSE(Classify(result, k2xx).reason.has_value());
}

TEST(Classify, TransportErrorWinsOverStatus) {
  Response result = TransportError(FailureReason::kConnectionReset);
  result.status_code = 200;  // headers arrived, then the peer reset mid-body
  EXPECT_EQ(Classify(result, k2xx).reason, FailureReason::kConnectionReset);
}

TEST(Classify, MatchingStatusSucceeds) {
  const Outcome outcome = Classify(Answer(204), k2xx);
  EXPECT_TRUE(outcome.success);
  EXPECT_FALSE(outcome.reason.has_value());
}

TEST(Classify, UnmatchedStatusFails) {
  EXPECT_EQ(Classify(Answer(500), k2xx).reason, FailureReason::kStatus);
  EXPECT_EQ(Classify(Answer(302), k2xx).reason, FailureReason::kStatus);
  EXPECT_FALSE(Classify(Answer(500), k2xx).success);
}

TEST(Classify, RangeBoundariesAreInclusive) {
  const StatusMatcher health{{{200, 399}}};
  EXPECT_TRUE(Classify(Answer(200), health).success);
  EXPECT_TRUE(Classify(Answer(399), health).success);
  EXPECT_FALSE(Classify(Answer(199), health).success);
  EXPECT_FALSE(Classify(Answer(400), health).success);
}

TEST(Classify, OverBudgetIsSlow) {
  const Outcome outcome = Classify(Answer(200, milliseconds(301)), k2xx, milliseconds(300));
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.reason, FailureReason::kSlow);
}

TEST(Classify, ExactlyAtBudgetIsFine) {
  EXPECT_TRUE(Classify(Answer(200, milliseconds(300)), k2xx, milliseconds(300)).success);
}

TEST(Classify, NoBudgetNeverSlow) {
  EXPECT_TRUE(Classify(Answer(200, std::chrono::seconds(60)), k2xx).success);
}

TEST(Classify, SlowErrorStatusCountsAsStatus) {
  EXPECT_EQ(Classify(Answer(503, milliseconds(900)), k2xx, milliseconds(300)).reason,
            FailureReason::kStatus);
}

}  // namespace
}  // namespace healthgap::eval

namespace healthgap::eval {
namespace {

Regex Re(const std::string& pattern) {
  std::string error;
  auto regex = Regex::Compile(pattern, &error);
  if (!regex) throw std::runtime_error(error);
  return *regex;
}

struct Judged {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Outcome Classify(const ResponseConditions& conditions, int status = 200,
                   Duration total = milliseconds(10)) const {
    Response response = Answer(status, total);
    response.headers = headers;
    response.body = body;
    return eval::Classify(response, k2xx, milliseconds(100), conditions);
  }
};

TEST(ClassifyConditions, BodyMatchingAFailIfPatternFailsAsBodyMismatch) {
  const Judged error_envelope{{}, R"({"error":"db down"})"};
  ResponseConditions conditions;
  conditions.fail_if_body_matches = {Re(R"("error")")};
  EXPECT_EQ(error_envelope.Classify(conditions).reason, FailureReason::kBodyMismatch);
  EXPECT_TRUE(Judged({}, R"({"rows":3})").Classify(conditions).success);
}

TEST(ClassifyConditions, EveryNotMatchesPatternMustMatch) {
  ResponseConditions conditions;
  conditions.fail_if_body_not_matches = {Re(R"("status":\s*"UP")"), Re("rows")};
  EXPECT_TRUE(Judged({}, R"({"status": "UP", "rows": 3})").Classify(conditions).success);
  EXPECT_EQ(Judged({}, R"({"status": "UP"})").Classify(conditions).reason,
            FailureReason::kBodyMismatch);
}

TEST(ClassifyConditions, HeaderConditionsFollowBlackboxExporter) {
  ResponseConditions matches;
  matches.fail_if_header_matches = {{"X-Cache", Re("(?i)hit"), false}};
  EXPECT_EQ(Judged({{"x-cache", "HIT"}}, "").Classify(matches).reason,
            FailureReason::kHeaderMismatch);
  EXPECT_TRUE(Judged({}, "").Classify(matches).success);  // missing: nothing matches

  ResponseConditions not_matches;
  not_matches.fail_if_header_not_matches = {{"Content-Type", Re("^application/json"), false}};
  EXPECT_TRUE(Judged({{"content-type", "application/json"}}, "").Classify(not_matches).success);
  EXPECT_EQ(Judged({{"content-type", "text/html"}}, "").Classify(not_matches).reason,
            FailureReason::kHeaderMismatch);
  EXPECT_EQ(Judged({}, "").Classify(not_matches).reason, FailureReason::kHeaderMismatch);
  not_matches.fail_if_header_not_matches[0].allow_missing = true;
  EXPECT_TRUE(Judged({}, "").Classify(not_matches).success);
}

TEST(ClassifyConditions, StatusThenHeadersThenBodyThenLatency) {
  ResponseConditions conditions;
  conditions.fail_if_body_matches = {Re("error")};
  conditions.fail_if_header_matches = {{"X-Cache", Re("hit"), false}};
  const Judged both{{{"x-cache", "hit"}}, "error"};
  EXPECT_EQ(both.Classify(conditions, 500).reason, FailureReason::kStatus);
  EXPECT_EQ(both.Classify(conditions).reason, FailureReason::kHeaderMismatch);
  EXPECT_EQ(Judged({}, "error").Classify(conditions, 200, milliseconds(500)).reason,
            FailureReason::kBodyMismatch);
  EXPECT_EQ(Judged({}, "fine").Classify(conditions, 200, milliseconds(500)).reason,
            FailureReason::kSlow);
}

// A pattern that backtracks exponentially in a backtracking engine, against 1 MiB that makes
// it do so: RE2 matches in time linear in the body, so the probe's judgement cannot stall. The
// deadline only catches a hang; it is no timing claim.
TEST(ClassifyConditions, AHostileMegabyteBodyIsJudgedWithoutStalling) {
  ResponseConditions conditions;
  conditions.fail_if_body_matches = {Re("(a+)+$"), Re("(x+x+)+y")};
  conditions.fail_if_body_not_matches = {Re("^(a|aa)+b")};
  const Judged hostile{{}, std::string(1 << 20, 'a') + "!"};
  auto judged = std::async(std::launch::async, [&] { return hostile.Classify(conditions); });
  ASSERT_EQ(judged.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(judged.get().reason, FailureReason::kBodyMismatch);  // nothing ends in b
}

}  // namespace
}  // namespace healthgap::eval
