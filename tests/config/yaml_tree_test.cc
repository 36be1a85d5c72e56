#include "config/yaml_tree.h"

#include <gtest/gtest.h>

#include <string>

namespace healthgap::config::yaml {
namespace {

Node ParseOne(const std::string& text, std::unique_ptr<Stream>* keep) {
  Stream::Parsed parsed = Stream::Parse(text);
  EXPECT_FALSE(parsed.error) << parsed.error->message;
  if (!parsed.stream || parsed.stream->documents().empty()) return Node();
  *keep = std::move(parsed.stream);
  return (*keep)->documents()[0];
}

std::string ErrorOf(const std::string& text, const Limits& limits = {}) {
  const Stream::Parsed parsed = Stream::Parse(text, limits);
  if (!parsed.error) return "no error";
  return std::to_string(parsed.error->line) + ": " + parsed.error->message;
}

TEST(YamlTreeTest, BuildsMapsListsAndScalarsWithLines) {
  std::unique_ptr<Stream> keep;
  const Node root =
      ParseOne("name: api\nports:\n  - 80\n  - '443'\nempty:\nnull_word: null\n", &keep);
  ASSERT_TRUE(root.IsMap());
  ASSERT_EQ(root.size(), 4u);
  EXPECT_EQ(root.Key(0).Scalar(), "name");
  EXPECT_EQ(root.Value(0).Scalar(), "api");
  EXPECT_FALSE(root.Value(0).quoted());
  const Node ports = root.Value(1);
  ASSERT_TRUE(ports.IsSequence());
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports.line(), 3);
  EXPECT_EQ(ports[0].Scalar(), "80");
  EXPECT_EQ(ports[1].Scalar(), "443");
  EXPECT_TRUE(ports[1].quoted());
  EXPECT_EQ(ports[1].line(), 4);
  EXPECT_TRUE(root.Value(2).IsNull());
  EXPECT_TRUE(root.Value(3).IsNull());
  ASSERT_TRUE(root.Find("ports"));
  EXPECT_EQ(root.Find("ports")->size(), 2u);
  EXPECT_FALSE(root.Find("missing"));
}

TEST(YamlTreeTest, QuotedNullSpellingsAndBlockScalarsAreStrings) {
  std::unique_ptr<Stream> keep;
  const Node root = ParseOne("a: 'null'\nb: ~\nc: |\n  text\n", &keep);
  EXPECT_TRUE(root.Value(0).IsScalar());
  EXPECT_EQ(root.Value(0).Scalar(), "null");
  EXPECT_TRUE(root.Value(1).IsNull());
  EXPECT_TRUE(root.Value(2).quoted());
  EXPECT_EQ(root.Value(2).Scalar(), "text\n");
}

TEST(YamlTreeTest, AliasesRepeatTheAnchoredNode) {
  std::unique_ptr<Stream> keep;
  const Node root = ParseOne("base: &b {path: /api}\ncopy: *b\n", &keep);
  ASSERT_TRUE(root.Value(1).IsMap());
  EXPECT_EQ(root.Value(1).Find("path")->Scalar(), "/api");
  EXPECT_EQ(ErrorOf("a: *nowhere\n"), "1: unknown alias *nowhere");
}

TEST(YamlTreeTest, JsonIsReadAsYaml) {
  std::unique_ptr<Stream> keep;
  const Node root =
      ParseOne("[{\"targets\":[\"a:1\",\"b:2\"],\"labels\":{\"env\":\"prod\"}}]", &keep);
  ASSERT_TRUE(root.IsSequence());
  EXPECT_EQ(root[0].Find("targets")->size(), 2u);
  EXPECT_EQ(root[0].Find("labels")->Find("env")->Scalar(), "prod");
}

TEST(YamlTreeTest, CountsDocuments) {
  EXPECT_TRUE(Stream::Parse("").stream->documents().empty());
  EXPECT_TRUE(Stream::Parse("# only a comment\n").stream->documents().empty());
  EXPECT_EQ(Stream::Parse("---\n").stream->documents().size(), 1u);
  const SingleDocument two = ParseSingleDocument("a: 1\n---\nb: 2\n");
  ASSERT_TRUE(two.error);
  EXPECT_EQ(two.error->line, 3);
  EXPECT_EQ(two.error->message, "found 2 YAML documents, expected exactly one");
  const SingleDocument none = ParseSingleDocument("");
  EXPECT_FALSE(none.error);
  EXPECT_TRUE(none.empty);
}

// The outside review's finding: yaml-cpp 0.7 grew to 16.9 GB on this file. libyaml rejects it
// at once; a regression to a looping parser would hang this test (ctest's timeout) or fail it.
TEST(YamlTreeTest, ALoneCommaIsASyntaxError) {
  EXPECT_EQ(ErrorOf(",\n"),
            "1: invalid YAML: did not find expected node content (column 1; while parsing a "
            "block node that starts at line 1)");
  EXPECT_NE(ErrorOf("[,]\n"), "no error");
  EXPECT_NE(ErrorOf("{,,,}\n"), "no error");
  EXPECT_NE(ErrorOf("- ,\n"), "no error");
}

TEST(YamlTreeTest, BillionLaughsStopsAtTheNodeLimit) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 9; ++level) {
    const std::string previous = "*a" + std::to_string(level - 1);
    text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + previous;
    text += "]\n";
  }
  Limits limits;
  limits.max_nodes = 100'000;
  EXPECT_EQ(ErrorOf(text, limits),
            "5: more than 100000 YAML nodes (aliases count as the nodes they repeat)");
}

TEST(YamlTreeTest, RejectsSelfContainingAliasesAndDeepNesting) {
  EXPECT_EQ(ErrorOf("a: &a [*a]\n"), "1: alias *a refers to a node that contains it");
  EXPECT_EQ(ErrorOf(std::string(65, '[') + std::string(65, ']')),
            "1: nesting deeper than 64 levels of lists and maps");
  EXPECT_EQ(ErrorOf(std::string(64, '[') + std::string(64, ']')), "no error");
}

TEST(YamlTreeTest, RejectsTextOverTheSizeLimitBeforeParsing) {
  Limits limits;
  limits.max_bytes = 1 << 20;
  EXPECT_EQ(ErrorOf(std::string((1 << 20) + 1, ' '), limits),
            "0: larger than 1 MiB (1048577 bytes)");
}

TEST(Utf8TextTest, NamesTheFirstByteThatIsNotText) {
  EXPECT_FALSE(CheckUtf8Text("caf\xc3\xa9: \xe2\x82\xac\n\tx: \xf0\x9f\x98\x80\r\n"));
  const auto binary = CheckUtf8Text("ok: 1\n\x89PNG");
  ASSERT_TRUE(binary);
  EXPECT_EQ(binary->line, 2);
  EXPECT_EQ(binary->message, "not UTF-8 text: byte 0x89 at column 1 is not valid UTF-8");
  EXPECT_EQ(CheckUtf8Text(std::string("a: \0", 4))->message,
            "not UTF-8 text: byte 0x00 at column 4 is a control character");
  EXPECT_TRUE(CheckUtf8Text("\xc0\xaf"));          // overlong "/"
  EXPECT_TRUE(CheckUtf8Text("\xed\xa0\x80"));      // a UTF-16 surrogate
  EXPECT_TRUE(CheckUtf8Text("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_TRUE(CheckUtf8Text("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace healthgap::config::yaml
