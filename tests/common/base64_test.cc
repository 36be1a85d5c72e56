#include "common/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace healthgap {
namespace {

TEST(DecodeBase64Test, DecodesPaddedTextAndRejectsAnythingElse) {
  EXPECT_EQ(DecodeBase64("cHJvbWV0aGV1czpzM2NyZXQ="), "prometheus:s3cret");
  EXPECT_EQ(DecodeBase64("YQ=="), "a");
  EXPECT_EQ(DecodeBase64("YWI="), "ab");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_EQ(DecodeBase64("YQ"), std::nullopt);    // unpadded
  EXPECT_EQ(DecodeBase64("Y=Q="), std::nullopt);  // padding inside
  EXPECT_EQ(DecodeBase64("YQ==YQ=="), std::nullopt);
  EXPECT_EQ(DecodeBase64("YW*="), std::nullopt);
}

TEST(EncodeBase64Test, KnownVectorsAndRoundTrip) {
  EXPECT_EQ(EncodeBase64(""), "");
  EXPECT_EQ(EncodeBase64("a"), "YQ==");
  EXPECT_EQ(EncodeBase64("ab"), "YWI=");
  EXPECT_EQ(EncodeBase64("prometheus:s3cret"), "cHJvbWV0aGV1czpzM2NyZXQ=");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (std::size_t length = 0; length <= bytes.size(); length += 7) {
    EXPECT_EQ(DecodeBase64(EncodeBase64(bytes.substr(0, length))), bytes.substr(0, length));
  }
}

}  // namespace
}  // namespace healthgap
