#pragma once

// How healthgap shows a measured duration to a human (status page, `check`, verdict reasons):
// "0.4 ms", "12 ms", "2.5 s", "75 s". Config durations are written as the config spells them
// instead ("1m30s": config::FormatDuration, the inverse of the config's parser).

#include <cstdio>
#include <string>

#include "common/clock.h"

namespace healthgap {

inline std::string HumanDuration(Duration d) {
  const double seconds = ToSeconds(d);
  char buffer[48];
  if (seconds < 0.001) {
    std::snprintf(buffer, sizeof buffer, "%.1f ms", seconds * 1e3);
  } else if (seconds < 1) {
    std::snprintf(buffer, sizeof buffer, "%.0f ms", seconds * 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, seconds < 10 ? "%.1f s" : "%.0f s", seconds);
  }
  std::string text = buffer;
  if (text.ends_with(".0 s")) text.erase(text.size() - 4, 2);  // "2 s", not "2.0 s"
  return text;
}

}  // namespace healthgap
