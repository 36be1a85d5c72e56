#include "probe/curl_mapping.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "probe/http_client.h"

namespace healthgap::probe {
namespace {

using detail::ClassifyCurlError;
using detail::CurlTimes;
using detail::PhasesFromCurlTimes;

TEST(ClassifyCurlErrorTest, ConnectFailureDependsOnErrno) {
  EXPECT_EQ(ClassifyCurlError(CURLE_COULDNT_CONNECT, ECONNREFUSED, false, ""),
            FailureReason::kConnectionRefused);
  EXPECT_EQ(ClassifyCurlError(CURLE_COULDNT_CONNECT, ETIMEDOUT, false, ""),
            FailureReason::kTimeout);
  EXPECT_EQ(ClassifyCurlError(CURLE_COULDNT_CONNECT, ENETUNREACH, false, ""),
            FailureReason::kOther);
}

TEST(ClassifyCurlErrorTest, MapsEachFamily) {
  EXPECT_EQ(ClassifyCurlError(CURLE_OK, 0, false, ""), std::nullopt);
  EXPECT_EQ(ClassifyCurlError(CURLE_OPERATION_TIMEDOUT, 0, false, ""), FailureReason::kTimeout);
  EXPECT_EQ(ClassifyCurlError(CURLE_RECV_ERROR, 0, false, ""), FailureReason::kConnectionReset);
  EXPECT_EQ(ClassifyCurlError(CURLE_SEND_ERROR, 0, false, ""), FailureReason::kConnectionReset);
  EXPECT_EQ(ClassifyCurlError(CURLE_GOT_NOTHING, 0, false, ""), FailureReason::kConnectionReset);
  EXPECT_EQ(ClassifyCurlError(CURLE_PARTIAL_FILE, 0, false, ""), FailureReason::kConnectionReset);
  EXPECT_EQ(ClassifyCurlError(CURLE_COULDNT_RESOLVE_HOST, 0, false, ""), FailureReason::kDns);
  EXPECT_EQ(ClassifyCurlError(CURLE_PEER_FAILED_VERIFICATION, 0, false, ""), FailureReason::kTls);
  EXPECT_EQ(ClassifyCurlError(CURLE_SSL_CONNECT_ERROR, 0, false, ""), FailureReason::kTls);
  EXPECT_EQ(ClassifyCurlError(CURLE_FILESIZE_EXCEEDED, 0, false, ""), FailureReason::kTooLarge);
  EXPECT_EQ(ClassifyCurlError(CURLE_WEIRD_SERVER_REPLY, 0, false, ""), FailureReason::kBadResponse);
  EXPECT_EQ(ClassifyCurlError(CURLE_TOO_MANY_REDIRECTS, 0, false, ""),
            FailureReason::kRedirectLoop);
  EXPECT_EQ(ClassifyCurlError(CURLE_OUT_OF_MEMORY, 0, false, ""), FailureReason::kOther);
}

TEST(ClassifyCurlErrorTest, WriteAbortIsTooLargeOnlyWhenTheCapCausedIt) {
  EXPECT_EQ(ClassifyCurlError(CURLE_WRITE_ERROR, 0, true, ""), FailureReason::kTooLarge);
  EXPECT_EQ(ClassifyCurlError(CURLE_WRITE_ERROR, 0, false, ""), FailureReason::kOther);
}

TEST(ClassifyCurlErrorTest, Http09ReplyIsBadResponseButDisallowedSchemeIsNot) {
  EXPECT_EQ(
      ClassifyCurlError(CURLE_UNSUPPORTED_PROTOCOL, 0, false, "Received HTTP/0.9 when not allowed"),
      FailureReason::kBadResponse);
  EXPECT_EQ(ClassifyCurlError(CURLE_UNSUPPORTED_PROTOCOL, 0, false,
                              "Protocol \"ftp\" not supported or disabled in libcurl"),
            FailureReason::kOther);
}

TEST(PhasesFromCurlTimesTest, PlainHttpPhasesAddUpToTotal) {
  const CurlTimes times{.namelookup = 1'000,
                        .connect = 3'000,
                        .appconnect = 0,
                        .starttransfer = 10'000,
                        .total = 12'000};
  const PhaseTimings phases = PhasesFromCurlTimes(times);
  EXPECT_DOUBLE_EQ(phases.resolve, 0.001);
  EXPECT_DOUBLE_EQ(phases.connect, 0.002);
  EXPECT_DOUBLE_EQ(phases.tls, 0);
  EXPECT_DOUBLE_EQ(phases.processing, 0.007);
  EXPECT_DOUBLE_EQ(phases.transfer, 0.002);
}

TEST(PhasesFromCurlTimesTest, TlsHandshakeIsItsOwnPhase) {
  const CurlTimes times{.namelookup = 1'000,
                        .connect = 2'000,
                        .appconnect = 5'000,
                        .starttransfer = 6'000,
                        .total = 6'500};
  const PhaseTimings phases = PhasesFromCurlTimes(times);
  EXPECT_DOUBLE_EQ(phases.tls, 0.003);
  EXPECT_DOUBLE_EQ(phases.processing, 0.001);
  EXPECT_NEAR(phases.resolve + phases.connect + phases.tls + phases.processing + phases.transfer,
              0.0065, 1e-12);
}

TEST(PhasesFromCurlTimesTest, PhasesNotReachedAreZeroNeverNegative) {
  // A refused connect: name resolved, nothing after.
  const CurlTimes times{.namelookup = 1'000, .total = 1'500};
  const PhaseTimings phases = PhasesFromCurlTimes(times);
  EXPECT_DOUBLE_EQ(phases.resolve, 0.001);
  EXPECT_DOUBLE_EQ(phases.connect, 0);
  EXPECT_DOUBLE_EQ(phases.tls, 0);
  EXPECT_DOUBLE_EQ(phases.processing, 0);
  EXPECT_DOUBLE_EQ(phases.transfer, 0);
}

TEST(PhasesFromCurlTimesTest, FailedHandshakeOwnsTheTimeAfterItBegan) {
  // curl reports neither connect nor appconnect when the handshake fails (an untrusted
  // certificate); OpenSSL's callback saw the handshake start 2 ms in.
  const CurlTimes times{.namelookup = 1'000, .total = 9'000, .handshake_start = 2'000};
  const PhaseTimings phases = PhasesFromCurlTimes(times);
  EXPECT_DOUBLE_EQ(phases.resolve, 0.001);
  EXPECT_DOUBLE_EQ(phases.connect, 0.001);
  EXPECT_DOUBLE_EQ(phases.tls, 0.007);
  EXPECT_DOUBLE_EQ(phases.processing, 0);
  EXPECT_DOUBLE_EQ(phases.transfer, 0);
}

TEST(PhasesFromCurlTimesTest, CompletedHandshakeKeepsCurlsOwnTimes) {
  const CurlTimes times{.namelookup = 1'000,
                        .connect = 2'000,
                        .appconnect = 5'000,
                        .starttransfer = 6'000,
                        .total = 6'500,
                        .handshake_start = 2'100};
  EXPECT_DOUBLE_EQ(PhasesFromCurlTimes(times).tls, 0.003);
}

}  // namespace
}  // namespace healthgap::probe
