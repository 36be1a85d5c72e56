#include "common/failure_reason.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string_view>

namespace healthgap {
namespace {

TEST(FailureReasonTest, NamesAreStableAndUnique) {
  EXPECT_EQ(ToString(std::optional<FailureReason>()), "none");  // a response arrived
  EXPECT_EQ(ToString(FailureReason::kStatus), "status");
  EXPECT_EQ(ToString(FailureReason::kSlow), "slow");
  EXPECT_EQ(ToString(FailureReason::kTimeout), "timeout");
  EXPECT_EQ(ToString(FailureReason::kConnectionRefused), "connection_refused");
  EXPECT_EQ(ToString(FailureReason::kConnectionReset), "connection_reset");
  EXPECT_EQ(ToString(FailureReason::kDns), "dns");
  EXPECT_EQ(ToString(FailureReason::kTls), "tls");
  EXPECT_EQ(ToString(FailureReason::kTooLarge), "too_large");
  EXPECT_EQ(ToString(FailureReason::kBadResponse), "bad_response");
  EXPECT_EQ(ToString(FailureReason::kRedirectLoop), "redirect_loop");  // once too_many_redirects
  EXPECT_EQ(ToString(FailureReason::kOther), "other");
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kAllFailureReasons.size(); ++i) {
    // The array doubles as an index: failures_by_reason[i] must mean kAllFailureReasons[i].
    EXPECT_EQ(static_cast<std::size_t>(kAllFailureReasons[i]), i);
    names.insert(ToString(kAllFailureReasons[i]));
  }
  EXPECT_EQ(names.size(), kFailureReasonCount);
}

}  // namespace
}  // namespace healthgap
