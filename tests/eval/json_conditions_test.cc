#include "eval/json_conditions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace healthgap::eval {
namespace {

bool Holds(std::string_view body, std::initializer_list<const char*> texts) {
  std::vector<JsonCondition> conditions;
  for (const char* text : texts) {
    std::string error;
    auto condition = JsonCondition::Parse(text, &error);
    EXPECT_TRUE(condition) << text << ": " << error;
    if (condition) conditions.push_back(*condition);
  }
  return JsonConditionsHold(body, conditions);
}

constexpr std::string_view kUp =
    R"({"status":"UP","data":[{"id":1},{"id":2}],"count":2,"ok":true,"note":null,"name":"abc"})";

TEST(JsonConditionsTest, TrueConditionsHold) {
  EXPECT_TRUE(
      Holds(kUp, {R"($.status == "UP")", "absent($.error)", "len($.data) > 0", "$.data[1].id == 2",
                  "$.count >= 2", "$.count != 3", "$.ok == true", "$.note == null",
                  "present($.note)", "len($.name) == 3", R"($.status != "DOWN")"}));
}

TEST(JsonConditionsTest, AnErrorEnvelopeFails) {
  constexpr std::string_view kEnvelope = R"({"error":"db down","data":[]})";
  EXPECT_FALSE(Holds(kEnvelope, {"absent($.error)"}));
  EXPECT_FALSE(Holds(kEnvelope, {"len($.data) > 0"}));
  EXPECT_FALSE(Holds(kEnvelope, {R"($.status == "UP")"}));  // a missing path fails
}

TEST(JsonConditionsTest, TypesMustAgree) {
  EXPECT_FALSE(Holds(R"({"count":"2"})", {"$.count == 2"}));
  EXPECT_FALSE(Holds(R"({"count":2})", {R"($.count == "2")"}));
  EXPECT_FALSE(Holds(R"({"ok":1})", {"$.ok == true"}));
  EXPECT_FALSE(Holds(R"({"n":5})", {"len($.n) > 0"}));
  EXPECT_FALSE(Holds(R"({"note":0})", {"$.note == null"}));
  EXPECT_TRUE(Holds(R"({"note":0})", {"$.note != null"}));
}

TEST(JsonConditionsTest, BodiesThatAreNotJsonOrTooDeepFail) {
  EXPECT_FALSE(Holds("<html>error</html>", {"absent($.error)"}));
  EXPECT_FALSE(Holds("", {"absent($.error)"}));
  EXPECT_FALSE(Holds(std::string(10'000, '[') + std::string(10'000, ']'), {"absent($.x)"}));
  EXPECT_TRUE(JsonConditionsHold("not json", {}));  // no conditions, nothing to hold
}

}  // namespace
}  // namespace healthgap::eval
