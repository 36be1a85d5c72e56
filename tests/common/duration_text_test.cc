#include "common/duration_text.h"

#include <gtest/gtest.h>

#include <chrono>

namespace healthgap {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(HumanDuration, ReadableUnits) {
  EXPECT_EQ(HumanDuration(Duration{0}), "0.0 ms");
  EXPECT_EQ(HumanDuration(microseconds(400)), "0.4 ms");
  EXPECT_EQ(HumanDuration(milliseconds(2)), "2 ms");
  EXPECT_EQ(HumanDuration(microseconds(12'400)), "12 ms");
  EXPECT_EQ(HumanDuration(milliseconds(999)), "999 ms");
  EXPECT_EQ(HumanDuration(seconds(1)), "1 s");
  EXPECT_EQ(HumanDuration(milliseconds(2500)), "2.5 s");
  EXPECT_EQ(HumanDuration(seconds(75)), "75 s");
}

}  // namespace
}  // namespace healthgap
