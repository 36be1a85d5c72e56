#include "config/cross_field_rules.h"

#include "config/values.h"

namespace healthgap::config {
namespace {

// "a.b" -> "a"; "targets[0].health.timeout" -> "targets[0].health".
std::string_view Parent(std::string_view field) {
  const auto dot = field.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : field.substr(0, dot);
}

template <typename T>
std::string ProvenanceOf(const Setting<T>* other, std::string_view reported_field) {
  if (!other) return " (built-in default)";
  if (Parent(other->field) == Parent(reported_field)) return "";
  return " (from " + other->field + ", line " + std::to_string(other->line) + ")";
}

}  // namespace

std::string Provenance(const Setting<Millis>* other, std::string_view reported_field) {
  return ProvenanceOf(other, reported_field);
}
std::string Provenance(const Setting<int>* other, std::string_view reported_field) {
  return ProvenanceOf(other, reported_field);
}

void CheckNotAbove(const strict_yaml::Reader& reader, const Setting<Millis>* lower,
                   Millis lower_value, std::string_view lower_name, const Setting<Millis>* upper,
                   Millis upper_value, std::string_view upper_name, std::string_view why,
                   const std::string& fallback_field, int fallback_line) {
  if (lower_value <= upper_value) return;
  const Level lower_level = lower ? lower->level : kBuiltin;
  const Level upper_level = upper ? upper->level : kBuiltin;
  if (lower && lower_level >= upper_level) {
    reader.Fail(lower->line, lower->field,
                std::string(lower_name) + " " + FormatDuration(lower_value) + " exceeds " +
                    std::string(upper_name) + " " + FormatDuration(upper_value) +
                    Provenance(upper, lower->field) + "; " + std::string(why));
  }
  if (upper) {
    reader.Fail(upper->line, upper->field,
                std::string(upper_name) + " " + FormatDuration(upper_value) + " is shorter than " +
                    std::string(lower_name) + " " + FormatDuration(lower_value) +
                    Provenance(lower, upper->field) + "; " + std::string(why));
  }
  reader.Fail(fallback_line, fallback_field,
              std::string(lower_name) + " exceeds " + std::string(upper_name));
}

void CheckWindowHoldsMinSamples(const strict_yaml::Reader& reader, const ProbeSpec& spec,
                                const std::string& field, int line, const Setting<Millis>* window,
                                const Setting<int>* min_samples) {
  const Millis span = spec.evaluation.window;
  long long capacity = 0;
  std::string breakdown;
  for (const ApiSample& sample : spec.samples) {
    const long long fits = span / sample.interval;
    capacity += fits;
    if (!breakdown.empty()) breakdown += ", ";
    breakdown +=
        sample.name + " every " + FormatDuration(sample.interval) + ": " + std::to_string(fits);
  }
  if (capacity >= spec.evaluation.min_samples) return;
  const std::string window_field = field + ".evaluation.window";
  const bool own_window = window && window->level == kOwn;
  std::string message = "window " + FormatDuration(span) +
                        (own_window ? "" : Provenance(window, "")) + " holds at most " +
                        std::to_string(capacity) + " API samples (" + breakdown +
                        ") but min_samples is " + std::to_string(spec.evaluation.min_samples) +
                        Provenance(min_samples, window_field) +
                        ", so the verdict would stay unknown; widen the window, sample more "
                        "often or lower min_samples";
  reader.Fail(own_window ? window->line : line, window_field, message);
}

}  // namespace healthgap::config
