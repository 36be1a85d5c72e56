#include "common/json_condition.h"

#include <gtest/gtest.h>

#include <string>

namespace healthgap {
namespace {

using Form = JsonCondition::Form;
using Op = JsonCondition::Op;

TEST(JsonConditionParseTest, ReadsEveryForm) {
  std::string error;
  const auto compare = JsonCondition::Parse(R"($.health.status == "UP")", &error);
  ASSERT_TRUE(compare) << error;
  EXPECT_EQ(compare->form, Form::kCompare);
  EXPECT_EQ(compare->path, (std::vector<JsonCondition::Step>{"health", "status"}));
  EXPECT_EQ(compare->op, Op::kEq);
  EXPECT_EQ(compare->literal, JsonCondition::Literal(std::string("UP")));

  const auto length = JsonCondition::Parse("len($.data[0][\"the items\"]) >= 2", &error);
  ASSERT_TRUE(length) << error;
  EXPECT_EQ(length->form, Form::kLength);
  EXPECT_EQ(length->path, (std::vector<JsonCondition::Step>{"data", std::size_t{0}, "the items"}));
  EXPECT_EQ(length->op, Op::kGe);
  EXPECT_EQ(length->literal, JsonCondition::Literal(2.0));

  const auto absent = JsonCondition::Parse("  absent( $.error )  ", &error);
  ASSERT_TRUE(absent) << error;
  EXPECT_EQ(absent->form, Form::kAbsent);
  EXPECT_EQ(absent->path, (std::vector<JsonCondition::Step>{"error"}));

  for (const char* text : {"present($)", "$.ok != false", "$.x == null", "$.n < -1.5e3",
                           R"($.s == "a \"quoted\" \\ word")", "$.n<=3"}) {
    EXPECT_TRUE(JsonCondition::Parse(text, &error)) << text << ": " << error;
  }
}

TEST(JsonConditionParseTest, SaysWhatIsWrongAndWhere) {
  const std::pair<const char*, const char*> bad[] = {
      {"status == \"UP\"", "expected a path starting with $ at column 1"},
      {"$.status = \"UP\"", "expected an operator (== != < <= > >=) at column 10"},
      {"$.status == UP",
       "expected a JSON value (a \"string\", a number, true, false or null) at column 13"},
      {"$.status == \"UP", "unterminated string at column 16"},
      {"$.count > \"3\"", "< <= > >= compare with a number at column 14"},
      {"len($.data) > true", "len(...) compares with a number at column 19"},
      {"absent($.error) == 1", "unexpected text at column 17"},
      {"$.", "expected a member name after '.' at column 3"},
      {"$[x]", "expected an index or a quoted name in [...] at column 3"},
      {"len $.a", "expected '(' at column 5"},
      {"", "expected a path starting with $ at column 1"},
  };
  for (const auto& [text, message] : bad) {
    std::string error;
    EXPECT_FALSE(JsonCondition::Parse(text, &error)) << text;
    EXPECT_EQ(error, message) << text;
  }
}

}  // namespace
}  // namespace healthgap
