#pragma once

#include <curl/curl.h>

#include <string_view>

#include "probe/http_client.h"

// Pure translations from libcurl's vocabulary to ours, apart from the I/O so they are testable.
namespace healthgap::probe::detail {

// Maps a finished transfer's outcome to a transport failure; nullopt when a response arrived.
//   os_errno: CURLINFO_OS_ERRNO (tells a refused connect from an unreachable one).
//   body_too_large: the write callback aborted because the body exceeded the cap.
//   message: curl's error buffer (some replies are only recognizable by it).
std::optional<FailureReason> ClassifyCurlError(CURLcode code, long os_errno, bool body_too_large,
                                               std::string_view message);

// Cumulative times since the transfer started, in microseconds (CURLINFO_*_TIME_T).
// A time of 0 means the phase was not reached (or took no time, e.g. a reused connection).
struct CurlTimes {
  curl_off_t namelookup = 0;
  curl_off_t connect = 0;
  curl_off_t appconnect = 0;  // TLS done; 0 for plain http
  curl_off_t starttransfer = 0;
  curl_off_t total = 0;
  // When OpenSSL began the handshake (our own clock, probe/curl_tls.h): curl reports neither a
  // connect nor an appconnect time for a handshake that fails. 0: none began.
  curl_off_t handshake_start = 0;
};

// Splits cumulative times into phases that never go negative and, for a completed request,
// add up to the total. A handshake that began and did not finish owns the time after it began.
PhaseTimings PhasesFromCurlTimes(const CurlTimes& times);

}  // namespace healthgap::probe::detail
