// libFuzzer target for everything healthgap reads from a probed server's health response: the
// body parsers (ParseHealthBody), the freshness facts (FactsFrom, CacheDetector), JSON
// conditions on the body (JsonConditionsHold), and the condition parser (JsonCondition::Parse)
// on the body's first line.
// Input layout: byte 0 picks the content type, then the body. Header values are cut from the
// body too, so one input exercises both parsers.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/cache_evidence.h"
#include "eval/health_body.h"
#include "eval/json_conditions.h"

namespace {

using healthgap::eval::BodyLimits;
using healthgap::eval::BodyReport;

constexpr std::string_view kContentTypes[] = {
    "",
    "application/json",
    "application/health+json",
    "application/health+json; charset=utf-8",
    "text/plain; charset=utf-8",
    "text/html",
    "application/vnd.spring-boot.actuator.v3+json",
    "APPLICATION/HEALTH+JSON ;",
};

bool IsLabelSafe(std::string_view name) {
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return !name.empty();
}

// The promises health_body.h makes, checked on every input: a broken one is a crash.
void CheckInvariants(const BodyReport& report, const BodyLimits& limits) {
  if (report.components.size() > limits.max_components) std::abort();
  for (const auto& component : report.components) {
    if (component.name.size() > limits.max_name_bytes || !IsLabelSafe(component.name)) {
      std::abort();
    }
    if (component.detail.size() > limits.max_detail_bytes) std::abort();
  }
  static constexpr std::string_view kErrors[] = {"",
                                                 "empty",
                                                 "too_large",
                                                 "too_deep",
                                                 "invalid_json",
                                                 "invalid_utf8",
                                                 "too_many_components",
                                                 "unrecognised"};
  bool known = false;
  for (std::string_view error : kErrors) known = known || report.error == error;
  if (!known) std::abort();
  if (!report.error.empty() && report.error != "too_many_components" &&
      !report.components.empty()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view content_type =
      kContentTypes[data[0] % (sizeof kContentTypes / sizeof kContentTypes[0])];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const BodyLimits defaults;
  CheckInvariants(healthgap::eval::ParseHealthBody(body, content_type, defaults), defaults);
  // Tight limits reach the cut-off paths with small inputs.
  BodyLimits tight;
  tight.max_bytes = 512;
  tight.max_depth = 3;
  tight.max_components = 2;
  tight.max_name_bytes = 4;
  tight.max_detail_bytes = 8;
  CheckInvariants(healthgap::eval::ParseHealthBody(body, content_type, tight), tight);

  const std::string_view head = body.substr(0, 96);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"date", std::string(head.substr(0, 29))},
      {"age", std::string(head.substr(0, 12))},
      {"cache-control", std::string(head)},
      {"etag", std::string(head.substr(0, 40))},
      {"last-modified", std::string(head.substr(0, 29))}};
  healthgap::eval::Response result;
  result.status_code = 200;
  result.body = body;
  result.headers = headers;
  healthgap::eval::CacheDetector detector;
  healthgap::TimePoint at{};
  for (int i = 0; i < 3; ++i) {
    const auto facts = healthgap::eval::FactsFrom(result, at);
    if (facts.date_header.size() > 64 || facts.etag.size() > 64 ||
        facts.body_timestamp_text.size() > 64) {
      std::abort();
    }
    detector.Observe(facts);
    at += std::chrono::seconds(10);
  }
  static const std::vector<healthgap::JsonCondition> kConditions = [] {
    std::vector<healthgap::JsonCondition> conditions;
    for (const char* text : {R"($.status == "UP")", "absent($.error)", "len($.data) > 0",
                             "$.a[0][\"b\"].c >= 1.5", "present($[3])", "$.x != null"}) {
      conditions.push_back(*healthgap::JsonCondition::Parse(text, nullptr));
    }
    return conditions;
  }();
  healthgap::eval::JsonConditionsHold(body, kConditions);
  for (const auto& condition : kConditions) {
    healthgap::eval::JsonConditionsHold(body, std::span(&condition, 1));
  }
  std::string error;
  const std::string_view first_line = body.substr(0, body.find('\n'));
  const auto parsed = healthgap::JsonCondition::Parse(first_line, &error);
  if (parsed.has_value() == !error.empty()) std::abort();  // exactly one of the two
  healthgap::eval::ParseIso8601(body);
  healthgap::eval::ParseHttpDate(body);
  return 0;
}
