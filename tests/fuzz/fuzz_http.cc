// libFuzzer target for what a client sends the exporter's server before any thread takes it
// (server/http_framing.h: framing, and the Accept-Encoding blanking), for the redirect rules a
// probed target's Location goes through (probe/redirects.h), for what HAProxy's runtime API answers
// `show stat` with (sources/haproxy_stat.h), for access log lines other programs write
// (sources/access_log.h) and for what a Prometheus answers a query with (sources/prometheus_api.h).
// Input layout: byte 0 picks which (0xF0 and up: the sources' newer parsers), the rest is the
// input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "probe/redirects.h"
#include "server/http_framing.h"
#include "sources/access_log.h"
#include "sources/haproxy_stat.h"
#include "sources/prometheus_api.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] >= 0xF0) {
    if (data[0] % 3 == 2) {
      const healthgap::sources::QueryLimits limits{.max_bytes = 1 << 16, .max_series = 16};
      const auto answer = healthgap::sources::ParseQueryAnswer(text, "instance", limits);
      if (answer.values.size() > limits.max_series) __builtin_trap();
      return 0;
    }
    const auto format = data[0] % 3 == 0 ? healthgap::sources::LogFormat::kNginx
                                         : healthgap::sources::LogFormat::kHaproxy;
    const auto attempts = healthgap::sources::ParseAccessLogLine(text, format);
    if (attempts.size() > 64) __builtin_trap();
    for (const auto& attempt : attempts) {
      if (attempt.address.size() > text.size() || attempt.server.size() > text.size()) {
        __builtin_trap();
      }
    }
    return 0;
  }
  if (data[0] % 3 == 2) {
    const healthgap::sources::ShowStatLimits limits{
        .max_bytes = 1 << 16, .max_servers = 64, .max_field_bytes = 32};
    const auto stat = healthgap::sources::ParseShowStat(text, limits);
    if (stat.servers.size() > limits.max_servers) __builtin_trap();
    for (const auto& server : stat.servers) {
      if (server.server.size() > limits.max_field_bytes) __builtin_trap();
      (void)healthgap::sources::InRotation(server.state);
    }
    return 0;
  }
  if (data[0] % 3 == 0) {
    const healthgap::server::FramingLimits limits;
    const auto framing = healthgap::server::FrameRequest(text, limits);
    using State = healthgap::server::Framing::State;
    if (framing.state == State::kComplete && framing.length > text.size()) __builtin_trap();
    if (framing.state == State::kComplete) {
      // What the server does to every complete request before serving it keeps its bytes'
      // count and its framing.
      std::string served(text);
      healthgap::server::IgnoreAcceptEncoding(served);
      const auto after = healthgap::server::FrameRequest(served, limits);
      if (served.size() != text.size() || after.state != State::kComplete ||
          after.length != framing.length) {
        __builtin_trap();
      }
    }
    if (framing.state == State::kReject) {
      (void)healthgap::server::RejectionResponse(framing.status, framing.reason);
    }
  } else {
    // "original URL \n Location URL \n header name"
    const auto first = text.find('\n');
    const auto second = text.find('\n', first == std::string_view::npos ? 0 : first + 1);
    if (second == std::string_view::npos) return 0;
    healthgap::probe::HttpRequest request;
    request.method = "POST";
    request.url = std::string(text.substr(0, first));
    request.body = "x";
    request.headers = {{std::string(text.substr(second + 1)), "v"}, {"Authorization", "secret"}};
    const std::string_view location = text.substr(first + 1, second - first - 1);
    for (int status : {301, 303, 307}) {
      const auto next = healthgap::probe::RedirectedRequest(request, status, location);
      // Credentials never cross to another origin.
      if (!healthgap::probe::SameOrigin(request.url, location) && next.headers.size() > 1 &&
          next.headers.back().first == "Authorization") {
        __builtin_trap();
      }
    }
  }
  return 0;
}
