#include "sources/prometheus_api.h"

#include <curl/curl.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

namespace healthgap::sources {
namespace {

struct Body {
  std::string text;
  std::size_t max_bytes = 0;
  bool too_large = false;
};

std::size_t Append(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  const std::size_t bytes = size * count;
  if (body->text.size() + bytes > body->max_bytes) {
    body->too_large = true;
    return 0;  // aborts the transfer
  }
  body->text.append(data, bytes);
  return bytes;
}

// Prometheus writes sample values as strings: "1", "0.25", "NaN", "+Inf".
bool ParseValue(const std::string& text, double* value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*value);
}

// find, not json::value(): value() throws when the key holds another type, and the answer is
// another program's output.
bool HasStringValue(const nlohmann::json& object, const char* key, std::string_view expected) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() && it->get_ref<const std::string&>() == expected;
}

}  // namespace

QueryResult ParseQueryAnswer(std::string_view body, std::string_view label,
                             const QueryLimits& limits) {
  QueryResult result;
  if (body.size() > limits.max_bytes) {
    result.error = "answer too large";
    return result;
  }
  const nlohmann::json answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object()) {
    result.error = "answer is not a JSON object";
    return result;
  }
  if (!HasStringValue(answer, "status", "success")) {
    const auto error = answer.find("error");
    result.error = "query failed";
    if (error != answer.end() && error->is_string()) {
      result.error += ": " + error->get<std::string>().substr(0, 200);
    }
    return result;
  }
  const auto data = answer.find("data");
  if (data == answer.end() || !data->is_object() ||
      !HasStringValue(*data, "resultType", "vector")) {
    result.error = "answer is not an instant vector";
    return result;
  }
  const auto series = data->find("result");
  if (series == data->end() || !series->is_array()) {
    result.error = "answer has no result list";
    return result;
  }
  for (const nlohmann::json& item : *series) {
    if (result.values.size() == limits.max_series) break;
    if (!item.is_object()) continue;
    const auto metric = item.find("metric");
    const auto value = item.find("value");
    if (metric == item.end() || !metric->is_object() || value == item.end() || !value->is_array() ||
        value->size() != 2 || !(*value)[1].is_string()) {
      continue;
    }
    const auto name = metric->find(label);
    if (name == metric->end() || !name->is_string()) continue;
    LabelledValue out;
    out.label = name->get<std::string>();
    if (!ParseValue((*value)[1].get<std::string>(), &out.value)) continue;
    result.values.push_back(std::move(out));
  }
  return result;
}

QueryResult RunInstantQuery(const std::string& base_url, const std::string& query,
                            std::string_view label, std::chrono::milliseconds timeout,
                            const QueryLimits& limits) {
  QueryResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) {
    result.error = "curl_easy_init failed";
    return result;
  }
  std::unique_ptr<char, decltype(&curl_free)> escaped(
      curl_easy_escape(easy.get(), query.data(), static_cast<int>(query.size())), curl_free);
  if (!escaped) {
    result.error = "cannot escape the query";
    return result;
  }
  const std::string url = base_url + "/api/v1/query?query=" + escaped.get();
  Body body;
  body.max_bytes = limits.max_bytes;
  char error[CURL_ERROR_SIZE] = {};
  CURL* handle = easy.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(handle);
  if (body.too_large) {
    result.error = "answer too large";
    return result;
  }
  if (code != CURLE_OK) {
    result.error = error[0] != '\0' ? error : curl_easy_strerror(code);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  result = ParseQueryAnswer(body.text, label, limits);
  // Prometheus answers a bad query with 400 and a JSON error: its words beat the status.
  if (result.error.empty() && status != 200) result.error = "HTTP " + std::to_string(status);
  return result;
}

}  // namespace healthgap::sources
