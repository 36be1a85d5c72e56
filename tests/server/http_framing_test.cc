#include "server/http_framing.h"

#include <gtest/gtest.h>

#include <string>

namespace healthgap::server {
namespace {

using State = Framing::State;

Framing Frame(const std::string& bytes) { return FrameRequest(bytes, FramingLimits{}); }

TEST(HttpFramingTest, HeadWithoutBodyIsCompleteAtItsEmptyLine) {
  const std::string head = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(Frame(head.substr(0, head.size() - 1)).state, State::kIncomplete);
  const Framing framing = Frame(head + "GET /next");
  EXPECT_EQ(framing.state, State::kComplete);
  EXPECT_EQ(framing.length, head.size());
  EXPECT_EQ(Frame("GET / HTTP/1.1\nHost: x\n\n").state, State::kComplete);  // bare LF
}

TEST(HttpFramingTest, IgnoreAcceptEncodingBlanksOnlyThatHeadersValuesInTheHead) {
  const std::string head =
      "GET /accept-encoding:x HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\n"
      "X-Other: br\r\nACCEPT-ENCODING:br\nContent-Length: 20\r\n\r\n";
  const std::string body = "Accept-Encoding: br\n";
  std::string request = head + body + "GET / HTTP/1.1\r\nAccept-Encoding: br\r\n\r\n";
  const std::string before = request;
  const Framing framed = Frame(request);
  IgnoreAcceptEncoding(request);
  ASSERT_EQ(request.size(), before.size());
  EXPECT_EQ(request.substr(0, head.size()),
            "GET /accept-encoding:x HTTP/1.1\r\nHost: x\r\nAccept-Encoding:         \r\n"
            "X-Other: br\r\nACCEPT-ENCODING:  \nContent-Length: 20\r\n\r\n");
  // Neither the body nor a pipelined request behind it is touched; the framing stays.
  EXPECT_EQ(request.substr(head.size()), before.substr(head.size()));
  const Framing after = Frame(request);
  EXPECT_EQ(after.state, framed.state);
  EXPECT_EQ(after.length, framed.length);
}

TEST(HttpFramingTest, ContentLengthBodyMustArriveInFull) {
  const std::string head = "POST /-/reload HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  EXPECT_EQ(Frame(head + "abcd").state, State::kIncomplete);
  EXPECT_TRUE(Frame(head + "abcd").head_complete);
  const Framing framing = Frame(head + "abcdeGET");
  EXPECT_EQ(framing.state, State::kComplete);
  EXPECT_EQ(framing.length, head.size() + 5);
}

TEST(HttpFramingTest, ExpectContinueIsReportedUntilTheBodyStarts) {
  const std::string head =
      "POST /upload HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  EXPECT_TRUE(Frame(head).expects_continue);
  EXPECT_FALSE(Frame(head + "ab").expects_continue);
  EXPECT_FALSE(Frame("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").expects_continue);
}

TEST(HttpFramingTest, ChunkedBodyEndsAtTheLastChunkAndTrailers) {
  const std::string request =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n0\r\nTrailer: t\r\n\r\n";
  for (std::size_t cut = 0; cut < request.size(); ++cut) {
    EXPECT_EQ(Frame(request.substr(0, cut)).state, State::kIncomplete) << cut;
  }
  const Framing framing = Frame(request + "GET");
  EXPECT_EQ(framing.state, State::kComplete);
  EXPECT_EQ(framing.length, request.size());
}

struct RejectCase {
  std::string request;
  int status;
  std::string reason;
};

class HttpFramingRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(HttpFramingRejectTest, AnswersWithTheStatusRfc9112Asks) {
  const Framing framing = Frame(GetParam().request);
  EXPECT_EQ(framing.state, State::kReject);
  EXPECT_EQ(framing.status, GetParam().status);
  EXPECT_EQ(framing.reason, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Framing, HttpFramingRejectTest,
    ::testing::Values(
        RejectCase{"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
                   "conflicting Content-Length headers"},
        RejectCase{"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                   400, "Content-Length together with Transfer-Encoding"},
        RejectCase{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                   400, "Content-Length together with Transfer-Encoding"},
        RejectCase{"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "invalid Content-Length"},
        RejectCase{"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 400,
                   "invalid Content-Length"},
        RejectCase{"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400,
                   "invalid Content-Length"},
        RejectCase{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
                   "Transfer-Encoding other than chunked"},
        RejectCase{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n",
                   501, "Transfer-Encoding other than chunked"},
        RejectCase{"GET / HTTP/1.1\r\nContent-Length : 0\r\n\r\n", 400,
                   "whitespace between a header name and its colon"},
        RejectCase{"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400, "malformed header line"},
        RejectCase{"POST / HTTP/1.1\r\nContent-Length: 8193\r\n\r\n", 413,
                   "request body larger than 8192 bytes"},
        RejectCase{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2001\r\n", 413,
                   "request body larger than 8192 bytes"},
        RejectCase{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
                   "invalid chunk size line"},
        RejectCase{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400,
                   "chunk data longer than its size"},
        RejectCase{"GET / HTTP/1.1\r\nX: " + std::string(16 * 1024, 'a') + "\r\n\r\n", 431,
                   "request head larger than 16384 bytes"},
        RejectCase{"GET / HTTP/1.1\r\nX: " + std::string(17 * 1024, 'a'), 431,
                   "request head larger than 16384 bytes"}));

TEST(HttpFramingTest, RejectionResponseClosesTheConnection) {
  EXPECT_EQ(RejectionResponse(400, "conflicting Content-Length headers"),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 35\r\nConnection: close\r\n\r\nconflicting Content-Length headers\n");
}

}  // namespace
}  // namespace healthgap::server
