#include "eval/outcome.h"

#include <gtest/gtest.h>

#include <string>

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
