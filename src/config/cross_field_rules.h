#pragma once

// Rules that relate two or more fields (a timeout and its interval, a window and min_samples).
// They run after inheritance, on resolved values, and report at the setting the user most
// likely just wrote, saying where the other value came from.

#include <string>
#include <string_view>

#include "config/config.h"
#include "config/settings.h"
#include "config/strict_yaml.h"

namespace healthgap::config {

inline constexpr std::string_view kTimeoutWhy =
    "a request must time out before the next one is due";
inline constexpr std::string_view kBudgetWhy =
    "requests would time out before they could count as slow";

// " (built-in default)", " (from FIELD, line N)", or "" when `other` sits next to `reported`.
std::string Provenance(const Setting<Millis>* other, std::string_view reported_field);
std::string Provenance(const Setting<int>* other, std::string_view reported_field);

// Requires lower <= upper. Reports at the more specific of the two settings (`lower` on a
// tie); nullptr settings are built-in defaults.
void CheckNotAbove(const strict_yaml::Reader& reader, const Setting<Millis>* lower,
                   Millis lower_value, std::string_view lower_name, const Setting<Millis>* upper,
                   Millis upper_value, std::string_view upper_name, std::string_view why,
                   const std::string& fallback_field, int fallback_line);

// The verdict needs min_samples in the window; a window that cannot hold them would leave the
// verdict "unknown" forever, which looks like a working exporter but never alerts.
void CheckWindowHoldsMinSamples(const strict_yaml::Reader& reader, const ProbeSpec& spec,
                                const std::string& field, int line, const Setting<Millis>* window,
                                const Setting<int>* min_samples);

}  // namespace healthgap::config
